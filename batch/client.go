package batch

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// Client defaults.
const (
	// DefaultTimeout bounds one call. The service gives up on its side after
	// about 3 s, so a client timeout must be longer.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxConns is the connection pool size when none is given.
	DefaultMaxConns = 64
	// maxResponseBytes caps how much of a response body is read.
	maxResponseBytes = 64 << 10
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Endpoint is the API's base URL, such as "https://console.tim.qq.com"
	// (see chatapi.RegionEndpoint) or a mock's URL. Required.
	Endpoint string
	// SDKAppID and Admin name the app and its admin account. Required.
	SDKAppID uint64
	Admin    string
	// Signer provides the admin's UserSig. Required.
	Signer *Signer
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxConns sizes the keep-alive pool; zero means DefaultMaxConns. Set it
	// to the number of concurrent callers.
	MaxConns int
	// HTTPClient replaces the client built from MaxConns, for tests. Only
	// its Transport is used (nil means http.DefaultTransport): calls go
	// straight to it, so redirects are not followed and the client's
	// Timeout does not apply (Timeout above does).
	HTTPClient *http.Client
	// Random returns the random query parameter; nil means a uniform draw over
	// the full uint32 range.
	Random func() uint32
	// TimeAsString sends MsgReadTime as a JSON string rather than a number
	// (see chatapi.Request.TimeAsString).
	TimeAsString bool
	// Clock times each call (Result.Latency); nil means RealClock. Give it
	// the run's Config.Clock, so that the meter's latencies and its
	// seconds come from one clock.
	Clock Clock
}

// Client calls admin_set_msg_read. It is safe for concurrent use.
type Client struct {
	cfg ClientConfig
	// rt makes the calls. The client calls the transport itself: an
	// http.Client would only add, each call, the redirect machinery (the
	// API never redirects, and following one would carry the UserSig to
	// another address) and a cancel timer the call's context already is.
	rt     http.RoundTripper
	url    *url.URL    // the endpoint with the API's path
	unread *url.URL    // the endpoint with get_c2c_unread_msg_num's path
	header http.Header // every request's, read only
	query  atomic.Pointer[sigQuery]
	// deadlines bound the calls in time, cheaply for callers that make
	// them one at a time under a context of their own.
	deadlines deadlines
}

// sigQuery is the query string of the UserSig in use, up to the random
// number: built once a UserSig, not once a call. sent holds it and the
// few before it, whose calls may still be answered.
type sigQuery struct {
	sig, prefix string
	sent        *chatapi.SentSigs
}

// keptSigs is how many UserSigs, the one in use included, the client cuts
// out of the server's text by value.
const keptSigs = 4

// nextQuery returns the query of sig, which follows old (nil at first).
func (c *Client) nextQuery(old *sigQuery, sig string) *sigQuery {
	sigs := []string{sig}
	if old != nil {
		for _, s := range old.sent.Sigs() {
			if len(sigs) < keptSigs && s != sig {
				sigs = append(sigs, s)
			}
		}
	}
	return &sigQuery{sig: sig, prefix: chatapi.QueryPrefix(c.cfg.SDKAppID, c.cfg.Admin, sig), sent: chatapi.NewSentSigs(sigs...)}
}

// NewClient validates cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	u, err := baseURL(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	unread := *chatapi.RequestURL(u)
	unread.Path = strings.TrimSuffix(unread.Path, chatapi.Path) + chatapi.PathUnread
	return &Client{cfg: cfg, rt: cfg.transport(), url: chatapi.RequestURL(u), unread: &unread,
		header: http.Header{"Content-Type": {"application/json"}}}, nil
}

// withDefaults returns cfg with its zero fields that have a default set.
func (cfg ClientConfig) withDefaults() ClientConfig {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.Random == nil {
		cfg.Random = rand.Uint32
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	return cfg
}

// validate refuses a config without a required field or with a negative
// timeout or pool size.
func (cfg ClientConfig) validate() error {
	switch {
	case cfg.Endpoint == "":
		return errors.New("batch: client: endpoint is required")
	case cfg.SDKAppID == 0:
		return errors.New("batch: client: SDKAppID is required")
	case cfg.Admin == "":
		return errors.New("batch: client: admin account is required")
	case cfg.Signer == nil:
		return errors.New("batch: client: signer is required")
	case cfg.Timeout < 0 || cfg.MaxConns < 0:
		return errors.New("batch: client: timeout and pool size must not be negative")
	}
	return nil
}

// baseURL parses endpoint, the service's base URL, without its query and
// fragment; it must be http(s) with a host, and not hold the API's path.
func baseURL(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("batch: client: endpoint %q is not an http(s) URL", chatapi.RedactEndpoint(endpoint))
	}
	if strings.Contains(u.Path, chatapi.Path) {
		return nil, fmt.Errorf("batch: client: endpoint %q holds the API's path: give the service's base URL, such as %s://%s",
			chatapi.RedactEndpoint(endpoint), u.Scheme, u.Host)
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// transport returns what makes the calls: HTTPClient's transport, or a
// pool of MaxConns connections of the client's own.
func (cfg ClientConfig) transport() http.RoundTripper {
	if hc := cfg.HTTPClient; hc != nil {
		return cmp.Or[http.RoundTripper](hc.Transport, http.DefaultTransport)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = cfg.MaxConns
	t.MaxIdleConnsPerHost = cfg.MaxConns
	t.IdleConnTimeout = 90 * time.Second
	// The answers are a few dozen bytes: no gzip header to send, no
	// reader to wrap around each body.
	t.DisableCompression = true
	return t
}

// Result is the outcome of one call, as data: a refused or failed call is not
// an error of the caller's.
type Result struct {
	// Code and Info are the answer's ErrorCode and ErrorInfo; both are zero
	// when no JSON envelope came back. Info is redacted and cut short, or
	// chatapi.Withheld when it echoed a UserSig in disguise.
	Code int
	Info string
	// HTTPStatus is the response's status, or 0 when none arrived.
	HTTPStatus int
	// Latency is from the start of the request to the end of the body.
	Latency time.Duration
	// Class says what to do next. Network errors, timeouts, non-200 statuses
	// and bodies that are not the envelope are ClassRetry.
	Class chatapi.Class
	// Throttle is set when the service asked the caller to slow down.
	Throttle bool
	// Err describes a failure that produced no envelope (network, timeout,
	// status, malformed body), with any UserSig redacted, or with its whole
	// text chatapi.Withheld when it echoed one in disguise. Nil otherwise.
	Err error
	// Unreachable names, for a call that got no HTTP answer at all, why
	// and where: "connection refused by 127.0.0.1:9", "timeout waiting for
	// host:443", a DNS or TLS failure. Empty when the service answered.
	Unreachable string
	// Date is the answer's Date header, the service's clock to the second
	// (http.TimeFormat); empty when none came. A safe pacer reads where
	// the service's seconds begin from it.
	Date string
}

// Answered reports whether the service (or a gateway in front of it) sent
// an HTTP answer.
func (r Result) Answered() bool { return r.HTTPStatus != 0 || r.Err == nil }

// Describe returns Info, or Err's text when there is no envelope.
func (r Result) Describe() string {
	if r.Err != nil {
		return r.Err.Error()
	}
	return r.Info
}

// MarkRead sends one request and returns its outcome. It blocks for at most
// the configured timeout, less if ctx is done first; when ctx is done the
// Result is ClassRetry with Err wrapping ctx's error. Calls made one at a
// time under a context of the caller's own (a child of the run's, say)
// cost least: they share one timer. When the service says the UserSig
// expired, MarkRead drops it from the Signer, so that the next call signs
// anew.
func (c *Client) MarkRead(ctx context.Context, req chatapi.Request) Result {
	req.TimeAsString = c.cfg.TimeAsString
	res, _ := c.post(ctx, c.url, req.AppendJSON)
	return res
}

// UnreadCounts reads the unread counts of req.ToAccount's conversations
// with req.PeerAccounts (at most chatapi.MaxUnreadPeers) with
// get_c2c_unread_msg_num, under MarkRead's rules (timeout, UserSig,
// redaction). The answer's counts and peers in error come back when its
// code is 0; a 200 whose counts do not parse is a malformed answer
// (ClassRetry).
func (c *Client) UnreadCounts(ctx context.Context, req chatapi.UnreadRequest) (Result, chatapi.UnreadResponse) {
	var answer chatapi.UnreadResponse
	res, data := c.post(ctx, c.unread, func(dst []byte) []byte {
		b, _ := json.Marshal(req) // strings and a list of them: it cannot fail
		return append(dst, b...)
	})
	if res.Err != nil || res.Code != chatapi.CodeOK {
		return res, answer
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		res.Class, res.Err = chatapi.ClassRetry, fmt.Errorf("%w (%d bytes): its counts: %v", ErrMalformedResponse, len(data), err)
	}
	return res, answer
}

// post makes one call to the API at u with the body appendBody writes, and
// returns its Result and the answer's body. It blocks for at most the
// configured timeout, less if ctx is done first; a UserSig the service
// says expired is dropped from the Signer.
func (c *Client) post(ctx context.Context, u *url.URL, appendBody func([]byte) []byte) (Result, []byte) {
	sig, err := c.cfg.Signer.UserSig()
	if err != nil {
		return Result{Class: chatapi.ClassFatal, Err: err}, nil
	}
	q := c.query.Load()
	if q == nil || q.sig != sig {
		q = c.nextQuery(q, sig)
		c.query.Store(q)
	}
	cl := &call{url: *u}
	cl.url.RawQuery = string(strconv.AppendUint(append(cl.buf[:0], q.prefix...), uint64(c.cfg.Random()), 10))
	cl.body = appendBody(cl.buf[:0])

	ctx, release := c.deadlines.bound(ctx, c.cfg.Timeout)
	defer release()
	start := c.cfg.Clock.Now()
	res := c.do(ctx, cl)
	res.Latency = c.cfg.Clock.Now().Sub(start)
	if res.Info != "" || res.Err != nil {
		// Only reported text pays for the search: an OK answer has none.
		res.Info = q.sent.Redact(res.Info)
		res.Err = redactSigs(res.Err, q.sent)
	}
	if res.Class == chatapi.ClassRenew {
		c.cfg.Signer.Invalidate(sig)
	}
	return res, cl.data
}

// call holds what one call needs beyond MarkRead's frame, in one
// allocation: the request's URL, a buffer for its query and then its body,
// and one for the answer.
type call struct {
	url    url.URL
	body   []byte
	data   []byte // the answer's body, once read
	reader bytes.Reader
	buf    [384]byte
	answer [128]byte
}

func (c *Client) do(ctx context.Context, cl *call) Result {
	// As http.NewRequestWithContext builds it, without parsing the URL
	// again: the URL and the header are the client's own. The body stays a
	// *bytes.Reader in a NopCloser: net/http sends such a known in-memory
	// body in the same write as the header.
	body := cl.body
	cl.reader.Reset(body)
	hreq := (&http.Request{
		Method: http.MethodPost, URL: &cl.url, Host: cl.url.Host, Header: c.header,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: io.NopCloser(&cl.reader), ContentLength: int64(len(body)),
		GetBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
	}).WithContext(ctx)
	resp, err := c.rt.RoundTrip(hreq)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, context.DeadlineExceeded) {
			err = cause // the call ran out of time, however net/http words it
		}
		// Worded as http.Client words it (the URL is redacted below).
		err = &url.Error{Op: "Post", URL: cl.url.String(), Err: err}
		return Result{Class: chatapi.ClassRetry, Err: redactErr(err), Unreachable: unreachable(err, hreq.URL.Host)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res := DecodeResponse(resp.StatusCode, nil)
		if to, err := resp.Location(); err == nil {
			res.Err = fmt.Errorf("%w, to %s%s (redirects are not followed: they would carry the UserSig elsewhere)",
				res.Err, chatapi.RedactText(chatapi.RedactEndpoint(to.String()), maxServerText), endpointHint(to))
		}
		return res
	}
	data, ended, err := readBody(resp.Body, cl.answer[:0])
	if !ended {
		// Drain a little of any excess so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, maxResponseBytes)
	}
	if err != nil {
		return Result{Class: chatapi.ClassRetry, HTTPStatus: resp.StatusCode, Err: redactErr(err)}
	}
	cl.data = data
	res := DecodeResponse(resp.StatusCode, data)
	res.Date = resp.Header.Get("Date")
	return res
}

// readBody reads at most maxResponseBytes of body into data; ended says it
// reached the end. The answers are a few dozen bytes: data is grown only
// for a larger one.
func readBody(body io.Reader, data []byte) (_ []byte, ended bool, err error) {
	for len(data) < maxResponseBytes {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := body.Read(data[len(data):min(cap(data), maxResponseBytes)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			return data, true, nil
		}
		if err != nil {
			return data, false, err
		}
	}
	return data, false, nil
}

// ErrMalformedResponse is wrapped by a Result's Err when a 200 answer is not
// the JSON envelope.
var ErrMalformedResponse = errors.New("batch: response is not the API's JSON envelope")

// maxServerText bounds the server's text kept in a Result: an ErrorInfo,
// or a snippet of a body that is not the envelope.
const maxServerText = 200

// DecodeResponse turns an HTTP status and body into a Result (without
// Latency). A 200 with the envelope is classed by its ErrorCode (the
// ActionStatus may be missing; when it disagrees, ErrorCode wins and Info
// says so). 408, 429 (a "slow down"), 5xx and a 200 that is not the
// envelope are ClassRetry; 404 means a wrong endpoint and any other status
// a refused request: ClassFatal. Server text is redacted and cut short.
func DecodeResponse(status int, body []byte) Result {
	res := Result{HTTPStatus: status}
	if status == http.StatusOK && bytes.Equal(bytes.TrimSpace(body), chatapi.OKEnvelope) {
		return res // the common answer: ClassOK, code 0
	}
	if status != http.StatusOK {
		res.Err = fmt.Errorf("batch: HTTP status %d %s%s", status, http.StatusText(status), snippet(body))
		switch {
		case status == http.StatusRequestTimeout || status >= 500:
			res.Class = chatapi.ClassRetry
		case status == http.StatusTooManyRequests:
			res.Class, res.Throttle = chatapi.ClassRetry, true
		default:
			res.Class = chatapi.ClassFatal
		}
		return res
	}
	var env struct {
		ActionStatus *string `json:"ActionStatus"`
		ErrorInfo    string  `json:"ErrorInfo"`
		ErrorCode    *int    `json:"ErrorCode"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.ErrorCode == nil {
		res.Class = chatapi.ClassRetry
		res.Err = fmt.Errorf("%w (%d bytes)%s", ErrMalformedResponse, len(body), snippet(body))
		return res
	}
	res.Code, res.Info = *env.ErrorCode, chatapi.RedactText(env.ErrorInfo, maxServerText)
	if env.ActionStatus != nil && (*env.ActionStatus == chatapi.StatusOK) != (res.Code == chatapi.CodeOK) {
		res.Info = strings.TrimSpace(res.Info + fmt.Sprintf(" (ActionStatus %.20q disagrees with ErrorCode %d: ErrorCode decides)", *env.ActionStatus, res.Code))
	}
	code := chatapi.Lookup(res.Code)
	res.Class, res.Throttle = code.Class, code.Throttle
	return res
}

// endpointHint names the endpoint a redirect to the API at to suggests, as
// ": give ... as the endpoint", or "" when to is not the API's address.
func endpointHint(to *url.URL) string {
	base, ok := strings.CutSuffix(to.Path, chatapi.Path)
	if !ok || (to.Scheme != "http" && to.Scheme != "https") {
		return ""
	}
	endpoint := chatapi.RedactEndpoint((&url.URL{Scheme: to.Scheme, User: to.User, Host: to.Host, Path: base}).String())
	return ": give " + chatapi.RedactText(endpoint, maxServerText) + " as the endpoint"
}

// snippet quotes the start of a body that is not the envelope, redacted.
func snippet(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	return fmt.Sprintf(": %q", chatapi.RedactText(string(body), 80))
}

// unreachable says why a call got no answer from host, in words.
func unreachable(err error, host string) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var nerr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + host
	case errors.As(err, &dnsErr):
		return "DNS lookup of " + dnsErr.Name + " failed"
	case errors.As(err, &certErr), errors.As(err, &recErr), strings.Contains(err.Error(), "tls: "), strings.Contains(err.Error(), "x509: "):
		return "TLS handshake with " + host + " failed"
	case errors.As(err, &nerr) && nerr.Timeout():
		return "no answer from " + host + " before the timeout"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection to " + host + " dropped"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return host + " is unreachable"
	}
	return "cannot reach " + host
}

// redactSigs returns err with every UserSig of sent cut out of its text
// (which may quote the server: a body, a redirect's address, a malformed
// answer net/http saw), or its whole text chatapi.Withheld when it echoes
// one in disguise (see SentSigs.Redact); it wraps what err wraps.
func redactSigs(err error, sent *chatapi.SentSigs) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := sent.Redact(msg); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

// redactedError is an error whose text was redacted; Unwrap still gives
// the error it came from, for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr removes the UserSig from the URL that net/http puts in its errors.
func redactErr(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		clean := *uerr
		clean.URL = chatapi.RedactEndpoint(uerr.URL)
		var nerr net.Error
		if errors.As(uerr.Err, &nerr) && nerr.Timeout() {
			return fmt.Errorf("batch: request timed out: %w", &clean)
		}
		return &clean
	}
	return errors.New(chatapi.RedactURL(err.Error()))
}

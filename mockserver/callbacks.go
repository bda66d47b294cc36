package mockserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msgread/msgread/internal/latency"
)

// The webhooks the mock calls (see Callback).
const (
	CommandMsgReport = "C2C.CallbackAfterMsgReport"
	CommandOverLimit = "Alert.RequestOverLimit"
)

// maxCallbackAnswer is the most read of an endpoint's answer (the service
// ignores an "after" webhook's answer; it is read so that the connection
// can carry the next callback).
const maxCallbackAnswer = 64 << 10

// event is one callback waiting to be sent: a mark's report or, when api
// is set, an API's over-limit alert.
type event struct {
	report, peer string
	readTime     int64
	unread       int
	eventTime    int64 // ms
	clientIP     string

	api            string
	request, limit int
}

// Kinds of callback, as indexes of callbacks.counts.
const (
	kindReport = 0
	kindAlert  = 1
)

func (ev event) kind() int {
	if ev.api != "" {
		return kindAlert
	}
	return kindReport
}

// callbacks sends the mock's webhooks from a bounded queue with a fixed
// pool of senders, one connection each, so that however slow the app's
// endpoint, the API's answers never wait for it. Its senders run from
// newCallbacks until stop.
type callbacks struct {
	target   *url.URL
	redacted string
	app      uint64
	timeout  time.Duration
	client   *http.Client
	queue    chan event
	watches  []*overLimit
	metrics  *callbackMetrics

	ctx      context.Context // cancelled by stop: the callbacks in flight end
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once

	mu      sync.Mutex
	closed  bool
	pending int
	idle    chan struct{} // closed while nothing is pending
	counts  [2]callbackCounts
	latency *latency.Histogram // of the reports' answers
}

type callbackCounts struct {
	sent, answered, failed, dropped, pending uint64
	failedBy                                 map[string]uint64
}

// newCallbacks starts the senders of cfg (defaults filled in, validated).
func newCallbacks(cfg Callback, app uint64) *callbacks {
	target, _ := ParseCallbackURL(cfg.URL) // checked by Validate
	timeout := time.Duration(cfg.Timeout)
	tr := &http.Transport{
		// Only the URL given is called: no proxy, no redirect.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: timeout,
		MaxConnsPerHost:     cfg.Conns,
		MaxIdleConns:        cfg.Conns,
		MaxIdleConnsPerHost: cfg.Conns,
		IdleConnTimeout:     90 * time.Second,
	}
	c := &callbacks{target: target, redacted: RedactCallbackURL(target), app: app, timeout: timeout,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		queue:  make(chan event, cfg.Queue), idle: make(chan struct{}), latency: latency.New(), metrics: newCallbackMetrics()}
	close(c.idle)
	for i := range c.counts {
		c.counts[i].failedBy = map[string]uint64{}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(cfg.Conns)
	for range cfg.Conns {
		go c.send()
	}
	return c
}

// enqueue queues ev without blocking: a full queue, or a stopped sender,
// drops it.
func (c *callbacks) enqueue(ev event) {
	k := ev.kind()
	c.mu.Lock()
	queued := false
	if !c.closed {
		select {
		case c.queue <- ev:
			queued = true
			if c.pending == 0 {
				c.idle = make(chan struct{})
			}
			c.pending++
			c.counts[k].pending++
		default:
		}
	}
	if !queued {
		c.counts[k].dropped++
	}
	c.mu.Unlock()
	if !queued {
		c.metrics.dropped.WithLabelValues(commandOf(k)).Inc()
	}
}

// send is one sender: it posts the queued callbacks one at a time until
// stop.
func (c *callbacks) send() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case ev := <-c.queue:
			if c.ctx.Err() != nil {
				return // stopping: ev stays pending, unsent, as the rest of the queue
			}
			c.post(ev)
		}
	}
}

// post sends one callback and counts how it went.
func (c *callbacks) post(ev event) {
	k := ev.kind()
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url(ev), bytes.NewReader(ev.body()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "msgread-mock (callback rehearsal)")
	c.mu.Lock()
	c.counts[k].sent++
	c.mu.Unlock()
	c.metrics.sent.WithLabelValues(commandOf(k)).Inc()
	start := time.Now()
	res, err := c.client.Do(req)
	status := 0
	if err == nil {
		status = res.StatusCode
		_, err = io.Copy(io.Discard, io.LimitReader(res.Body, maxCallbackAnswer))
		res.Body.Close()
	}
	c.finish(k, failure(err, status, c.ctx), time.Since(start))
}

// tlsFailure reports whether err is the endpoint's TLS failing: a
// certificate the machine does not trust (self-signed, another host's,
// expired) or an https URL aimed at a plain http endpoint. Told apart from
// "connection", it names what to fix.
func tlsFailure(err error) bool {
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	var authority x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &header) || errors.As(err, &authority) ||
		errors.As(err, &host) || errors.As(err, &invalid) ||
		// net/http turns the plain endpoint's answer to the handshake
		// into this error, untyped.
		err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// failure names why a callback failed, "" when it was answered 2xx.
func failure(err error, status int, stopping context.Context) string {
	switch {
	case err != nil && stopping.Err() != nil:
		return "stopped"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case tlsFailure(err):
		return "tls"
	case err != nil:
		return "connection"
	case status < 200 || status > 299:
		return "http " + strconv.Itoa(status)
	}
	return ""
}

// finish counts a callback's end: answered when why is "", else failed.
// The latency of an answer, 2xx or not, is kept for reports.
func (c *callbacks) finish(k int, why string, took time.Duration) {
	c.metrics.count(commandOf(k), why, took) // before the drain can see it done
	c.mu.Lock()
	cnt := &c.counts[k]
	if why == "" {
		cnt.answered++
	} else {
		cnt.failed++
		cnt.failedBy[why]++
	}
	if k == kindReport && (why == "" || why[0] == 'h') {
		c.latency.Record(took)
	}
	cnt.pending--
	if c.pending--; c.pending == 0 {
		close(c.idle)
	}
	c.mu.Unlock()
}

// drain sends the alerts of the current second, then waits until no
// callback is queued or in flight, or ctx is done.
func (c *callbacks) drain(ctx context.Context) error {
	for _, w := range c.watches {
		w.flush()
	}
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the senders: the callbacks in flight are cut off (failed,
// "stopped"), the queued ones stay pending and are not sent, later ones
// are dropped. It returns once every sender has ended.
func (c *callbacks) stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cancel()
		c.wg.Wait()
		c.client.CloseIdleConnections()
	})
}

// watch returns the over-limit watch of an API (its command word, such as
// admin_set_msg_read), whose alerts the callbacks send.
func (c *callbacks) watch(api string, share float64) *overLimit {
	w := &overLimit{api: api, share: share, alert: func(api string, request, limit int) {
		c.enqueue(event{api: api, request: request, limit: limit})
	}}
	c.watches = append(c.watches, w)
	return w
}

// url is the callback's URL: the one configured, its own query first,
// then the service's parameters.
func (c *callbacks) url(ev event) string {
	u := *c.target
	q := "SdkAppid=" + strconv.FormatUint(c.app, 10) + "&CallbackCommand=" + commandOf(ev.kind()) + "&contenttype=json"
	if ev.kind() == kindReport {
		q += "&ClientIP=" + url.QueryEscape(ev.clientIP)
	}
	q += "&OptPlatform=RESTAPI"
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery, u.Fragment = q, ""
	return u.String()
}

// body is the callback's JSON, its fields in the documented order.
func (ev event) body() []byte {
	var v any
	if ev.kind() == kindAlert {
		v = struct {
			CallbackCommand string
			ServiceName     string
			Command         string
			Request         int
			Limit           int
		}{CommandOverLimit, serviceName, ev.api, ev.request, ev.limit}
	} else {
		v = struct {
			CallbackCommand string
			ReportAccount   string `json:"Report_Account"`
			PeerAccount     string `json:"Peer_Account"`
			LastReadTime    int64
			UnreadMsgNum    int
			EventTime       int64
		}{CommandMsgReport, ev.report, ev.peer, ev.readTime, ev.unread, ev.eventTime}
	}
	b, _ := json.Marshal(v)
	return b
}

// serviceName is the service of the APIs the mock serves, as an alert
// names it.
const serviceName = "openim"

func commandOf(kind int) string {
	if kind == kindAlert {
		return CommandOverLimit
	}
	return CommandMsgReport
}

package mockserver

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// maxBodyBytes bounds a request body; a larger one is refused as 90001.
const maxBodyBytes = 64 << 10

var envelopes = func() map[int][]byte {
	m := make(map[int][]byte)
	for _, c := range chatapi.Codes() {
		m[c.Code] = marshalEnvelope(c.Code)
	}
	return m
}()

func marshalEnvelope(code int) []byte {
	b, _ := json.Marshal(chatapi.NewResponse(code))
	return append(b, '\n')
}

// writeEnvelope answers HTTP 200 with the envelope of code.
func writeEnvelope(w http.ResponseWriter, code int) {
	b, ok := envelopes[code]
	if !ok {
		b = marshalEnvelope(code)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (s *Server) serveMarkRead(w http.ResponseWriter, r *http.Request) {
	code, req := s.check(r)
	if code == 0 {
		// A valid request: the scenario decides its latency and fault.
		dec := s.decider.decide(req.ReportAccount, req.PeerAccount, s.state.nextCall(req.ReportAccount, req.PeerAccount))
		s.stats.injected(dec.latency)
		s.metrics.latency.Observe(dec.latency.Seconds())
		if !wait(r.Context(), s.cfg.Clock, dec.latency) {
			s.stats.abandoned()
			return // the client gave up
		}
		if dec.fault != nil {
			s.stats.fault(dec.fault.Kind())
			s.metrics.faults.WithLabelValues(dec.fault.Kind()).Inc()
			if code, ok := dec.fault.Serve(w, withClock(r, s.cfg.Clock)); ok {
				s.record(code)
			} else {
				s.stats.request()
			}
			return
		}
		if code = s.mark(req); code == chatapi.CodeOK {
			s.reportRead(r, req)
		}
	}
	s.record(code)
	writeEnvelope(w, code)
}

// reportRead queues C2C.CallbackAfterMsgReport for a mark just made, when
// the mock sends callbacks. LastReadTime is the pair's read time now (a
// mark never moves it back); UnreadMsgNum is the conversation's unread
// count after it, from its history: the mock models no other conversation
// of the reporter, so this is the reporter's total when the others are
// all read.
func (s *Server) reportRead(r *http.Request, req markRequest) {
	if s.callbacks == nil {
		return
	}
	readTime, _ := s.state.readTime(req.ReportAccount, req.PeerAccount)
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	s.callbacks.enqueue(event{report: req.ReportAccount, peer: req.PeerAccount, readTime: readTime, clientIP: ip,
		unread: s.unread.history.unread(req.ReportAccount, req.PeerAccount, readTime, true), eventTime: s.cfg.Clock.Now().UnixMilli()})
}

// record counts an answer with an envelope.
func (s *Server) record(code int) {
	s.stats.record(code)
	s.metrics.requests.WithLabelValues(strconv.Itoa(code)).Inc()
}

// markRequest is a request that passed the checks: its body, and its read
// time resolved (the time of arrival when the body omits it).
type markRequest struct {
	chatapi.Request
	readTime int64
}

// mark checks the accounts and records the mark.
func (s *Server) mark(req markRequest) int {
	// An account that breaks the UserID rules cannot exist: it is answered
	// as unknown, and never stored.
	if chatapi.CheckUserID(req.ReportAccount) != "" || !s.exists(req.ReportAccount) {
		return chatapi.UnknownAccountCode("Report_Account")
	}
	if chatapi.CheckUserID(req.PeerAccount) != "" || !s.exists(req.PeerAccount) {
		return chatapi.UnknownAccountCode("Peer_Account")
	}
	s.state.mark(req.ReportAccount, req.PeerAccount, req.readTime)
	return chatapi.CodeOK
}

// check applies the service's checks in the order it plausibly does, up to
// the parsed body. It returns 0 and the request for a valid one, else the
// answer's code.
func (s *Server) check(r *http.Request) (int, markRequest) {
	var none markRequest
	now := s.cfg.Clock.Now()
	if code := s.checkCall(r, s.ceiling, now); code != 0 {
		return code, none
	}
	req, ok := parseBody(r.Body)
	if !ok {
		return chatapi.CodeBodyParse, none
	}
	readTime := now.Unix()
	if req.MsgReadTime != "" {
		readTime, _ = chatapi.ParseSeconds(req.MsgReadTime) // checked by parseBody
	}
	return 0, markRequest{Request: req, readTime: readTime}
}

// checkCall applies the checks every REST API of the service shares, up to
// the body: the method, the query, the app, the admin, the UserSig, and
// the API's own ceiling at now. It returns the answer's code, 0 to go on.
func (s *Server) checkCall(r *http.Request, ceiling *ceiling, now time.Time) int {
	if r.Method != http.MethodPost {
		return chatapi.CodeHTTPParse
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return chatapi.CodeHTTPParse
	}
	// Some published clients send a random that is no number (PHP's
	// uniqid()); the service evidently takes any, so the mock does too.
	if q.Get(chatapi.ParamRandom) == "" || q.Get(chatapi.ParamContentType) != chatapi.ContentTypeJSON {
		return chatapi.CodeHTTPParse
	}
	appParam := q.Get(chatapi.ParamSDKAppID)
	if appParam == "" {
		return chatapi.CodeSDKAppIDMissing
	}
	app, err := strconv.ParseUint(appParam, 10, 64)
	switch {
	case err != nil:
		return chatapi.CodeSDKAppIDInvalid
	case app != s.cfg.SDKAppID:
		return chatapi.CodeAppIDNotFound
	}
	identifier := q.Get(chatapi.ParamIdentifier)
	if !s.admins[identifier] {
		return chatapi.CodeNotAdmin
	}
	if code := s.sigs.verify(app, identifier, q.Get(chatapi.ParamUserSig), now, s.cfg.SigMaxAge); code != 0 {
		return code
	}
	if !s.allow(ceiling, now) {
		return s.cfg.CeilingCode
	}
	return 0
}

// allow judges a call at now under ceiling: mark-read's own takes the
// production calls due before it first.
func (s *Server) allow(ceiling *ceiling, now time.Time) bool {
	if ceiling == s.ceiling {
		return s.quota.Allow(now)
	}
	return ceiling.allow(now)
}

// parseBody decodes a request body; ok is false when it is empty, too large,
// not a JSON object of the right types, or has a MsgReadTime that is not a
// decimal number of seconds.
//
// MsgReadTime may be a string of digits, as the documentation has it, or a
// JSON integer, as the Java SDK and PHP clients send it.
func parseBody(body io.Reader) (req chatapi.Request, ok bool) {
	data, err := io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	if err != nil || len(data) == 0 || len(data) > maxBodyBytes {
		return req, false
	}
	var raw struct {
		ReportAccount string          `json:"Report_Account"`
		PeerAccount   string          `json:"Peer_Account"`
		MsgReadTime   json.RawMessage `json:"MsgReadTime"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return req, false
	}
	req.ReportAccount, req.PeerAccount = raw.ReportAccount, raw.PeerAccount
	if len(raw.MsgReadTime) > 0 && string(raw.MsgReadTime) != "null" {
		if raw.MsgReadTime[0] == '"' {
			if json.Unmarshal(raw.MsgReadTime, &req.MsgReadTime) != nil {
				return req, false
			}
		} else {
			req.MsgReadTime = string(raw.MsgReadTime)
		}
		if _, ok := chatapi.ParseSeconds(req.MsgReadTime); !ok {
			return req, false
		}
	}
	return req, true
}

func (s *Server) exists(account string) bool {
	if account == "" {
		return false
	}
	return s.users == nil || s.users[account]
}

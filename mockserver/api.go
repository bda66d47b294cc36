package mockserver

import (
	"encoding/json"
	"io"
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
		if !wait(r.Context(), dec.latency) {
			s.stats.abandoned()
			return // the client gave up
		}
		if dec.fault != nil {
			s.stats.fault(dec.fault.Kind())
			s.metrics.faults.WithLabelValues(dec.fault.Kind()).Inc()
			if cf, ok := dec.fault.(CodeFault); ok {
				s.record(cf.Code)
			} else {
				s.stats.request()
			}
			dec.fault.Serve(w, r)
			return
		}
		code = s.mark(req, s.cfg.Now())
	}
	s.record(code)
	writeEnvelope(w, code)
}

// record counts an answer with an envelope.
func (s *Server) record(code int) {
	s.stats.record(code)
	s.metrics.requests.WithLabelValues(strconv.Itoa(code)).Inc()
}

// mark checks the accounts and records the mark.
func (s *Server) mark(req chatapi.Request, now time.Time) int {
	if !s.exists(req.ReportAccount) {
		return chatapi.UnknownAccountCode("Report_Account")
	}
	if !s.exists(req.PeerAccount) {
		return chatapi.UnknownAccountCode("Peer_Account")
	}
	readTime := now.Unix()
	if req.MsgReadTime != "" {
		readTime, _ = strconv.ParseInt(req.MsgReadTime, 10, 64)
	}
	s.state.mark(req.ReportAccount, req.PeerAccount, readTime)
	return chatapi.CodeOK
}

// check applies the service's checks in the order it plausibly does, up to
// the parsed body. It returns 0 and the body for a valid request, else the
// answer's code.
func (s *Server) check(r *http.Request) (int, chatapi.Request) {
	var none chatapi.Request
	now := s.cfg.Now()
	if r.Method != http.MethodPost {
		return chatapi.CodeHTTPParse, none
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return chatapi.CodeHTTPParse, none
	}
	// This mock is stricter than the documentation: a client that sends a
	// random outside uint32 or another content type has a bug worth seeing.
	if _, err := strconv.ParseUint(q.Get(chatapi.ParamRandom), 10, 32); err != nil {
		return chatapi.CodeHTTPParse, none
	}
	if q.Get(chatapi.ParamContentType) != chatapi.ContentTypeJSON {
		return chatapi.CodeHTTPParse, none
	}

	appParam := q.Get(chatapi.ParamSDKAppID)
	if appParam == "" {
		return chatapi.CodeSDKAppIDMissing, none
	}
	app, err := strconv.ParseUint(appParam, 10, 64)
	if err != nil {
		return chatapi.CodeSDKAppIDInvalid, none
	}
	if app != s.cfg.SDKAppID {
		return chatapi.CodeAppIDNotFound, none
	}
	identifier := q.Get(chatapi.ParamIdentifier)
	if !s.admins[identifier] {
		return chatapi.CodeNotAdmin, none
	}
	if code := s.sigs.verify(app, identifier, q.Get(chatapi.ParamUserSig), now, s.cfg.SigMaxAge); code != 0 {
		return code, none
	}
	if !s.ceiling.allow(now) {
		return s.cfg.CeilingCode, none
	}
	req, ok := parseBody(r.Body)
	if !ok {
		return chatapi.CodeBodyParse, none
	}
	return 0, req
}

// parseBody decodes a request body; ok is false when it is empty, too large,
// not a JSON object of the right types, or has a MsgReadTime that is not a
// decimal number of seconds.
func parseBody(body io.Reader) (req chatapi.Request, ok bool) {
	data, err := io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	if err != nil || len(data) == 0 || len(data) > maxBodyBytes {
		return req, false
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return req, false
	}
	if req.MsgReadTime != "" {
		if !isDecimal(req.MsgReadTime) {
			return req, false
		}
		if _, err := strconv.ParseInt(req.MsgReadTime, 10, 64); err != nil {
			return req, false
		}
	}
	return req, true
}

func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (s *Server) exists(account string) bool {
	if account == "" {
		return false
	}
	return s.users == nil || s.users[account]
}

package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/msgread/msgread/batch/chatapi"
)

// unreadAPI is what get_c2c_unread_msg_num keeps apart from mark-read: its
// own ceiling (the service limits each API to 200 calls/s), the history
// it counts from, how many times each call was made (for its faults'
// draws) and its counters.
type unreadAPI struct {
	ceiling *ceiling
	history history

	mu     sync.Mutex
	calls  map[string]uint64 // valid calls by their body, for the fault draws
	byCode map[int]uint64    // answers by ErrorCode
	total  uint64
}

func newUnreadAPI(cfg Config, steps []CeilingStep) *unreadAPI {
	h := DefaultHistory
	if cfg.History != nil {
		h = *cfg.History
	}
	return &unreadAPI{ceiling: newCeilingKind(cfg.CeilingKind, cfg.CeilingBurst, cfg.Ceiling, steps), history: newHistory(h, cfg.Clock.Now(), cfg.Seed),
		calls: map[string]uint64{}, byCode: map[int]uint64{}}
}

// next counts a valid call with this key and returns how many came before.
func (u *unreadAPI) next(key string) uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := u.calls[key]
	u.calls[key] = n + 1
	return n
}

func (u *unreadAPI) record(code int) {
	u.mu.Lock()
	u.total++
	u.byCode[code]++
	u.mu.Unlock()
}

// snapshot returns the API's counters.
func (u *unreadAPI) snapshot() APIStats {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := APIStats{Requests: u.total, ByCode: make(map[string]uint64, len(u.byCode))}
	for code, n := range u.byCode {
		st.ByCode[strconv.Itoa(code)] = n
	}
	return st
}

func (u *unreadAPI) reset() {
	u.mu.Lock()
	clear(u.calls)
	clear(u.byCode)
	u.total = 0
	u.mu.Unlock()
}

// APIStats counts the calls of one more API than mark-read.
type APIStats struct {
	Requests uint64            `json:"requests"`
	ByCode   map[string]uint64 `json:"by_code"`
}

// serveUnread answers get_c2c_unread_msg_num: the shared checks and its
// own ceiling, then the body (To_Account required and known, at most 10
// peers), the scenario's latency and faults (but ignore, which is about
// marks), and the counts from each pair's history and mark.
func (s *Server) serveUnread(w http.ResponseWriter, r *http.Request) {
	code := s.checkCall(r, s.unread.ceiling, s.cfg.Clock.Now())
	var req chatapi.UnreadRequest
	if code == 0 {
		code, req = s.parseUnread(r.Body)
	}
	if code != 0 {
		res := chatapi.UnreadResponse{Response: chatapi.NewResponse(code)}
		if code == chatapi.CodeUnknownPeer {
			// This API's 90003 names To_Account (the shared table's text,
			// for mark-read, names Peer_Account).
			res.ErrorInfo = "To_Account is missing or does not exist"
		}
		s.answerUnread(w, res)
		return
	}
	peers := strings.Join(req.PeerAccounts, ",")
	dec := s.decider.decide(req.ToAccount, "\x00unread\x00"+peers, s.unread.next(req.ToAccount+"\x00"+peers))
	s.metrics.latency.Observe(dec.latency.Seconds())
	if !wait(r.Context(), s.cfg.Clock, dec.latency) {
		return // the client gave up
	}
	if _, ignore := dec.fault.(*IgnoreFault); dec.fault != nil && !ignore {
		s.metrics.faults.WithLabelValues(dec.fault.Kind()).Inc()
		if code, ok := dec.fault.Serve(w, withClock(r, s.cfg.Clock)); ok {
			s.unread.record(code)
			s.metrics.unread.WithLabelValues(strconv.Itoa(code)).Inc()
		}
		return
	}
	s.answerUnread(w, s.counts(req))
}

// parseUnread decodes and checks an unread-count body: 90001 when it is no
// JSON object of the right types or names more than 10 peers, 90003 when
// To_Account is missing or unknown.
func (s *Server) parseUnread(body io.Reader) (int, chatapi.UnreadRequest) {
	var req chatapi.UnreadRequest
	data, err := io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	if err != nil || len(data) == 0 || len(data) > maxBodyBytes || !isObject(data) || json.Unmarshal(data, &req) != nil || len(req.PeerAccounts) > chatapi.MaxUnreadPeers {
		return chatapi.CodeBodyParse, req
	}
	if chatapi.CheckUserID(req.ToAccount) != "" || !s.exists(req.ToAccount) {
		return chatapi.CodeUnknownPeer, req
	}
	return 0, req
}

// counts answers a valid request from the history and the marks.
func (s *Server) counts(req chatapi.UnreadRequest) chatapi.UnreadResponse {
	res := chatapi.UnreadResponse{Response: chatapi.NewResponse(chatapi.CodeOK)}
	if len(req.PeerAccounts) == 0 {
		all := 0
		res.AllUnread = &all // the total over every conversation is not modelled: peers are asked for
		return res
	}
	for _, p := range req.PeerAccounts {
		if chatapi.CheckUserID(p) != "" || !s.exists(p) {
			res.Errors = append(res.Errors, chatapi.PeerError{PeerAccount: p, ErrorCode: chatapi.CodeAccountNotFound})
			continue
		}
		readTime, marked := s.state.readTime(req.ToAccount, p)
		res.Peers = append(res.Peers, chatapi.PeerUnread{PeerAccount: p, Unread: s.unread.history.unread(req.ToAccount, p, readTime, marked)})
	}
	return res
}

// answerUnread writes an unread-count answer and counts it.
func (s *Server) answerUnread(w http.ResponseWriter, res chatapi.UnreadResponse) {
	if res.ErrorCode != chatapi.CodeOK && res.ErrorInfo == "" {
		res.ErrorInfo = chatapi.Lookup(res.ErrorCode).Info
	}
	b, _ := json.Marshal(res)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(append(b, '\n'))
	s.unread.record(res.ErrorCode)
	s.metrics.unread.WithLabelValues(strconv.Itoa(res.ErrorCode)).Inc()
}

// isObject says the body is a JSON object (null and lists decode into a
// struct without error, and are none).
func isObject(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

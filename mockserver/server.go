// Package mockserver is an in-process mock of Tencent Cloud Chat's
// v4/openim/admin_set_msg_read. It checks requests as the real service does
// (query, UserSig, admin, ceiling, body, accounts), answers with the
// documented codes, and remembers every mark, for offline rehearsals and
// tests. A Server is an http.Handler and can also serve itself on loopback.
// Given a callback URL, it also calls the app's webhooks there, as the
// service does (see Callback).
package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/clock"
)

// Defaults of Config.
const (
	DefaultSDKAppID = 1400000000
	DefaultAdmin    = "administrator"
	// DefaultCeiling is the documented limit of the API, calls per second.
	DefaultCeiling = 200
)

// DefaultReadTimeout bounds the time a request may take to arrive.
const DefaultReadTimeout = 15 * time.Second

// DevKey is the secret key used when none is configured. It is for local
// rehearsals only and is published in the README.
var DevKey = chatapi.NewSecret("msgread-development-key-not-a-secret")

// Config configures a Server. The zero value is a mock of app
// DefaultSDKAppID with admin DefaultAdmin, key DevKey, every user existing
// and the documented ceiling.
type Config struct {
	// SDKAppID is the app the mock serves; zero means DefaultSDKAppID.
	SDKAppID uint64
	// Admins are the app admin accounts; empty means DefaultAdmin alone.
	Admins []string
	// Key is the app's secret key; empty means DevKey.
	Key chatapi.Secret
	// Users restricts the existing accounts; nil means every account exists.
	Users []string
	// Scenario is the latency added before every answer to a valid
	// request, the faults that answer instead of the service (each with its
	// probability per request; they add up to at most 1), and the ceiling
	// (zero means DefaultCeiling, negative none) with its code (zero means
	// 60007); and, when set, production traffic, the conversations'
	// history and the app's webhooks (Callback: its senders run from New
	// until Close or Shutdown).
	Scenario
	// Seed makes latency and faults reproducible: the draw for a request is
	// a pure function of (Seed, report account, peer account, how many times
	// the pair was called before).
	Seed uint64
	// SigMaxAge, when positive, treats UserSigs signed longer ago than this as
	// expired even when their own lifetime has not run out.
	SigMaxAge time.Duration
	// Clock is the mock's time: the ceiling's and the stats' seconds, the
	// age of UserSigs and the read time of a mark are read off it, and the
	// latency and hangs wait on it. Nil means the wall clock. It is the type
	// batch.Clock names, so a run and its mock can share one; on a fake
	// clock a test drives the mock without sleeping. The HTTP server's own
	// timeouts (ReadTimeout) stay on real time.
	Clock clock.Clock
	// ReadTimeout bounds the time a request may take to arrive, body
	// included, once the mock serves itself; zero means DefaultReadTimeout.
	ReadTimeout time.Duration
	// ReadoutToken, when set, must come as "Authorization: Bearer TOKEN"
	// with the read-outs that reveal or change the mock's state
	// (/mock/state, /mock/reset, /metrics).
	ReadoutToken string
}

// Server is the mock. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	admins  map[string]bool
	users   map[string]bool // nil: all exist
	sigs    *sigCache
	ceiling *ceiling
	state   *state
	stats   *stats
	metrics *metrics
	decider *decider
	mux     *http.ServeMux
	dumping chan struct{} // one /mock/state at a time
	unread  *unreadAPI    // get_c2c_unread_msg_num's ceiling, history and counts
	// production is the app's own traffic under the mark-read ceiling;
	// nil without one.
	production *production
	// quota judges mark-read's calls: its ceiling with production first.
	quota Quota
	// callbacks sends the app's webhooks; nil without a callback URL.
	callbacks *callbacks
	// productionBefore is production's counts before the last reset, for
	// /metrics, whose counters never go down.
	productionMu     sync.Mutex
	productionBefore ProductionStats

	mu   sync.Mutex
	hs   *http.Server
	ln   net.Listener
	url  string
	done chan struct{}
}

// New validates cfg and returns a Server that is not yet listening.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Scenario.Validate(); err != nil {
		return nil, err
	}
	var steps []CeilingStep
	if cfg.CeilingSteps != "" {
		steps, _ = ParseCeilingSteps(cfg.CeilingSteps) // checked by Validate
	}
	s := &Server{
		decider: cfg.decider(),
		cfg:     cfg,
		admins:  make(map[string]bool, len(cfg.Admins)),
		sigs:    newSigCache(cfg.Key),
		ceiling: newCeilingKind(cfg.CeilingKind, cfg.CeilingBurst, cfg.Ceiling, steps),
		unread:  newUnreadAPI(cfg, steps),
		state:   newState(),
		stats:   newStats(cfg.Clock.Now),
		mux:     http.NewServeMux(),
		dumping: make(chan struct{}, 1),
	}
	s.production = newProduction(cfg.Production, cfg.Clock.Now(), cfg.Seed)
	s.quota = Quota{ceiling: s.ceiling, production: s.production}
	s.metrics = newMetrics(s.state.len, s.productionTotal)
	for _, a := range cfg.Admins {
		if a == "" {
			return nil, errors.New("mockserver: an admin account is empty")
		}
		s.admins[a] = true
	}
	if cfg.Users != nil {
		s.users = make(map[string]bool, len(cfg.Users))
		for _, u := range cfg.Users {
			s.users[u] = true
		}
	}
	s.route()
	// Last, once nothing can fail: from here the Server must be closed.
	if cb := cfg.Callback; cb != nil {
		s.startCallbacks(cb.withDefaults())
	}
	return s, nil
}

// startCallbacks starts the senders of the app's webhooks, and has both
// APIs' ceilings watched for over-limit alerts.
func (s *Server) startCallbacks(cb Callback) {
	s.callbacks = newCallbacks(cb, s.cfg.SDKAppID)
	s.ceiling.watch = s.callbacks.watch(path.Base(chatapi.Path), cb.AlertAt)
	s.unread.ceiling.watch = s.callbacks.watch(path.Base(chatapi.PathUnread), cb.AlertAt)
	s.metrics.reg.MustRegister(s.callbacks.collectors()...)
}

// withDefaults returns cfg with its zero fields that have a default set.
func (cfg Config) withDefaults() Config {
	if cfg.SDKAppID == 0 {
		cfg.SDKAppID = DefaultSDKAppID
	}
	if len(cfg.Admins) == 0 {
		cfg.Admins = []string{DefaultAdmin}
	}
	if cfg.Key.IsZero() {
		cfg.Key = DevKey
	}
	if cfg.Ceiling == 0 {
		cfg.Ceiling = DefaultCeiling
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.CeilingCode == 0 {
		cfg.CeilingCode = chatapi.CodeRateLimited
	}
	return cfg
}

// decider returns what decides each request's latency and fault, from the
// seed and the scenario.
func (cfg Config) decider() *decider {
	faults := make([]Fault, len(cfg.Faults))
	probs := make([]float64, len(cfg.Faults))
	for i, spec := range cfg.Faults {
		faults[i], probs[i] = spec.Fault, spec.Probability
	}
	return newDecider(cfg.Seed, cfg.Latency, faults, probs)
}

// route registers the API and the mock's read-outs on s.mux.
func (s *Server) route() {
	s.mux.HandleFunc(chatapi.Path, s.serveMarkRead)
	s.mux.HandleFunc(chatapi.PathUnread, s.serveUnread)
	s.mux.HandleFunc("GET /mock/stats", s.serveStats)
	s.mux.Handle("GET /mock/state", s.guard(http.HandlerFunc(s.serveState)))
	s.mux.Handle("POST /mock/reset", s.guard(http.HandlerFunc(s.serveReset)))
	s.mux.Handle("GET /metrics", s.guard(s.metrics.handler()))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.HandleFunc("/", s.serveUnknown)
}

// Config returns the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// CeilingAt returns the calls a second the mock accepts at t (0 or less for
// no limit): its ceiling, or the ceiling's step at t when it has steps.
func (s *Server) CeilingAt(t time.Time) int { return s.ceiling.at(t, false) }

// LeftAt returns the calls a second the mock leaves a client at t: its
// ceiling less its production traffic's rate, 0 when production takes it
// all (negative for no limit).
func (s *Server) LeftAt(t time.Time) int {
	c := s.CeilingAt(t)
	if s.production == nil || c <= 0 {
		return c
	}
	return max(c-int(s.production.rateAt(t)), 0)
}

// Production returns the production calls made so far and those refused
// (zero without production traffic).
func (s *Server) Production() ProductionStats { return s.productionCounts() }

// Callbacks returns what the app's webhooks did so far; nil without a
// callback URL.
func (s *Server) Callbacks() *CallbackStats {
	if s.callbacks == nil {
		return nil
	}
	st := s.callbacks.snapshot()
	return &st
}

// DrainCallbacks sends the over-limit alerts of the current second, then
// waits until no callback is queued or in flight, or until ctx is done
// (it then returns ctx's error). Calls that keep coming keep it waiting:
// drain once the clients are done. Without a callback URL it returns nil
// at once. It is safe to call from several goroutines.
func (s *Server) DrainCallbacks(ctx context.Context) error {
	if s.callbacks == nil {
		return nil
	}
	return s.callbacks.drain(ctx)
}

// ServeHTTP serves the API and the mock's read-outs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Start listens on addr ("" means 127.0.0.1:0, a free loopback port) and
// serves in the background until Close or Shutdown. URL then gives the base
// URL.
func (s *Server) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mockserver: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs != nil {
		ln.Close()
		return errors.New("mockserver: already started")
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	// A slow or idle client cannot hold a connection for ever: the whole
	// request must arrive within ReadTimeout, and an idle keep-alive
	// connection is closed after IdleTimeout.
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: s.cfg.ReadTimeout,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		_ = s.hs.Serve(ln)
	}()
	return nil
}

// URL returns the base URL the server listens on, such as
// "http://127.0.0.1:41234", or "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Shutdown stops accepting connections and waits, until ctx is done, for the
// requests in flight to finish; then it closes the connections still open
// (a client holding one cannot keep the mock from stopping). With a
// callback URL, it then delivers the callbacks still queued until ctx is
// done, and stops their senders (see Close). It returns nil.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	hs, done := s.hs, s.done
	s.mu.Unlock()
	defer s.stopCallbacks(ctx, true)
	if hs == nil {
		return nil
	}
	if err := hs.Shutdown(ctx); err != nil {
		// The deadline passed with connections still busy: close them.
		if cerr := hs.Close(); cerr != nil {
			<-done
			return cerr
		}
	}
	<-done
	return nil
}

// Close stops the server at once, closing every connection, and waits for
// its serving goroutine to end. With a callback URL, the callbacks in
// flight are cut off (failed, "stopped"), the queued ones are never sent
// (they stay pending) and the senders end. A Server with a callback URL
// must be closed (or shut down), even when it never listened: its senders
// run from New.
func (s *Server) Close() error {
	s.mu.Lock()
	hs, done := s.hs, s.done
	s.mu.Unlock()
	defer s.stopCallbacks(context.Background(), false)
	if hs == nil {
		return nil
	}
	err := hs.Close()
	<-done
	return err
}

// StopCallbacks sends the over-limit alerts of the current second and
// delivers the queued callbacks until ctx is done, then stops the senders
// as Close does: once it returns, the counts are final (a callback of a
// later mark is dropped). Without a callback URL it does nothing. It is
// safe to call from several goroutines, and with Close and Shutdown.
func (s *Server) StopCallbacks(ctx context.Context) { s.stopCallbacks(ctx, true) }

// stopCallbacks stops the callbacks' senders; with deliver, it first
// sends the queued callbacks until ctx is done.
func (s *Server) stopCallbacks(ctx context.Context, deliver bool) {
	if s.callbacks == nil {
		return
	}
	if deliver {
		_ = s.callbacks.drain(ctx)
	}
	s.callbacks.stop()
}

// Stats returns the counters of GET /mock/stats.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot(s.cfg.Clock.Now())
	st.Marks = s.state.len()
	st.Scenario, st.Seed = s.cfg.Scenario.Name, s.cfg.Seed
	st.Unread = s.unread.snapshot()
	if s.production != nil {
		p := s.productionCounts()
		st.Production = &p
	}
	st.Callbacks = s.Callbacks()
	return st
}

// Marks returns every pair marked read, sorted.
func (s *Server) Marks() []Mark { return s.state.snapshot() }

// Reset forgets the marks and zeroes the counters of Stats (GET
// /mock/stats), which then count from the reset. The Prometheus counters
// of GET /metrics go on from where they were: a counter never goes down.
func (s *Server) Reset() ResetAnswer {
	s.state.reset()
	resets, since := s.stats.reset()
	s.ceiling.reset()
	s.unread.ceiling.reset()
	s.unread.reset()
	if s.production != nil {
		s.resetProduction()
	}
	if s.callbacks != nil {
		s.callbacks.reset()
	}
	s.metrics.resets.Inc()
	return ResetAnswer{Resets: resets, CountingSince: since, Note: resetNote}
}

// ResetAnswer is POST /mock/reset's answer: the resets so far, when the
// counts of /mock/stats start again, and what a reset does to /metrics.
type ResetAnswer struct {
	Resets        uint64    `json:"resets"`
	CountingSince time.Time `json:"counting_since"`
	Note          string    `json:"note"`
}

// resetNote says what a reset zeroes and what it cannot.
const resetNote = "the marks and /mock/stats start again from zero; the counters of /metrics do not: " +
	"a Prometheus counter never goes down, so they count from the mock's start, resets included " +
	"(msgread_mock_resets_total counts the resets; compare with /mock/stats through increase() since counting_since)"

// resetProduction zeroes the production traffic's counts, adding them to
// those /metrics keeps from before the reset.
func (s *Server) resetProduction() {
	s.productionMu.Lock()
	defer s.productionMu.Unlock()
	p := s.productionCounts()
	s.production.reset(s.cfg.Clock.Now())
	s.productionBefore.Calls += p.Calls
	s.productionBefore.Refused += p.Refused
}

// productionTotal is the production traffic's counts since the mock
// started, resets included, for /metrics' counters.
func (s *Server) productionTotal() ProductionStats {
	s.productionMu.Lock()
	defer s.productionMu.Unlock()
	p := s.productionCounts()
	return ProductionStats{Calls: s.productionBefore.Calls + p.Calls, Refused: s.productionBefore.Refused + p.Refused}
}

// productionCounts is the production traffic's counters now (zero
// without any), for /metrics.
func (s *Server) productionCounts() ProductionStats {
	return s.quota.Production(s.cfg.Clock.Now())
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s.Stats())
}

// guard asks for the read-out token, when one is set.
func (s *Server) guard(h http.Handler) http.Handler {
	if s.cfg.ReadoutToken == "" {
		return h
	}
	want := []byte("Bearer " + s.cfg.ReadoutToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "this read-out needs the mock's read-out token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveState writes the marks as CSV. One dump runs at a time, so that
// concurrent requests never hold more than one copy of a large state.
func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	select {
	case s.dumping <- struct{}{}:
		defer func() { <-s.dumping }()
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	_ = writeStateCSV(w, s.Marks())
}

func (s *Server) serveReset(w http.ResponseWriter, _ *http.Request) {
	answer := s.Reset()
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(answer)
}

// serveUnknown answers any other path as the service does: 60009.
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	s.record(chatapi.CodeBadPath)
	writeEnvelope(w, chatapi.CodeBadPath)
}

// ReadUsers reads a users file: one UserID a line; blank lines and lines
// starting with '#' are skipped, surrounding spaces trimmed. A line that is
// no UTF-8 text (NUL bytes, invalid UTF-8: a binary file, /dev/urandom)
// ends it with an error, as does a read error or a line over 64 KiB.
func ReadUsers(r io.Reader) ([]string, error) {
	users := []string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		if b := sc.Bytes(); bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
			return nil, fmt.Errorf("mockserver: reading users: line %d is not UTF-8 text (NUL bytes or invalid UTF-8): not a users file", n)
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		users = append(users, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mockserver: reading users: %w", err)
	}
	return users, nil
}

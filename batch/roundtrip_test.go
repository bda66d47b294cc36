package batch_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/fakeclock"
	"github.com/msgread/msgread/mockserver"
)

// newFakeClock returns a clock shared by a signer, a mock and a runner.
func newFakeClock() *fakeclock.Clock { return fakeclock.New(time.Now()) }

// startMock starts a mock on loopback for the test's lifetime.
func startMock(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type clientOpts struct {
	endpoint string
	app      uint64
	admin    string
	key      chatapi.Secret
	ttl      time.Duration
	clock    batch.Clock
}

func newClient(t *testing.T, srv *mockserver.Server, o clientOpts) *batch.Client {
	t.Helper()
	cfg := srv.Config()
	if o.endpoint == "" {
		o.endpoint = srv.URL()
	}
	if o.app == 0 {
		o.app = cfg.SDKAppID
	}
	if o.admin == "" {
		o.admin = cfg.Admins[0]
	}
	if o.key.IsZero() {
		o.key = cfg.Key
	}
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: o.app, Admin: o.admin, Key: o.key, TTL: o.ttl, Clock: o.clock})
	if err != nil {
		t.Fatal(err)
	}
	c, err := batch.NewClient(batch.ClientConfig{Endpoint: o.endpoint, SDKAppID: o.app, Admin: o.admin, Signer: signer, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawCall sends a hand-made request to the mock and decodes the answer as the
// client would.
func rawCall(t *testing.T, method, rawURL, body string) batch.Result {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return batch.DecodeResponse(resp.StatusCode, data)
}

func validSig(t *testing.T, srv *mockserver.Server) string {
	t.Helper()
	cfg := srv.Config()
	return signWith(t, cfg.SDKAppID, cfg.Admins[0], cfg.Key)
}

func apiURL(srv *mockserver.Server, query string) string {
	return srv.URL() + chatapi.Path + "?" + query
}

var pairAB = chatapi.Request{ReportAccount: "alice", PeerAccount: "bob"}

// TestRoundTrip drives every code the mock can produce through the real
// client (or, where the client cannot make the mistake, a hand-made request)
// and checks the code, its documented text and its class.
func TestRoundTrip(t *testing.T) {
	clock := newFakeClock()
	users := []string{"alice", "bob"}
	type call func(t *testing.T, srv *mockserver.Server) batch.Result
	viaClient := func(o clientOpts, req chatapi.Request) call {
		return func(t *testing.T, srv *mockserver.Server) batch.Result {
			return newClient(t, srv, o).MarkRead(context.Background(), req)
		}
	}
	query := func(srv *mockserver.Server, sig string) url.Values {
		q := url.Values{}
		q.Set("sdkappid", "1400000000")
		q.Set("identifier", mockserver.DefaultAdmin)
		q.Set("usersig", sig)
		q.Set("random", "12345")
		q.Set("contenttype", "json")
		return q
	}
	viaRaw := func(method string, edit func(q url.Values), rawQuery, body string) call {
		return func(t *testing.T, srv *mockserver.Server) batch.Result {
			q := query(srv, validSig(t, srv))
			if edit != nil {
				edit(q)
			}
			qs := q.Encode()
			if rawQuery != "" {
				qs = rawQuery
			}
			return rawCall(t, method, apiURL(srv, qs), body)
		}
	}
	tests := []struct {
		name  string
		cfg   mockserver.Config
		call  call
		code  int
		class chatapi.Class
		// check runs after the call, for the cases that change the state.
		check func(t *testing.T, srv *mockserver.Server)
	}{
		{name: "ok without MsgReadTime marks now", call: viaClient(clientOpts{}, pairAB), code: 0, class: chatapi.ClassOK,
			check: func(t *testing.T, srv *mockserver.Server) {
				marks := srv.Marks()
				if len(marks) != 1 || marks[0].ReadTime != clock.Now().Unix() || marks[0].Calls != 1 {
					t.Errorf("marks = %+v, want alice→bob at now (%d), 1 call", marks, clock.Now().Unix())
				}
			}},
		{name: "ok with MsgReadTime marks that time", call: viaClient(clientOpts{}, chatapi.Request{ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1700000000"}), code: 0, class: chatapi.ClassOK,
			check: func(t *testing.T, srv *mockserver.Server) {
				marks := srv.Marks()
				if len(marks) != 1 || marks[0].ReadTime != 1700000000 {
					t.Errorf("marks = %+v, want alice→bob at 1700000000", marks)
				}
			}},
		{name: "GET is 60002", call: viaRaw(http.MethodGet, nil, "", ""), code: 60002, class: chatapi.ClassFatal},
		{name: "malformed query is 60002", call: viaRaw(http.MethodPost, nil, "sdkappid=%zz", "{}"), code: 60002, class: chatapi.ClassFatal},
		{name: "a missing random is 60002", call: viaRaw(http.MethodPost, func(q url.Values) { q.Del("random") }, "", `{"Report_Account":"alice","Peer_Account":"bob"}`), code: 60002, class: chatapi.ClassFatal},
		{name: "a random that is no number is taken, as the service does", call: viaRaw(http.MethodPost, func(q url.Values) { q.Set("random", "5f3a9c1e2b") }, "", `{"Report_Account":"alice","Peer_Account":"bob"}`), code: 0, class: chatapi.ClassOK},
		{name: "MsgReadTime as a JSON number is taken", call: viaRaw(http.MethodPost, nil, "", `{"Report_Account":"alice","Peer_Account":"bob","MsgReadTime":1700000000}`), code: 0, class: chatapi.ClassOK},
		{name: "MsgReadTime as a negative number is 90001", call: viaRaw(http.MethodPost, nil, "", `{"Report_Account":"alice","Peer_Account":"bob","MsgReadTime":-5}`), code: 90001, class: chatapi.ClassFatal},
		{name: "an account over 32 bytes is unknown", call: viaRaw(http.MethodPost, nil, "", `{"Report_Account":"`+strings.Repeat("a", 33)+`","Peer_Account":"bob"}`), code: 90008, class: chatapi.ClassPerRow},
		{name: "a peer with a zero-width space is unknown", call: viaRaw(http.MethodPost, nil, "", `{"Report_Account":"alice","Peer_Account":"b\u200bob"}`), code: 90003, class: chatapi.ClassPerRow},
		{name: "unknown path is 60009", call: viaClient(clientOpts{endpoint: "PREFIX/v3"}, pairAB), code: 60009, class: chatapi.ClassFatal},
		{name: "missing sdkappid is 60012", call: viaRaw(http.MethodPost, func(q url.Values) { q.Del("sdkappid") }, "", "{}"), code: 60012, class: chatapi.ClassFatal},
		{name: "non-numeric sdkappid is 60006", call: viaRaw(http.MethodPost, func(q url.Values) { q.Set("sdkappid", "abc") }, "", "{}"), code: 60006, class: chatapi.ClassFatal},
		{name: "another app is 70020", call: viaClient(clientOpts{app: 1400000001}, pairAB), code: 70020, class: chatapi.ClassFatal},
		{name: "not an admin is 60010", call: viaClient(clientOpts{admin: "mallory"}, pairAB), code: 60010, class: chatapi.ClassFatal},
		{name: "empty usersig is 70002", call: viaRaw(http.MethodPost, func(q url.Values) { q.Set("usersig", "") }, "", "{}"), code: 70002, class: chatapi.ClassFatal},
		{name: "garbage usersig is 70003", call: viaRaw(http.MethodPost, func(q url.Values) { q.Set("usersig", "eAEAxyz") }, "", "{}"), code: 70003, class: chatapi.ClassFatal},
		{name: "usersig of another app is 70014", cfg: mockserver.Config{Admins: []string{"administrator"}},
			call: viaRaw(http.MethodPost, func(q url.Values) { q.Set("usersig", signFor(t, 1400000001, "administrator")) }, "", "{}"), code: 70014, class: chatapi.ClassFatal},
		{name: "usersig of another admin is 70013", cfg: mockserver.Config{Admins: []string{"administrator", "other"}},
			call: viaRaw(http.MethodPost, func(q url.Values) { q.Set("usersig", signFor(t, 1400000000, "other")) }, "", "{}"), code: 70013, class: chatapi.ClassFatal},
		{name: "expired usersig is 70001", cfg: mockserver.Config{Clock: fakeclock.New(clock.Now().Add(time.Hour))},
			call: viaClient(clientOpts{ttl: time.Minute}, pairAB), code: 70001, class: chatapi.ClassRenew},
		{name: "wrong key is 70009", call: viaClient(clientOpts{key: chatapi.NewSecret("not-the-key")}, pairAB), code: 70009, class: chatapi.ClassFatal},
		{name: "over the ceiling is 60007", cfg: mockserver.Config{Scenario: mockserver.Scenario{Ceiling: 1}},
			call: func(t *testing.T, srv *mockserver.Server) batch.Result {
				c := newClient(t, srv, clientOpts{})
				if r := c.MarkRead(context.Background(), pairAB); r.Code != 0 {
					t.Fatalf("first call: code %d, want 0", r.Code)
				}
				return c.MarkRead(context.Background(), pairAB)
			}, code: 60007, class: chatapi.ClassRetry,
			check: func(t *testing.T, srv *mockserver.Server) {
				if m := srv.Marks(); len(m) != 1 || m[0].Calls != 1 {
					t.Errorf("marks = %+v, want only the first call's", m)
				}
			}},
		{name: "body not JSON is 90001", call: viaRaw(http.MethodPost, nil, "", "not json"), code: 90001, class: chatapi.ClassFatal},
		{name: "empty body is 90001", call: viaRaw(http.MethodPost, nil, "", ""), code: 90001, class: chatapi.ClassFatal},
		{name: "non-decimal MsgReadTime is 90001", call: viaClient(clientOpts{}, chatapi.Request{ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1.5e9"}), code: 90001, class: chatapi.ClassFatal},
		{name: "unknown Report_Account is 90008", cfg: mockserver.Config{Users: users},
			call: viaClient(clientOpts{}, chatapi.Request{ReportAccount: "carol", PeerAccount: "bob"}), code: 90008, class: chatapi.ClassPerRow},
		{name: "missing Report_Account is 90008", call: viaClient(clientOpts{}, chatapi.Request{PeerAccount: "bob"}), code: 90008, class: chatapi.ClassPerRow},
		{name: "unknown Peer_Account is 90003", cfg: mockserver.Config{Users: users},
			call: viaClient(clientOpts{}, chatapi.Request{ReportAccount: "alice", PeerAccount: "carol"}), code: 90003, class: chatapi.ClassPerRow},
	}
	seen := map[int]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.Clock == nil {
				cfg.Clock = clock
			}
			srv := startMock(t, cfg)
			if strings.HasPrefix(tt.name, "unknown path") {
				tt.call = viaClient(clientOpts{endpoint: srv.URL() + "/v3"}, pairAB)
			}
			res := tt.call(t, srv)
			if res.Err != nil {
				t.Fatalf("transport error: %v", res.Err)
			}
			if res.Code != tt.code || res.Class != tt.class || res.HTTPStatus != 200 {
				t.Fatalf("got code %d class %v status %d, want code %d class %v status 200", res.Code, res.Class, res.HTTPStatus, tt.code, tt.class)
			}
			if want := chatapi.Lookup(tt.code).Info; res.Info != want {
				t.Errorf("ErrorInfo = %q, want the documented %q", res.Info, want)
			}
			if tt.check == nil && tt.code != 0 && len(srv.Marks()) != 0 {
				t.Errorf("a refused call left marks: %+v", srv.Marks())
			}
			if tt.check != nil {
				tt.check(t, srv)
			}
			if got := srv.Stats().ByCode[itoa(tt.code)]; got == 0 {
				t.Errorf("stats by_code[%d] = 0 after the call", tt.code)
			}
			seen[tt.code] = true
		})
	}
	// Every code the mock can answer must be covered above.
	for _, code := range []int{0, 60002, 60006, 60007, 60009, 60010, 60012, 70001, 70002, 70003, 70009, 70013, 70014, 70020, 90001, 90003, 90008} {
		if !seen[code] {
			t.Errorf("code %d has no round-trip case", code)
		}
	}
}

func signFor(t *testing.T, app uint64, admin string) string {
	t.Helper()
	return signWith(t, app, admin, mockserver.DevKey)
}

func signWith(t *testing.T, app uint64, admin string, key chatapi.Secret) string {
	t.Helper()
	s, err := batch.NewSigner(batch.SignerConfig{SDKAppID: app, Admin: admin, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.UserSig()
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRandomFullRange checks that the extremes of the random parameter reach
// the mock intact.
func TestRandomFullRange(t *testing.T) {
	srv := startMock(t, mockserver.Config{})
	for _, r := range []uint32{0, math.MaxUint32} {
		signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Key: mockserver.DevKey})
		c, err := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL(), SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Signer: signer, Random: func() uint32 { return r }})
		if err != nil {
			t.Fatal(err)
		}
		if res := c.MarkRead(context.Background(), pairAB); res.Code != 0 || res.Err != nil {
			t.Errorf("random=%d: code %d err %v, want ok", r, res.Code, res.Err)
		}
	}
}

// TestRenewAfterExpiredAnswer checks that a 70001 drops the cached UserSig,
// so that the next call signs anew instead of reusing the refused one.
func TestRenewAfterExpiredAnswer(t *testing.T) {
	clock := newFakeClock()
	srv := startMock(t, mockserver.Config{Clock: clock, SigMaxAge: time.Hour})
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Key: mockserver.DevKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL(), SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.MarkRead(context.Background(), pairAB); res.Code != 0 {
		t.Fatalf("first call: %d", res.Code)
	}
	// The signer's own clock stands still, so on its own it would keep its
	// UserSig; the mock's clock says that UserSig is now too old.
	clock.Advance(2 * time.Hour)
	res := c.MarkRead(context.Background(), pairAB)
	if res.Code != chatapi.CodeSigExpired || res.Class != chatapi.ClassRenew {
		t.Fatalf("after expiry: code %d class %v, want 70001 renew", res.Code, res.Class)
	}
	if n := signer.Signings(); n != 1 {
		t.Fatalf("signings before the next call = %d, want 1", n)
	}
	c.MarkRead(context.Background(), pairAB)
	if n := signer.Signings(); n != 2 {
		t.Errorf("signings after a 70001 = %d, want 2: the refused UserSig was reused", n)
	}
}

package mockserver_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/fakeclock"
	"github.com/msgread/msgread/mockserver"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

func newMock(t testing.TB, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func devSig(t testing.TB) string {
	t.Helper()
	sig, err := tencentyun.GenUserSig(mockserver.DefaultSDKAppID, mockserver.DevKey.Reveal(), mockserver.DefaultAdmin, 86400)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func apiQuery(sig string) string {
	q := url.Values{}
	q.Set("sdkappid", "1400000000")
	q.Set("identifier", mockserver.DefaultAdmin)
	q.Set("usersig", sig)
	q.Set("random", "7")
	q.Set("contenttype", "json")
	return q.Encode()
}

// serve sends one request through the handler and returns the answer's code.
func serve(t testing.TB, h http.Handler, method, target, body string) (int, *httptest.ResponseRecorder) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	var env chatapi.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("%s %s: answer %q is not the envelope", method, target, rec.Body.String())
	}
	return env.ErrorCode, rec
}

func markRead(t testing.TB, srv *mockserver.Server, sig, body string) int {
	t.Helper()
	code, _ := serve(t, srv, "POST", chatapi.Path+"?"+apiQuery(sig), body)
	return code
}

func TestCeilingPerSecondWindow(t *testing.T) {
	clock := fakeclock.New(time.Now().Truncate(time.Second))
	srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: 3}, Clock: clock})
	sig := devSig(t)
	body := `{"Report_Account":"a","Peer_Account":"b"}`
	for i := range 3 {
		if code := markRead(t, srv, sig, body); code != 0 {
			t.Fatalf("call %d within the ceiling: %d", i+1, code)
		}
	}
	if code := markRead(t, srv, sig, body); code != chatapi.CodeRateLimited {
		t.Fatalf("4th call in the same second: %d, want 60007", code)
	}
	clock.Advance(time.Second)
	if code := markRead(t, srv, sig, body); code != 0 {
		t.Fatalf("first call of the next second: %d, want 0", code)
	}
	off := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1}, Clock: clock})
	for range 50 {
		if code := markRead(t, off, sig, body); code != 0 {
			t.Fatalf("ceiling off still refused: %d", code)
		}
	}
}

func TestAcceptsCompressedUserSig(t *testing.T) {
	// Tencent's libraries other than Go's compress the zlib stream ("eJw…").
	sig := devSig(t)
	raw, _ := base64.StdEncoding.DecodeString(strings.NewReplacer("_", "=", "-", "/", "*", "+").Replace(sig))
	zr, _ := zlib.NewReader(bytes.NewReader(raw))
	doc, _ := io.ReadAll(zr)
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.DefaultCompression)
	zw.Write(doc)
	zw.Close()
	compressed := strings.NewReplacer("+", "*", "/", "-", "=", "_").Replace(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if !strings.HasPrefix(compressed, "eJ") {
		t.Fatalf("test built %q, not a compressed UserSig", compressed[:8])
	}
	srv := newMock(t, mockserver.Config{})
	if code := markRead(t, srv, compressed, `{"Report_Account":"a","Peer_Account":"b"}`); code != 0 {
		t.Fatalf("compressed UserSig refused with %d", code)
	}
}

func TestReadOuts(t *testing.T) {
	srv := newMock(t, mockserver.Config{})
	sig := devSig(t)
	markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"b","MsgReadTime":"100"}`)
	markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"b","MsgReadTime":"50"}`)
	markRead(t, srv, sig, `{"Report_Account":"c,1","Peer_Account":"a","MsgReadTime":"7"}`)
	markRead(t, srv, sig, `nope`)

	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/mock/stats", nil))
	var stats struct {
		Requests uint64            `json:"requests"`
		ByCode   map[string]uint64 `json:"by_code"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &stats); err != nil {
		t.Fatal(err)
	}
	if stats.Requests != 4 || stats.ByCode["0"] != 3 || stats.ByCode["90001"] != 1 {
		t.Errorf("stats = %s", rec.Body)
	}

	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/mock/state", nil))
	want := "report_account,peer_account,msg_read_time,calls\na,b,100,2\n\"c,1\",a,7,1\n"
	if rec.Body.String() != want {
		t.Errorf("state =\n%s\nwant (latest read time kept, CSV quoted)\n%s", rec.Body, want)
	}

	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/mock/reset", nil))
	if rec.Code/100 != 2 || len(srv.Marks()) != 0 || srv.Stats().Requests != 0 {
		t.Errorf("reset: status %d, %d marks, %d requests", rec.Code, len(srv.Marks()), srv.Stats().Requests)
	}
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Errorf("healthz: %d", rec.Code)
	}
}

func TestMarksGrowWithPairsNotRequests(t *testing.T) {
	srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1}})
	sig := devSig(t)
	for i := range 2000 {
		body := `{"Report_Account":"u` + string(rune('a'+i%4)) + `","Peer_Account":"v"}`
		if code := markRead(t, srv, sig, body); code != 0 {
			t.Fatal(code)
		}
	}
	marks := srv.Marks()
	if len(marks) != 4 {
		t.Fatalf("%d marks after 2000 calls over 4 pairs", len(marks))
	}
	for _, m := range marks {
		if m.Calls != 500 {
			t.Errorf("%+v: want 500 calls", m)
		}
	}
}

// TestReadUsersRefusesBinary: a line with NUL bytes or invalid UTF-8 (a
// binary file, /dev/urandom) ends ReadUsers with an error naming the line,
// rather than a user list of noise.
func TestReadUsersRefusesBinary(t *testing.T) {
	for _, in := range []string{"alice\nb\x00b\n", "alice\n\xff\xfe\n"} {
		if users, err := mockserver.ReadUsers(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line 2 is not UTF-8 text") {
			t.Errorf("%q: %q, %v; want an error naming line 2", in, users, err)
		}
	}
}

func TestUsersAndReadUsers(t *testing.T) {
	users, err := mockserver.ReadUsers(strings.NewReader("# users\nalice\n\n  bob  \n"))
	if err != nil || len(users) != 2 || users[1] != "bob" {
		t.Fatalf("ReadUsers = %q, %v", users, err)
	}
	srv := newMock(t, mockserver.Config{Users: users})
	sig := devSig(t)
	for body, want := range map[string]int{
		`{"Report_Account":"alice","Peer_Account":"bob"}`:   0,
		`{"Report_Account":"carol","Peer_Account":"bob"}`:   90008,
		`{"Report_Account":"alice","Peer_Account":"carol"}`: 90003,
		`{"Report_Account":"alice"}`:                        90003,
		`{"Report_Account":"alice","Peer_Account":7}`:       90001,
	} {
		if code := markRead(t, srv, sig, body); code != want {
			t.Errorf("%s: %d, want %d", body, code, want)
		}
	}
}

func TestStartAndClose(t *testing.T) {
	srv := newMock(t, mockserver.Config{})
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q is not on loopback", srv.URL())
	}
	resp, err := http.Get(srv.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := srv.Start(""); err == nil {
		t.Error("second Start accepted")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(srv.URL() + "/healthz"); err == nil {
		t.Error("still serving after Close")
	}
}

// FuzzMarkRead throws arbitrary methods, queries and bodies at the handler:
// every answer must be the envelope with a documented code, and only code 0
// may leave a mark.
func FuzzMarkRead(f *testing.F) {
	sig := devSig(f)
	good := apiQuery(sig)
	f.Add("POST", good, `{"Report_Account":"a","Peer_Account":"b"}`)
	f.Add("POST", good, `{"Report_Account":"a","Peer_Account":"b","MsgReadTime":"1700000000"}`)
	f.Add("POST", good, `{"Report_Account":"a","Peer_Account":"b","MsgReadTime":"-1"}`)
	f.Add("POST", good, `{"Report_Account":"a","Peer_Account":"b","MsgReadTime":"99999999999999999999"}`)
	f.Add("GET", good, ``)
	f.Add("POST", "sdkappid=%zz", `{}`)
	f.Add("POST", strings.Replace(good, "usersig=", "usersig=eJw", 1), `{}`)
	f.Add("POST", "sdkappid=1400000000&identifier=administrator&usersig=eAEAAAAA&random=1&contenttype=json", `[]`)
	f.Add("POST", good, `null`)
	f.Fuzz(func(t *testing.T, method, query, body string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") || !isToken(method) {
			return
		}
		srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1}})
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", chatapi.Path, strings.NewReader(body))
		req.Method = method
		req.URL.RawQuery = query
		srv.ServeHTTP(rec, req)
		var env chatapi.Response
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || rec.Code != 200 {
			t.Fatalf("answer %d %q is not the envelope", rec.Code, rec.Body)
		}
		if !chatapi.Known(env.ErrorCode) || env.ErrorInfo != chatapi.Lookup(env.ErrorCode).Info {
			t.Fatalf("undocumented answer %+v", env)
		}
		if (env.ErrorCode == 0) != (len(srv.Marks()) == 1) {
			t.Fatalf("code %d but %d marks", env.ErrorCode, len(srv.Marks()))
		}
	})
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func TestStatsPerSecondFaultsAndLatency(t *testing.T) {
	clock := fakeclock.New(time.Now().Truncate(time.Second))
	srv := newMock(t, mockserver.Config{Clock: clock, Scenario: mockserver.Scenario{Ceiling: 2, CeilingCode: chatapi.CodeTooManyRequests,
		Faults: []mockserver.FaultSpec{{Fault: &mockserver.CodeFault{Code: 70500}, Probability: 0.5}}}})
	sig := devSig(t)
	body := `{"Report_Account":"a","Peer_Account":"b"}`
	for range 3 {
		markRead(t, srv, sig, body)
	}
	clock.Advance(2 * time.Second)
	markRead(t, srv, sig, body)
	st := srv.Stats()
	if st.Requests != 4 || st.ByCode["60018"] != 1 {
		t.Errorf("requests %d, by code %v: want 4, one 60018 over the ceiling", st.Requests, st.ByCode)
	}
	if got := st.ByFault["code"] + st.ByCode["0"]; got != 3 || st.ByCode["70500"] != st.ByFault["code"] {
		t.Errorf("by fault %v, by code %v: the 3 valid calls are either faulted or ok", st.ByFault, st.ByCode)
	}
	if len(st.PerSecond) != 3 || st.PerSecond[0].N != 3 || st.PerSecond[1].N != 0 || st.PerSecond[2].N != 1 {
		t.Errorf("per second %+v, want [3 0 1]", st.PerSecond)
	}
	if st.Latency.Count != 3 {
		t.Errorf("injected latency count %d, want 3", st.Latency.Count)
	}
}

// TestRefusedAccountsAreNotStored: accounts that break the UserID rules are
// answered as unknown and leave nothing in the mock's memory.
func TestRefusedAccountsAreNotStored(t *testing.T) {
	srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1}})
	sig := devSig(t)
	long := strings.Repeat("x", 64<<10)
	for _, body := range []string{
		`{"Report_Account":"` + long + `","Peer_Account":"b"}`,
		`{"Report_Account":"a","Peer_Account":"` + long + `"}`,
		`{"Report_Account":"a\u202e","Peer_Account":"b"}`,
	} {
		if code := markRead(t, srv, sig, body); code != chatapi.CodeUnknownReport && code != chatapi.CodeUnknownPeer && code != chatapi.CodeBodyParse {
			t.Errorf("code %d for a refused account", code)
		}
	}
	if n := len(srv.Marks()); n != 0 {
		t.Errorf("%d marks stored", n)
	}
}

// TestSlowClientsAreCut: a client that sends its body slowly is cut at the
// read timeout, and Shutdown returns even while it holds a connection.
func TestSlowClientsAreCut(t *testing.T) {
	srv := newMock(t, mockserver.Config{ReadTimeout: 300 * time.Millisecond})
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v4/openim/admin_set_msg_read HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard
	start := time.Now()
	buf := make([]byte, 512)
	for {
		if _, err := conn.Read(buf); err != nil {
			break // the mock closed the connection (or answered and closed)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the slow client held its connection %v", d)
	}
	// A second client holds an idle connection; Shutdown returns anyway.
	idle, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "POST /v4/openim/admin_set_msg_read HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown with a connection held: %v", err)
	}
}

func TestReadoutToken(t *testing.T) {
	srv := newMock(t, mockserver.Config{ReadoutToken: "s3cret"})
	for _, path := range []string{"/mock/state", "/metrics"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", path, rec.Code)
		}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		rec = httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s with the token: %d", path, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mock/stats", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/mock/stats needs no token: %d", rec.Code)
	}
}

// TestRandomIsAnyNonEmptyValue: like the service (API.md, addendum 1), the
// mock takes any non-empty random, numeric or not, in range or not; an
// empty or missing one is 60002.
func TestRandomIsAnyNonEmptyValue(t *testing.T) {
	sig := devSig(t)
	body := `{"Report_Account":"a","Peer_Account":"b"}`
	for _, tt := range []struct {
		name   string
		random *string // nil: no random parameter at all
		code   int
	}{
		{"a uint32", ptr("7"), 0},
		{"the largest uint32", ptr("4294967295"), 0},
		{"beyond uint32", ptr("4294967296"), 0},
		{"negative", ptr("-1"), 0},
		{"letters", ptr("abc"), 0},
		{"PHP uniqid's hex", ptr("5f3a9c1e2b7d4"), 0},
		{"empty", ptr(""), chatapi.CodeHTTPParse},
		{"missing", nil, chatapi.CodeHTTPParse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1}})
			q, _ := url.ParseQuery(apiQuery(sig))
			q.Del("random")
			if tt.random != nil {
				q.Set("random", *tt.random)
			}
			if code, _ := serve(t, srv, "POST", chatapi.Path+"?"+q.Encode(), body); code != tt.code {
				t.Errorf("random %v: code %d, want %d", tt.random, code, tt.code)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestDocsSayWhatTheMockDoesWithRandom: the table of the mock's checks in
// docs/mock.md says what the code does (TestRandomIsAnyNonEmptyValue), as
// its prose does: a random that is no uint32 is taken.
func TestDocsSayWhatTheMockDoesWithRandom(t *testing.T) {
	readme, err := os.ReadFile("../docs/mock.md")
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| ") && strings.HasSuffix(line, "| 60002 |") {
			row = line
		}
	}
	if !strings.Contains(row, "`random` missing or empty") || strings.Contains(row, "uint32") {
		t.Errorf("docs/mock.md's 60002 row %q must say a random missing or empty, and nothing of uint32", row)
	}
	if !strings.Contains(string(readme), "any non-empty `random`") {
		t.Error("docs/mock.md's prose no longer says the mock takes any non-empty random")
	}
}

// TestIgnoreFaultAnswersOKAndMarksNothing: the ignore fault, as a
// scenario file names it, answers a mark-read call as a mark would
// (HTTP 200, code 0) and marks nothing.
func TestIgnoreFaultAnswersOKAndMarksNothing(t *testing.T) {
	sc, err := mockserver.DecodeScenario("silent.json", []byte(`{"name":"silent","faults":[{"kind":"ignore","probability":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := mockserver.Config{Key: mockserver.DevKey}
	sc.Apply(&cfg)
	srv := newMock(t, cfg)
	if code := markRead(t, srv, devSig(t), `{"Report_Account":"alice","Peer_Account":"bob","MsgReadTime":1700000000}`); code != chatapi.CodeOK {
		t.Errorf("code %d, want 0", code)
	}
	if marks := srv.Marks(); len(marks) != 0 {
		t.Errorf("marks %v, want none", marks)
	}
	if st := srv.Stats(); st.ByFault["ignore"] != 1 || st.ByCode["0"] != 1 {
		t.Errorf("stats: faults %v, codes %v; want one ignore answered 0", st.ByFault, st.ByCode)
	}
}

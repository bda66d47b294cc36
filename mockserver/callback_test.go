package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/fakeclock"
	"github.com/msgread/msgread/mockserver"
	"go.uber.org/goleak"
)

// callback is one request a receiver got.
type callback struct {
	query url.Values
	body  map[string]any
}

// receiver is a loopback callback endpoint that keeps what it gets; hold,
// when set, blocks each request until it is closed.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []callback
	seen chan struct{} // one send per request, before hold
}

func newReceiver(t *testing.T, hold <-chan struct{}) *receiver {
	t.Helper()
	rc := &receiver{seen: make(chan struct{}, 1000)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		cb := callback{query: r.URL.Query()}
		if err := json.Unmarshal(data, &cb.body); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("callback %s %s %q: %v", r.Method, r.Header.Get("Content-Type"), data, err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, cb)
		rc.mu.Unlock()
		rc.seen <- struct{}{}
		if hold != nil {
			<-hold
		}
		io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	}))
	return rc
}

// of returns the callbacks of one CallbackCommand, in arrival order.
func (rc *receiver) of(command string) []callback {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []callback
	for _, cb := range rc.got {
		if cb.query.Get("CallbackCommand") == command {
			out = append(out, cb)
		}
	}
	return out
}

func drain(t *testing.T, srv *mockserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.DrainCallbacks(ctx); err != nil {
		t.Fatalf("the callbacks did not drain: %v", err)
	}
}

// TestCallbackForEachSuccessfulMark: a loopback endpoint gets exactly one
// C2C.CallbackAfterMsgReport per mark the mock made, with the documented
// query and body, the pair's read time as the mock holds it, and the
// unread count the mock would answer; a mark refused (an unknown account)
// or answered by a fault sends none.
func TestCallbackForEachSuccessfulMark(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rc := newReceiver(t, nil)
	defer rc.Close()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := fakeclock.New(t0)
	srv := newMock(t, mockserver.Config{Clock: clock, Users: []string{"a", "b", "c", "d"},
		Scenario: mockserver.Scenario{Callback: &mockserver.Callback{URL: rc.URL + "/im?token=t1"}}})
	defer srv.Close()
	sig := devSig(t)
	bodies := []string{
		`{"Report_Account":"a","Peer_Account":"b"}`,
		`{"Report_Account":"a","Peer_Account":"c","MsgReadTime":1700000000}`,
		`{"Report_Account":"a","Peer_Account":"zed"}`, // unknown: 70107, no callback
		`{"Report_Account":"b","Peer_Account":"a","MsgReadTime":"1800000000"}`,
		`{"Report_Account":"a","Peer_Account":"b","MsgReadTime":1600000000}`, // earlier: the read time stays
	}
	for _, b := range bodies {
		markRead(t, srv, sig, b)
	}
	drain(t, srv)
	got := rc.of(mockserver.CommandMsgReport)
	if len(got) != 4 || len(rc.of(mockserver.CommandOverLimit)) != 0 {
		t.Fatalf("%d report callbacks (%d in all), want 4: one per successful mark", len(got), len(rc.got))
	}
	marks := map[string]mockserver.Mark{}
	for _, m := range srv.Marks() {
		marks[m.ReportAccount+">"+m.PeerAccount] = m
	}
	for i, cb := range got {
		q, b := cb.query, cb.body
		if q.Get("SdkAppid") != "1400000000" || q.Get("contenttype") != "json" || q.Get("ClientIP") != "192.0.2.1" ||
			q.Get("OptPlatform") != "RESTAPI" || q.Get("token") != "t1" {
			t.Errorf("callback %d: query %v", i, q)
		}
		m, ok := marks[fmt.Sprint(b["Report_Account"])+">"+fmt.Sprint(b["Peer_Account"])]
		if !ok || b["CallbackCommand"] != mockserver.CommandMsgReport || b["LastReadTime"] != float64(m.ReadTime) ||
			b["EventTime"] != float64(t0.UnixMilli()) || len(b) != 6 {
			t.Errorf("callback %d: body %v, mark %+v", i, b, m)
		}
		if want := unreadOf(t, srv, sig, m); b["UnreadMsgNum"] != float64(want) {
			t.Errorf("callback %d: UnreadMsgNum %v, but the mock counts %d unread", i, b["UnreadMsgNum"], want)
		}
	}
	for _, cb := range got {
		if cb.body["Peer_Account"] == "c" && cb.body["UnreadMsgNum"] != float64(5) {
			t.Errorf("a mark with a read time before the history's 5 messages: UnreadMsgNum %v, want 5", cb.body["UnreadMsgNum"])
		}
	}
	st := srv.Stats().Callbacks
	if st == nil || st.Sent != 4 || st.Answered != 4 || st.Failed+st.Dropped+st.Pending != 0 || st.Latency.Count != 4 ||
		strings.Contains(st.URL, "t1") {
		t.Errorf("stats %+v", st)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`msgread_mock_callbacks_sent_total{command="C2C.CallbackAfterMsgReport"} 4`,
		`msgread_mock_callbacks_answered_total{command="C2C.CallbackAfterMsgReport"} 4`,
		`msgread_mock_callback_latency_seconds_count{command="C2C.CallbackAfterMsgReport"} 4`, "msgread_mock_callbacks_pending 0"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Once stopped, the counts are final: a later mark sends nothing and
	// its callback is counted dropped.
	srv.StopCallbacks(context.Background())
	markRead(t, srv, sig, `{"Report_Account":"d","Peer_Account":"a"}`)
	if st := srv.Callbacks(); st.Sent != 4 || st.Dropped != 1 || len(rc.of(mockserver.CommandMsgReport)) != 4 {
		t.Errorf("after StopCallbacks: %+v", st)
	}
}

// unreadOf is the pair's unread count as the mock answers it.
func unreadOf(t *testing.T, srv *mockserver.Server, sig string, m mockserver.Mark) int {
	t.Helper()
	res := unreadCall(t, srv, sig, fmt.Sprintf(`{"To_Account":%q,"Peer_Account":[%q]}`, m.ReportAccount, m.PeerAccount))
	if len(res.Peers) != 1 {
		t.Fatalf("unread of %+v: %+v", m, res)
	}
	return res.Peers[0].Unread
}

// TestNoCallbackForAnIgnoredMark: a mark the ignore fault answers OK is a
// mark the service lost, and the service fires the webhook for the marks
// it made: none is sent.
func TestNoCallbackForAnIgnoredMark(t *testing.T) {
	rc := newReceiver(t, nil)
	defer rc.Close()
	srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{
		Faults:   []mockserver.FaultSpec{{Fault: &mockserver.IgnoreFault{}, Probability: 1}},
		Callback: &mockserver.Callback{URL: rc.URL}}})
	defer srv.Close()
	if code := markRead(t, srv, devSig(t), `{"Report_Account":"a","Peer_Account":"b"}`); code != chatapi.CodeOK {
		t.Fatalf("code %d", code)
	}
	drain(t, srv)
	if st := srv.Callbacks(); len(rc.got) != 0 || st.Sent != 0 {
		t.Errorf("an ignored mark sent callbacks: %d received, stats %+v", len(rc.got), st)
	}
}

// TestStalledEndpointDoesNotSlowTheAPI: while the endpoint holds every
// callback it gets, the API answers each mark at once; two callbacks are
// in flight (conns 2), five wait (queue 5), the rest are dropped and
// counted. Closing the mock cuts the two off and ends every sender.
func TestStalledEndpointDoesNotSlowTheAPI(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hold := make(chan struct{})
	rc := newReceiver(t, hold)
	defer rc.Close()
	defer close(hold) // before rc.Close, which waits for its handlers
	srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1,
		Callback: &mockserver.Callback{URL: rc.URL, Queue: 5, Conns: 2, Timeout: mockserver.Duration(time.Minute)}}})
	sig := devSig(t)
	body := func(i int) string { return fmt.Sprintf(`{"Report_Account":"u%d","Peer_Account":"p"}`, i) }
	for i := range 2 {
		markRead(t, srv, sig, body(i))
	}
	for range 2 {
		select {
		case <-rc.seen:
		case <-time.After(10 * time.Second):
			t.Fatal("the endpoint never got the first two callbacks")
		}
	}
	start := time.Now()
	for i := 2; i < 50; i++ {
		if code := markRead(t, srv, sig, body(i)); code != chatapi.CodeOK {
			t.Fatalf("mark %d answered %d while the endpoint stalls", i, code)
		}
	}
	// 48 answers came back while the endpoint still held both callbacks;
	// without the queue they would each have waited a minute.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("48 marks took %v with the endpoint stalled", took)
	}
	st := srv.Callbacks()
	if st.Sent != 2 || st.Answered != 0 || st.Pending != 7 || st.Dropped != 43 {
		t.Errorf("stats %+v, want 2 sent (in flight), 7 pending (2 + a queue of 5), 43 dropped", st)
	}
	srv.Close()
	st = srv.Callbacks()
	if st.Failed != 2 || st.FailedBy["stopped"] != 2 || st.Pending != 5 || st.Dropped != 43 {
		t.Errorf("after Close: %+v, want the 2 in flight failed (stopped) and the 5 queued still pending", st)
	}
	if got := st.Answered + st.Failed + st.Dropped + st.Pending; got != 50 {
		t.Errorf("answered + failed + dropped + pending = %d, want the 50 marks", got)
	}
}

// TestOverLimitAlertOncePerSecond: on the mock's clock, a second whose
// calls pass 80 % of the ceiling, or in which the ceiling refused one,
// raises one Alert.RequestOverLimit with that second's calls; a second at
// 80 % or under raises none.
func TestOverLimitAlertOncePerSecond(t *testing.T) {
	rc := newReceiver(t, nil)
	defer rc.Close()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := fakeclock.New(t0)
	srv := newMock(t, mockserver.Config{Clock: clock, Scenario: mockserver.Scenario{Ceiling: 10,
		Callback: &mockserver.Callback{URL: rc.URL}}})
	defer srv.Close()
	sig := devSig(t)
	refused := 0
	for _, calls := range []int{15, 9, 8, 30, 1} {
		for range calls {
			if markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"b"}`) != chatapi.CodeOK {
				refused++
			}
		}
		clock.Advance(time.Second)
	}
	drain(t, srv)
	if refused != 25 {
		t.Fatalf("%d refused, want 25 (5, then 20)", refused)
	}
	got := rc.of(mockserver.CommandOverLimit)
	sort.Slice(got, func(i, j int) bool { return got[i].body["Request"].(float64) < got[j].body["Request"].(float64) }) // sent in parallel
	want := []float64{9, 15, 30}
	if len(got) != len(want) {
		t.Fatalf("%d alerts, want one for each of the %d seconds over 8 calls", len(got), len(want))
	}
	for i, cb := range got {
		b, q := cb.body, cb.query
		if b["CallbackCommand"] != mockserver.CommandOverLimit || b["ServiceName"] != "openim" || b["Command"] != "admin_set_msg_read" ||
			b["Request"] != want[i] || b["Limit"] != float64(10) || len(b) != 5 || q.Get("SdkAppid") != "1400000000" || q.Has("ClientIP") {
			t.Errorf("alert %d: body %v, query %v", i, b, q)
		}
	}
	if st := srv.Callbacks(); st.Alerts.Answered != 3 || st.Answered != 38 {
		t.Errorf("stats %+v: want 3 alerts answered, apart from the 38 reports", st)
	}
}

// TestCallbackSettingsAreChecked: a callback URL must be http or https
// with a host; the errors never repeat the URL (it may hold a token), and
// neither do the read-outs.
func TestCallbackSettingsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name, json string
	}{
		{"no url", `{}`},
		{"no scheme", `{"url":"127.0.0.1:9000/x?token=sekrit"}`},
		{"another scheme", `{"url":"ftp://h/x?token=sekrit"}`},
		{"no host", `{"url":"http:///x?token=sekrit"}`},
		{"a relative url", `{"url":"/im?token=sekrit"}`},
		{"port 0", `{"url":"http://h:0/?token=sekrit"}`},
		{"port out of range", `{"url":"http://h:70000/?token=sekrit"}`},
		{"an empty port", `{"url":"http://h:/?token=sekrit"}`},
		{"no valid url", `{"url":"http://h/%zz?token=sekrit"}`},
		{"negative queue", `{"url":"http://h/","queue":-1}`},
		{"queue too large", `{"url":"http://h/","queue":2000000}`},
		{"too many conns", `{"url":"http://h/","conns":5000}`},
		{"timeout too long", `{"url":"http://h/","timeout":"2h"}`},
		{"negative alert share", `{"url":"http://h/","alert_at":-0.5}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mockserver.DecodeScenario("s.json", []byte(`{"callback":`+tc.json+`}`))
			if err == nil || strings.Contains(err.Error(), "sekrit") || !strings.Contains(err.Error(), "callback") {
				t.Errorf("error %v", err)
			}
		})
	}
	sc, err := mockserver.DecodeScenario("s.json", []byte(`{"callback":{"url":"https://ops:pw@hooks.example.com:8443/im?token=sekrit","timeout":"500ms"}}`))
	if err != nil || time.Duration(sc.Callback.Timeout) != 500*time.Millisecond {
		t.Fatalf("%+v %v", sc.Callback, err)
	}
	u, _ := mockserver.ParseCallbackURL(sc.Callback.URL)
	if r := mockserver.RedactCallbackURL(u); r != "https://xxxxx@hooks.example.com:8443/im?…" || mockserver.LoopbackURL(u) {
		t.Errorf("redacted %s", r)
	}
	for _, raw := range []string{"http://127.0.0.1:9/", "http://localhost/", "http://[::1]:80/x"} {
		if u, err := mockserver.ParseCallbackURL(raw); err != nil || !mockserver.LoopbackURL(u) {
			t.Errorf("%s: %v, not loopback", raw, err)
		}
	}
}

// TestShutdownDeliversTheQueuedCallbacks: a mock shut down with time to
// spare delivers every callback it queued before its senders end.
func TestShutdownDeliversTheQueuedCallbacks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rc := newReceiver(t, nil)
	defer rc.Close()
	srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Callback: &mockserver.Callback{URL: rc.URL, Conns: 1}}})
	sig := devSig(t)
	for i := range 50 {
		markRead(t, srv, sig, fmt.Sprintf(`{"Report_Account":"u%d","Peer_Account":"p"}`, i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if st := srv.Callbacks(); len(rc.of(mockserver.CommandMsgReport)) != 50 || st.Answered != 50 || st.Pending != 0 {
		t.Errorf("after Shutdown the endpoint has %d of 50 callbacks; stats %+v", len(rc.of(mockserver.CommandMsgReport)), st)
	}
}

// TestCallbackURLHidesItsUserName: a URL's user name is as secret as its
// password (https://TOKEN@host/ is how many endpoints take a token), so the
// read-outs hide the whole userinfo, as chatapi.RedactEndpoint does.
func TestCallbackURLHidesItsUserName(t *testing.T) {
	for raw, want := range map[string]string{
		"https://tok3n@hooks.example.com/im":            "https://xxxxx@hooks.example.com/im",
		"https://tok3n:@hooks.example.com/im":           "https://xxxxx@hooks.example.com/im",
		"http://tok3n:tok3n@127.0.0.1:9/im?token=tok3n": "http://xxxxx@127.0.0.1:9/im?…",
		"http://127.0.0.1:9/im":                         "http://127.0.0.1:9/im",
	} {
		u, err := mockserver.ParseCallbackURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := mockserver.RedactCallbackURL(u); got != want || strings.Contains(got, "tok3n") {
			t.Errorf("%s redacted as %s, want %s", raw, got, want)
		}
	}
}

// TestResetKeepsTheCallbacksInFlightSent: /mock/reset while a callback is
// in flight and two are queued: the three still end (answered), and the
// counts after the reset add up: every one answered was sent (sent was
// zeroed under the one in flight, which then ended as answered: 2 sent, 3
// answered).
func TestResetKeepsTheCallbacksInFlightSent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hold := make(chan struct{})
	rc := newReceiver(t, hold)
	defer rc.Close()
	srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Callback: &mockserver.Callback{URL: rc.URL, Conns: 1}}})
	defer srv.Close()
	sig := devSig(t)
	for i := range 3 {
		markRead(t, srv, sig, fmt.Sprintf(`{"Report_Account":"u%d","Peer_Account":"p"}`, i))
	}
	<-rc.seen // the first is in flight, the others queued
	srv.Reset()
	if st := srv.Callbacks(); st.Sent != 1 || st.Pending != 3 || st.Answered+st.Failed != 0 {
		t.Errorf("just after the reset: %+v, want the one in flight sent, 3 pending", st.CallbackCounts)
	}
	close(hold)
	drain(t, srv)
	st := srv.Callbacks()
	if st.Sent != 3 || st.Answered != 3 || st.Pending != 0 || st.Sent < st.Answered+st.Failed {
		t.Errorf("after the reset the counts do not add up: %+v, want 3 sent, 3 answered", st.CallbackCounts)
	}
}

// TestNewRefusedStartsNoSenders: a Config that New refuses (an empty
// admin) with a callback URL leaves no senders running: nobody holds a
// Server to close.
func TestNewRefusedStartsNoSenders(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := mockserver.New(mockserver.Config{Admins: []string{"ops", ""},
		Scenario: mockserver.Scenario{Callback: &mockserver.Callback{URL: "http://127.0.0.1:9/im"}}})
	if err == nil {
		srv.Close()
		t.Fatal("an empty admin was accepted")
	}
}

// TestCallbackTLSFailureIsNamed: an https endpoint whose certificate the
// machine does not trust (self-signed), or an https URL aimed at a plain
// http endpoint, fails as "tls", not as "connection": it names what to fix.
func TestCallbackTLSFailureIsNamed(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	selfSigned := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer selfSigned.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	for name, url := range map[string]string{
		"self-signed":         selfSigned.URL + "/im",
		"https at plain http": strings.Replace(plain.URL, "http://", "https://", 1) + "/im",
	} {
		srv := newMock(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1,
			Callback: &mockserver.Callback{URL: url, Timeout: mockserver.Duration(5 * time.Second)}}})
		markRead(t, srv, devSig(t), `{"Report_Account":"a","Peer_Account":"b"}`)
		drain(t, srv)
		srv.Close()
		if st := srv.Callbacks(); st.Failed != 1 || st.FailedBy["tls"] != 1 {
			t.Errorf("%s: %+v, want the callback failed as tls", name, st)
		}
	}
}

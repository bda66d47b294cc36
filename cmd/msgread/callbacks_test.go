package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
	"go.uber.org/goleak"
)

// countingReceiver is a loopback callback endpoint that counts what it
// gets by CallbackCommand.
type countingReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
}

func newCountingReceiver(t *testing.T) *countingReceiver {
	rc := &countingReceiver{counts: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rc.mu.Lock()
		rc.counts[r.URL.Query().Get("CallbackCommand")]++
		rc.mu.Unlock()
		io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *countingReceiver) count(command string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.counts[command]
}

// TestLoadRehearsesTheCallbackEndpoint: "msgread load --callback-url"
// makes the bundled mock call a loopback endpoint once for each row it
// marked, and the summary JSON's callbacks count exactly what the
// endpoint got, over-limit alerts apart (the load asks 300/s of a
// ceiling of 200, past the alert's 80 %).
func TestLoadRehearsesTheCallbackEndpoint(t *testing.T) {
	rc := newCountingReceiver(t)
	dir := t.TempDir()
	e, _, errOut := testEnv(nil)
	err := run(context.Background(), []string{"load", "--scenario", "clean", "--rate", "300", "--share", "greedy", "--rows", "400", "--progress", "none",
		"--callback-url", rc.URL + "/im?token=s3cret", "--report", filepath.Join(dir, "r.csv"), "--summary-json", filepath.Join(dir, "s.json")}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var doc digest.Document
	data, _ := os.ReadFile(filepath.Join(dir, "s.json"))
	if err := json.Unmarshal(data, &doc); err != nil || doc.Callbacks == nil {
		t.Fatalf("summary JSON %s: %v", data, err)
	}
	cb := doc.Callbacks
	reports, alerts := rc.count(mockserver.CommandMsgReport), rc.count(mockserver.CommandOverLimit)
	if reports != doc.Rows["ok"] || doc.Rows["ok"] != 400 || cb.Sent != uint64(reports) || cb.Answered != uint64(reports) ||
		cb.Failed+cb.Dropped+cb.Pending != 0 || cb.Latency.P99 <= 0 {
		t.Errorf("the endpoint got %d reports for %d ok rows; the summary says %+v", reports, doc.Rows["ok"], cb)
	}
	if alerts == 0 || cb.Alerts.Answered != uint64(alerts) || cb.Alerts.Sent != uint64(alerts) {
		t.Errorf("the endpoint got %d alerts; the summary says %+v", alerts, cb.Alerts)
	}
	out := errOut.String()
	for _, want := range []string{"callbacks to http://127.0.0.1:", "/im?…", "400 C2C.CallbackAfterMsgReport sent, 400 answered 2xx"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") || strings.Contains(string(data), "s3cret") || strings.Contains(out, "beyond this machine") {
		t.Errorf("the URL's token was printed, or a loopback URL was named as beyond this machine:\n%s", out)
	}
}

// TestCallbackURLRefusals: a callback URL with a real target, a URL that
// is not http(s) with a host, or queue settings without a URL: exit 2,
// nothing sent, and the URL's token never printed.
func TestCallbackURLRefusals(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey)})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"load against an endpoint", []string{"load", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rows", "5", "--callback-url", "http://127.0.0.1:9/?t=s3cret"}, "a real --endpoint or --region fires the app's own"},
		{"run against a region", []string{"run", "--region", "singapore", "--sdkappid", "20000001", "--callback-url", "http://127.0.0.1:9/", "in.csv"}, "fires the app's own"},
		{"not http", []string{"load", "--rows", "5", "--callback-url", "ftp://127.0.0.1/?t=s3cret"}, "--callback-url: the scheme is not http or https"},
		{"no host", []string{"mock", "--callback-url", "http:///im?t=s3cret"}, "--callback-url: no host"},
		{"no scheme", []string{"load", "--rows", "5", "--callback-url", "127.0.0.1:9000/im?t=s3cret"}, "--callback-url: "},
		{"queue without url", []string{"load", "--rows", "5", "--callback-queue", "10"}, "need --callback-url"},
		{"a scenario's bad callback", []string{"load", "--rows", "5", "--scenario", writeScenario(t, `{"callback":{"url":"gopher://h/?t=s3cret"}}`)}, "callback: url: the scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			args := tc.args
			if args[0] != "mock" {
				args = append(args, "--report", filepath.Join(t.TempDir(), "r.csv"))
			}
			err := run(context.Background(), args, e)
			all := out.String() + errOut.String()
			if err != nil {
				all += err.Error()
			}
			if exitCode(err) != exitUsage || !strings.Contains(all, tc.want) || strings.Contains(all, "s3cret") {
				t.Errorf("exit %d (%v), want 2 saying %q without the token\n%s", exitCode(err), err, tc.want, all)
			}
		})
	}
	if st := srv.Stats(); st.Requests != 0 {
		t.Errorf("a refused command called the endpoint %d times", st.Requests)
	}
}

func writeScenario(t *testing.T, js string) string {
	path := filepath.Join(t.TempDir(), "sc.json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCallbackURLBeyondThisMachineIsNamed: a URL that is not loopback is
// named before the first call, one line, its query and password hidden;
// a loopback one is not.
func TestCallbackURLBeyondThisMachineIsNamed(t *testing.T) {
	var b bytes.Buffer
	callbackNotice(&b, "load", mockserver.Config{Scenario: mockserver.Scenario{Callback: &mockserver.Callback{URL: "https://ops:pw@hooks.example.com/im?token=s3cret"}}})
	if got := b.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "callbacks go to https://xxxxx@hooks.example.com/im?…, beyond this machine") ||
		strings.Contains(got, "s3cret") || strings.Contains(got, "pw") || strings.Contains(got, "ops") {
		t.Errorf("notice %q", got)
	}
	b.Reset()
	callbackNotice(&b, "load", mockserver.Config{Scenario: mockserver.Scenario{Callback: &mockserver.Callback{URL: "http://localhost:9000/im"}}})
	if b.Len() != 0 {
		t.Errorf("a loopback URL named: %q", b.String())
	}
}

// TestCallbackURLTokensNeverPrinted: a callback URL whose user name,
// password and query each hold a token: the endpoint gets every
// callback, and neither stderr, the summary JSON, the report, the
// timeline nor the HTML report holds any of the three.
func TestCallbackURLTokensNeverPrinted(t *testing.T) {
	rc := newCountingReceiver(t)
	dir := t.TempDir()
	e, out, errOut := testEnv(nil)
	u := strings.Replace(rc.URL, "http://", "http://us3rtok:passtok@", 1) + "/im?token=querytok"
	err := run(context.Background(), []string{"load", "--rate", "300", "--share", "greedy", "--rows", "50", "--progress", "none",
		"--callback-url", u, "--report", filepath.Join(dir, "r.csv"), "--summary-json", filepath.Join(dir, "s.json")}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if n := rc.count(mockserver.CommandMsgReport); n != 50 {
		t.Fatalf("the endpoint got %d callbacks, want 50", n)
	}
	all := out.String() + errOut.String()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		all += string(data)
	}
	for _, tok := range []string{"us3rtok", "passtok", "querytok"} {
		if strings.Contains(all, tok) {
			t.Errorf("%q printed in the output or the files %v", tok, files)
		}
	}
	if !strings.Contains(errOut.String(), "callbacks to http://xxxxx@127.0.0.1:") {
		t.Errorf("stderr does not name the endpoint with its userinfo hidden:\n%s", errOut)
	}
}

// TestMockOnABusyPortLeavesNoSenders: "msgread mock --addr" on a port in
// use, with a callback URL: exit 2 naming the address, and the mock's
// callback senders (started with it) stopped, not left running in the
// process.
func TestMockOnABusyPortLeavesNoSenders(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	e, _, errOut := testEnv(nil)
	err = run(context.Background(), []string{"mock", "--addr", busy.Addr().String(), "--callback-url", "http://127.0.0.1:9/im"}, e)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("exit %d (%v), want 2 naming %s\n%s", exitCode(err), err, busy.Addr(), errOut)
	}
}

// TestCallbackTimeoutZeroRefused: --callback-timeout 0 (or
// MSGREAD_CALLBACK_TIMEOUT=0) is refused as the message for a negative
// one says ("want above 0"), rather than taken silently as the default
// of 2 s by someone who meant "no timeout".
func TestCallbackTimeoutZeroRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--callback-timeout", "0"}, nil},
		{[]string{"--callback-timeout", "0s"}, nil},
		{nil, map[string]string{"MSGREAD_CALLBACK_TIMEOUT": "0"}},
	} {
		e, _, errOut := testEnv(tc.env)
		args := append([]string{"load", "--rows", "5", "--callback-url", "http://127.0.0.1:9/im", "--report", filepath.Join(t.TempDir(), "r.csv")}, tc.args...)
		err := run(context.Background(), args, e)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--callback-timeout") {
			t.Errorf("%v %v: exit %d (%v), want 2 naming --callback-timeout\n%s", tc.args, tc.env, exitCode(err), err, errOut)
		}
	}
}

// TestInterruptWhileCallbacksDrain: every row finished, the callbacks
// queued behind an endpoint that never answers; an interrupt while the run
// waits for them ends it at once with exit 130 and the stop "interrupted"
// (it ended with exit 0, as if the rehearsal were whole), and the summary
// counts the callbacks not delivered.
func TestInterruptWhileCallbacksDrain(t *testing.T) {
	release := make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stall.Close()
	defer close(release)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, _, errOut := testEnv(nil)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"load", "--scenario", "clean", "--rate", "300", "--share", "greedy", "--rows", "50", "--progress", "none",
			"--callback-url", stall.URL + "/im", "--callback-timeout", "20s", "--report", filepath.Join(dir, "r.csv"),
			"--summary-json", filepath.Join(dir, "s.json")}, e)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "callbacks still queued") {
		if time.Now().After(deadline) {
			t.Fatalf("never waited for the callbacks:\n%s", errOut)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the run did not end within 5 s of the interrupt")
	}
	var doc digest.Document
	data, _ := os.ReadFile(filepath.Join(dir, "s.json"))
	if jerr := json.Unmarshal(data, &doc); jerr != nil || doc.Callbacks == nil || doc.Stop == nil {
		t.Fatalf("summary JSON %s: %v", data, jerr)
	}
	cb := doc.Callbacks
	if exitCode(err) != exitInterrupted || doc.Stop.Code != digest.StopInterrupted || doc.Rows["ok"] != 50 ||
		cb.Pending+cb.FailedBy["stopped"] == 0 || !strings.Contains(doc.Stop.Message, "callbacks were not delivered") {
		t.Errorf("exit %d (%v), stop %+v, rows %v, callbacks %+v; want 130, interrupted, 50 ok, some not delivered\n%s",
			exitCode(err), err, doc.Stop, doc.Rows, cb, errOut)
	}
}

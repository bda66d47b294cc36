package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// scripted is a fake service: each Report_Account gets its own list of
// answers, the last repeated. It remembers the UserSigs it saw.
type scripted struct {
	mu      sync.Mutex
	answers map[string][]answer
	calls   map[string]int
	sigs    map[string]bool
}

type answer struct {
	status int
	body   string
}

func newScripted(t *testing.T, answers map[string][]answer) (*scripted, *httptest.Server) {
	s := &scripted{answers: answers, calls: map[string]int{}, sigs: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/mock/stats" { // a run asks a loopback endpoint whether it is a msgread mock
		http.NotFound(w, r)
		return
	}
	var req struct{ Report_Account string }
	body, _ := io.ReadAll(r.Body)
	json.Unmarshal(body, &req)
	s.mu.Lock()
	s.sigs[r.URL.Query().Get("usersig")] = true
	seq := s.answers[req.Report_Account]
	n := s.calls[req.Report_Account]
	s.calls[req.Report_Account]++
	s.mu.Unlock()
	a := answer{200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`}
	if len(seq) > 0 {
		a = seq[min(n, len(seq)-1)]
	}
	a.body = strings.ReplaceAll(a.body, "URL", r.URL.String())
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func envelope(code int, info string) string {
	return fmt.Sprintf(`{"ActionStatus":"FAIL","ErrorInfo":%q,"ErrorCode":%d}`, info, code)
}

var okBody = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

// TestRealAnswers runs against a scripted service that answers as users of
// the real one have seen it answer: no ActionStatus, the codes of the public
// table, 90001 after the probe, HTTP 429, 503 and an HTML 200, a code
// msgread does not know, and an ErrorInfo that echoes the request URL.
func TestRealAnswers(t *testing.T) {
	s, srv := newScripted(t, map[string][]answer{
		"plain":   {{200, `{"ErrorCode":0,"ErrorInfo":""}`}},
		"differ":  {{200, `{"ActionStatus":"FAIL","ErrorCode":0,"ErrorInfo":""}`}},
		"c20004":  {{200, envelope(20004, "network error")}, {200, okBody}},
		"c91000":  {{200, envelope(91000, "try again")}, {200, okBody}},
		"c60015":  {{200, envelope(60015, "not a string")}},
		"c70051":  {{200, envelope(70051, "blacklisted")}},
		"c90001":  {{200, envelope(90001, "cannot parse")}},
		"h429":    {{429, "slow down"}, {200, okBody}},
		"h503":    {{503, "<html>down</html>"}, {200, okBody}},
		"h408":    {{408, ""}, {200, okBody}},
		"html":    {{200, "<html><body>gateway says hi</body></html>"}, {200, okBody}},
		"unknown": {{200, envelope(12345, "a brand new failure")}},
		"echo":    {{200, envelope(70402, "invalid request URL")}},
	})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	rows := []string{"plain", "differ", "c20004", "c91000", "c60015", "c70051", "c90001", "h429", "h503", "h408", "html", "unknown", "echo"}
	text := "report_account,peer_account\n"
	for _, r := range rows {
		text += r + ",peer\n"
	}
	os.WriteFile(in, []byte(text), 0o644)
	report := filepath.Join(dir, "r.csv")
	e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--workers", "1", "--progress", "none",
		"--report", report, "--summary-json", "-", in}, e)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1\n%s", exitCode(err), err, errOut)
	}
	got := readReport(t, report)
	want := map[string]reports.Status{"plain": "ok", "differ": "ok", "c20004": "ok", "c91000": "ok", "c60015": "failed", "c70051": "failed",
		"c90001": "failed", "h429": "ok", "h503": "ok", "h408": "ok", "html": "ok", "unknown": "failed", "echo": "failed"}
	for i, r := range rows {
		rec := got[i+2]
		if rec.Status != want[r] {
			t.Errorf("%s: %s (%q), want %s", r, rec.Status, rec.ErrorInfo, want[r])
		}
	}
	if !strings.Contains(got[3].ErrorInfo, "disagrees") {
		t.Errorf("an ActionStatus at odds with ErrorCode 0 is not said: %q", got[3].ErrorInfo)
	}
	var sum digest.Document
	if err := json.Unmarshal([]byte(out.String()), &sum); err != nil {
		t.Fatalf("summary JSON: %v\n%s", err, out)
	}
	if sum.Calls.UnknownCodes["12345"] != "a brand new failure" || !strings.Contains(errOut.String(), `12345 "a brand new failure"`) {
		t.Errorf("unknown codes %v; stderr:\n%s", sum.Calls.UnknownCodes, errOut)
	}
	if sum.ExitCode != exitRowsFailed || sum.Stop != nil || sum.Command != "run" || sum.SchemaVersion != digest.SchemaVersion {
		t.Errorf("summary: exit_code %d, stop %+v, command %q, schema %d; want 1, null, run, %d", sum.ExitCode, sum.Stop, sum.Command, sum.SchemaVersion, digest.SchemaVersion)
	}
	if sum.Throttles == 0 {
		t.Error("HTTP 429 did not slow the run down")
	}
	// No UserSig in any output, though the service echoed the URL.
	reportText, _ := os.ReadFile(report)
	all := string(reportText) + out.String() + errOut.String()
	for sig := range s.sigs {
		if sig == "" || strings.Contains(all, sig) {
			t.Errorf("a UserSig reached an output")
		}
	}
	if !strings.Contains(got[14].ErrorInfo, "usersig=REDACTED") {
		t.Errorf("the echoed URL: %q", got[14].ErrorInfo)
	}
}

// TestFatalAnswersStopTheRun: 90001 on the probe, and a 404 (a wrong
// endpoint), stop the run at the first call with exit 3 and a hint.
func TestFatalAnswersStopTheRun(t *testing.T) {
	for name, tc := range map[string]struct {
		a    answer
		hint string
	}{
		"90001 on the probe": {answer{200, envelope(90001, "cannot parse")}, "--msg-read-time-json string or number"},
		"404":                {answer{404, "<html>404 Not Found</html>"}, "base URL"},
		"403":                {answer{403, "forbidden"}, "HTTP status 403"},
	} {
		t.Run(name, func(t *testing.T) {
			s, srv := newScripted(t, map[string][]answer{"u0": {tc.a}, "u1": {tc.a}, "u2": {tc.a}})
			in := writeInput(t, 0, "u0,p,", "u1,p,", "u2,p,")
			e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			err := run(context.Background(), []string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none",
				"--report", filepath.Join(t.TempDir(), "r.csv"), in}, e)
			if exitCode(err) != exitAborted || !strings.Contains(err.Error(), tc.hint) {
				t.Fatalf("exit %d (%v), want 3 with %q\n%s", exitCode(err), err, tc.hint, errOut)
			}
			if n := s.calls["u0"] + s.calls["u1"] + s.calls["u2"]; n != 1 {
				t.Errorf("%d calls, want the probe alone", n)
			}
		})
	}
}

// TestEndpointMistakes: the API's full URL as --endpoint gets a hint, and a
// password in the endpoint is never printed.
func TestEndpointMistakes(t *testing.T) {
	in := writeInput(t, 3)
	for ep, want := range map[string]string{
		"https://console.tim.qq.com/v4/openim/admin_set_msg_read": "give the service's base URL, such as https://console.tim.qq.com",
		"ftp://u:hunter2@host": "not an http(s) URL",
	} {
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), []string{"run", "--endpoint", ep, "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--report", filepath.Join(t.TempDir(), "r.csv"), in}, e)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), want) || strings.Contains(err.Error()+errOut.String(), "hunter2") {
			t.Errorf("%s: exit %d (%v)", ep, exitCode(err), err)
		}
	}
}

// TestSecretsStayOut: the userinfo of the endpoint is masked in the banner, a
// key given to --secret-key-file is not echoed, and reports are 0600.
func TestSecretsStayOut(t *testing.T) {
	_, srv := newScripted(t, nil)
	in := writeInput(t, 3)
	report := filepath.Join(t.TempDir(), "r.csv")
	ep := strings.Replace(srv.URL, "http://", "http://ops:hunter2@", 1)
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", ep, "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--report", report, in}, e); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if strings.Contains(errOut.String(), "hunter2") || !strings.Contains(errOut.String(), "//xxxxx@") {
		t.Errorf("banner:\n%s", errOut)
	}
	if st, err := os.Stat(report); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	e, _, errOut = testEnv(nil)
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--secret-key-file", "k3yThatLooksLikeAKey0123", "--progress", "none", in}, e)
	if exitCode(err) != exitUsage || strings.Contains(err.Error()+errOut.String(), "k3yThatLooksLikeAKey0123") {
		t.Errorf("a key given as --secret-key-file: exit %d, %v", exitCode(err), err)
	}
}

// TestOutagesStopWithTheirCause: a refused port and a host that accepts and
// never answers stop the run at the probe, with exit 3 naming the cause and
// the host, after 1 + 3 tries 1 s, 2 s and 4 s apart (about 7 s).
func TestOutagesStopWithTheirCause(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the probe's backoff, 7 s")
	}
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	refusedAddr := refused.Addr().String()
	refused.Close() // nothing listens there now
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // accepted, never answered
		}
	}()
	for name, tc := range map[string]struct{ addr, cause string }{
		"refused":    {refusedAddr, "connection refused by " + refusedAddr},
		"no answers": {silent.Addr().String(), "no answer from " + silent.Addr().String() + " before the timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := writeInput(t, 50)
			e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			start := time.Now()
			err := run(context.Background(), []string{"run", "--endpoint", "http://" + tc.addr, "--sdkappid", mockAppID, "--admin", mockAdmin, "--timeout", "300ms", "--progress", "none",
				"--report", filepath.Join(t.TempDir(), "r.csv"), in}, e)
			if exitCode(err) != exitAborted || !strings.Contains(err.Error(), tc.cause) {
				t.Fatalf("exit %d (%v), want 3 naming %q\n%s", exitCode(err), err, tc.cause, errOut)
			}
			if d := time.Since(start); d > 30*time.Second { // a hang guard; the backoff is 7 s
				t.Errorf("took %v", d)
			}
		})
	}
}

// readSoFar is the count of bytes this process has read (the rchar of
// /proc/self/io, which counts pread as well as read), and whether it is
// known.
func readSoFar() (int64, bool) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// holdsOpen says whether this process has the file at path open.
func holdsOpen(path string) bool {
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && target == path {
			return true
		}
	}
	return false
}

// waitReadingFar waits until this process has the file at path open and
// has read 4 MiB since (more than any one read takes: the count of lines
// reads 1 MiB at a time), so that the command is well into reading it. It
// watches the process's count of bytes read, not the file's offset, which
// a count of lines through a section reader (pread) leaves where it was.
// It fails the test after 10 s. Without /proc nothing shows how far a read
// has gone, and it waits 100 ms.
func waitReadingFar(t *testing.T, path string, errOut *syncBuffer) {
	t.Helper()
	if _, known := readSoFar(); !known {
		time.Sleep(100 * time.Millisecond)
		return
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	deadline := time.Now().Add(10 * time.Second)
	for !holdsOpen(path) {
		if time.Now().After(deadline) {
			t.Fatalf("%s was not opened within 10 s\n%s", path, errOut)
		}
		time.Sleep(time.Millisecond)
	}
	from, _ := readSoFar()
	for {
		n, _ := readSoFar()
		if n-from >= 4<<20 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes read in 10 s since %s was opened, want 4 MiB\n%s", n-from, path, errOut)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestInterruptWhileCountingOrLoading: a huge input being counted, or a
// huge report being loaded for a resume, gives way to the first interrupt
// within a second.
func TestInterruptWhileCountingOrLoading(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.csv")
	f, _ := os.Create(huge)
	f.WriteString("report_account,peer_account\n")
	f.Truncate(64 << 30) // 64 GiB of zeros, sparse: counting it would take minutes
	f.Close()
	in := writeInput(t, 10)
	old := filepath.Join(dir, "old.csv")
	f, _ = os.Create(old)
	f.WriteString(strings.Join(reports.Header, ",") + "\n")
	for i := range 2_000_000 {
		fmt.Fprintf(f, "%d,u%d,p%d,,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n", i+2, i, i)
	}
	f.Close()
	for name, tc := range map[string]struct {
		args  []string
		reads string // the file being read when the interrupt comes
	}{
		"counting": {[]string{"check", huge}, huge},
		"loading":  {[]string{"run", "--mock", "--progress", "none", "--resume", old, "--report", filepath.Join(dir, "new.csv"), in}, old},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e, _, errOut := testEnv(nil)
			done := make(chan error, 1)
			go func() { done <- run(ctx, tc.args, e) }()
			waitReadingFar(t, tc.reads, errOut)
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if exitCode(err) != exitInterrupted || time.Since(start) > time.Second {
					t.Errorf("exit %d (%v) after %v, want 130 within a second\n%s", exitCode(err), err, time.Since(start), errOut)
				}
			case <-time.After(time.Minute):
				t.Fatal("the interrupt was not honoured")
			}
		})
	}
}

// TestBlipCostsNoRowEndToEnd: the service drops every connection for a
// second mid-run; the run goes on, and every row ends ok.
func TestBlipCostsNoRowEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var calls int
	var blipStart time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		calls++
		if calls == 100 {
			blipStart = time.Now()
		}
		down := !blipStart.IsZero() && time.Since(blipStart) < time.Second
		mu.Unlock()
		if down {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, okBody)
	}))
	t.Cleanup(srv.Close)
	in := writeInput(t, 400)
	report := filepath.Join(t.TempDir(), "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "400", "--progress", "none", "--report", report, in}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	got := readReport(t, report)
	for line := 2; line <= 401; line++ {
		if got[line].Status != reports.StatusOK {
			t.Errorf("line %d: %+v", line, got[line])
		}
	}
	assertChain(t, in, []string{report})
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// silentMock is a standalone mock whose ignore fault answers some marks
// OK without marking them, with a history that ends before the rows' read
// times: a marked pair reads 0 unread, an ignored one all of its messages.
func silentMock(t *testing.T, ignore float64) *mockserver.Server {
	sc, err := mockserver.DecodeScenario("silent.json", []byte(fmt.Sprintf(`{"name":"silent","ceiling":-1,
		"faults":[{"kind":"ignore","probability":%g}],"history":{"messages":4,"days":30,"until":"2025-01-01T00:00:00Z"}}`, ignore)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := mockserver.Config{Key: chatapi.NewSecret(testKey), Seed: 5}
	sc.Apply(&cfg)
	return startMock(t, cfg)
}

// runReport runs rows of verifyInput against srv, writing report, and
// fails the test if the run does not end well.
func runReport(t *testing.T, srv *mockserver.Server, report string, rows int) {
	t.Helper()
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, verifyInput(t, rows)}, e); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
}

// verifyInput writes rows over 30 accounts, read after the mock's history.
func verifyInput(t *testing.T, rows int) string {
	var lines []string
	for i := range rows {
		lines = append(lines, fmt.Sprintf("acct%d,peer%d,%d", i%30, i, 1750000000+i))
	}
	return writeInput(t, 0, lines...)
}

// TestVerifyAfterARun: run, then verify --sample all against the same
// standalone mock: with nothing ignored every row reads back read (exit
// 0); with the ignore fault at 2 %, verify flags exactly the pairs the
// mock did not mark (exit 1), and its summary JSON says so.
func TestVerifyAfterARun(t *testing.T) {
	for _, ignore := range []float64{0, 0.02} {
		srv := silentMock(t, ignore)
		dir := t.TempDir()
		report := filepath.Join(dir, "r.csv")
		runReport(t, srv, report, 600)
		marked := map[string]bool{}
		for _, m := range srv.Marks() {
			marked[m.ReportAccount+","+m.PeerAccount] = true
		}
		e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), []string{"verify", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--sample", "all", "--summary-json", "-", report}, e)
		want := exitOK
		if len(marked) < 600 {
			want = exitRowsFailed
		}
		if exitCode(err) != want || (ignore > 0 && len(marked) == 600) {
			t.Fatalf("ignore %g: exit %d (%v), want %d; %d of 600 marked\n%s", ignore, exitCode(err), err, want, len(marked), errOut)
		}
		data, err := os.ReadFile(filepath.Join(dir, "r.verify.csv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		unread := 0
		for _, l := range lines[1:] {
			c := strings.Split(l, ",")
			if (c[5] == "unread") == marked[c[1]+","+c[2]] || (c[5] != "read" && c[5] != "unread") {
				t.Errorf("ignore %g: verify row %q against marked %v", ignore, l, marked[c[1]+","+c[2]])
			}
			if c[5] == "unread" {
				unread++
			}
		}
		var doc struct {
			Command                       string
			Sampled, Read, Unread, Errors int
			ExitCode                      int `json:"exit_code"`
		}
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || doc.Command != "verify" || doc.Sampled != 600 || doc.Unread != unread ||
			doc.Unread != 600-len(marked) || doc.ExitCode != want || len(lines) != 601 {
			t.Errorf("ignore %g: summary %+v (%v), %d verify lines; want 600 sampled, %d unread", ignore, doc, err, len(lines), 600-len(marked))
		}
		if st := srv.Stats(); st.Unread.Requests != 60 {
			t.Errorf("%d unread-count calls for 600 rows over 30 accounts of 20 peers each, want 60: ten peers of one account a call (%+v)", st.Unread.Requests, st.Unread)
		}
	}
}

// TestVerifyHostileInputs: what is not a report, a sample that is no
// sample, an empty sample, a torn last line, an --out that exists, and a
// wrong key.
func TestVerifyHostileInputs(t *testing.T) {
	srv := silentMock(t, 0)
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	runReport(t, srv, report, 40)
	verify := func(key string, args ...string) (string, error) {
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": key})
		err := run(context.Background(), append([]string{"verify", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000"}, args...), e)
		return errOut.String(), err
	}
	for _, sample := range []string{"0", "-3", "NaN", "101%", "abc"} {
		e, out, _ := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), []string{"verify", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--sample", sample, "--summary-json", "-", report}, e)
		var doc struct {
			Command string
			Sampled *int
			Stop    struct{ Code string }
		}
		jerr := json.Unmarshal([]byte(out.String()), &doc)
		if exitCode(err) != exitUsage || jerr != nil || doc.Command != "verify" || doc.Sampled == nil || doc.Stop.Code != "usage_error" {
			t.Errorf("--sample %s: exit %d (%v), summary %+v (%v); want 2 and verify's summary naming the usage error", sample, exitCode(err), err, doc, jerr)
		}
	}
	input := verifyInput(t, 3)
	if _, err := verify(testKey, input); exitCode(err) != exitUsage || !strings.Contains(err.Error(), reports.ErrNotReport.Error()) {
		t.Errorf("an input CSV as the report: exit %d (%v), want 2, not a report", exitCode(err), err)
	}
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, []byte(strings.Join(reports.Header, ",")+"\n"), 0o600)
	if out, err := verify(testKey, empty); err != nil || !strings.Contains(out, "nothing to verify") {
		t.Errorf("an empty report: %v, want exit 0 saying nothing to verify\n%s", err, out)
	}
	if _, err := verify(testKey, "--out", report, report); exitCode(err) != exitUsage {
		t.Errorf("--out over the report: exit %d (%v), want 2", exitCode(err), err)
	}
	torn := filepath.Join(dir, "torn.csv")
	data, _ := os.ReadFile(report)
	os.WriteFile(torn, append(data, "99,acct1,pe"...), 0o600)
	if out, err := verify(testKey, "--sample", "all", torn); err != nil || !strings.Contains(out, "no line end") || !strings.Contains(out, "40 sampled") {
		t.Errorf("a torn report: %v, want exit 0 reading its 40 complete rows and saying so\n%s", err, out)
	}
	sent := reports.SendLogPath(report)
	logged, _ := os.ReadFile(sent)
	os.WriteFile(sent, append(logged, "# resumed into r2.csv\n"...), 0o600)
	if out, err := verify(testKey, "--out", filepath.Join(dir, "old.csv"), report); err != nil || !strings.Contains(out, "resumed into "+filepath.Join(dir, "r2.csv")) {
		t.Errorf("a superseded report: %v, want exit 0 naming the newer report\n%s", err, out)
	}
	os.WriteFile(sent, logged, 0o600)
	lock, err := reports.LockFile(report, "msgread run")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := verify(testKey, "--out", filepath.Join(dir, "live.csv"), report); err != nil || !strings.Contains(out, "a run is still writing this report (held by msgread run") {
		t.Errorf("a report a run holds: %v, want exit 0 saying a run is writing it\n%s", err, out)
	}
	lock.Release()
	if out, err := verify("wrong-key", "--out", filepath.Join(dir, "w.csv"), report); exitCode(err) != exitAborted || srv.Stats().Unread.ByCode["70009"] != 1 {
		t.Errorf("a wrong key: exit %d (%v), %v; want 3 after one call\n%s", exitCode(err), err, srv.Stats().Unread, out)
	}
}

// TestRunVerify: run --verify reads a sample of the run's own ok rows back
// against the same target: the bundled mock, rows read now, all read (exit
// 0, the summary JSON's verify object, the HTML's Verified section); a
// mock that ignored some marks, exit 1 naming them.
func TestRunVerify(t *testing.T) {
	dir := t.TempDir()
	e, out, errOut := testEnv(nil)
	report := filepath.Join(dir, "r.csv")
	err := run(context.Background(), []string{"run", "--mock", "--rate", "5000", "--progress", "none", "--verify", "all",
		"--report", report, "--summary-json", "-", writeInput(t, 0, "a,b,", "a,c,", "d,e,")}, e)
	var doc struct {
		Verify *struct{ Sampled, Read, Unread, Errors int }
	}
	if jerr := json.Unmarshal([]byte(out.String()), &doc); err != nil || jerr != nil || doc.Verify == nil || doc.Verify.Sampled != 3 || doc.Verify.Read != 3 {
		t.Fatalf("exit %d (%v), verify %+v (%v)\n%s", exitCode(err), err, doc.Verify, jerr, errOut)
	}
	if html, _ := os.ReadFile(filepath.Join(dir, "r.html")); !strings.Contains(string(html), "<h2>Verified</h2>") {
		t.Error("the HTML report has no Verified section")
	}
	srv := silentMock(t, 0.2)
	e, _, errOut = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err = run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--verify", "all",
		"--report", filepath.Join(dir, "s.csv"), verifyInput(t, 100)}, e)
	if exitCode(err) != exitRowsFailed || !strings.Contains(err.Error(), "sampled rows not read") || len(srv.Marks()) == 100 {
		t.Errorf("a mock ignoring marks: exit %d (%v), %d of 100 marked; want exit 1 naming the rows not read\n%s", exitCode(err), err, len(srv.Marks()), errOut)
	}
}

// TestVerifyInterrupted: Ctrl-C during a verification ends it with exit
// 130, no new call started, and the verify report flushed with every row
// read back so far.
func TestVerifyInterrupted(t *testing.T) {
	srv := silentMock(t, 0)
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	runReport(t, srv, report, 300)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	go func() {
		// 30 calls (ten peers each) at 20 calls/s: 1.5 s, interrupted after 5.
		done <- run(ctx, []string{"verify", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "20", "--sample", "all", report}, e)
	}()
	for deadline := time.Now().Add(10 * time.Second); srv.Stats().Unread.Requests < 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("verify made no 5 calls within 10 s")
		}
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("verify did not end within 10 s of the interrupt")
	}
	data, _ := os.ReadFile(filepath.Join(dir, "r.verify.csv"))
	rows := strings.Count(string(data), "\n") - 1
	calls := int(srv.Stats().Unread.Requests)
	if exitCode(err) != exitInterrupted || rows <= 0 || rows != 10*calls || calls >= 30 {
		t.Errorf("exit %d (%v); %d rows in the verify report after %d of 30 calls; want 130, ten rows a call made\n%s", exitCode(err), err, rows, calls, errOut)
	}
}

// TestVerifyRefusalsLeaveNoReport: a verification refused before its
// first call (no key; a report damaged in its first rows) leaves no verify
// report to refuse the next try, the damaged report exits 2 as an input
// error, and a fatal answer's summary names it fatal_answer.
func TestVerifyRefusalsLeaveNoReport(t *testing.T) {
	srv := silentMock(t, 0)
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	runReport(t, srv, report, 20)
	verify := func(vars map[string]string, args ...string) (string, error) {
		e, out, _ := testEnv(vars)
		err := run(context.Background(), append([]string{"verify", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--summary-json", "-"}, args...), e)
		return out.String(), err
	}
	stopCode := func(doc string) string {
		var d struct{ Stop struct{ Code string } }
		json.Unmarshal([]byte(doc), &d)
		return d.Stop.Code
	}
	out := filepath.Join(dir, "v.csv")
	if _, err := verify(nil, "--out", out, report); exitCode(err) != exitUsage {
		t.Fatalf("no key: exit %d (%v), want 2", exitCode(err), err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("no key: the verify report was left behind")
	}
	if _, err := verify(map[string]string{"MSGREAD_SECRET_KEY": testKey}, "--out", out, report); err != nil {
		t.Errorf("the same verification with the key: %v, want exit 0", err)
	}
	data, _ := os.ReadFile(report)
	lines := strings.SplitAfter(string(data), "\n")
	damaged := filepath.Join(dir, "damaged.csv")
	os.WriteFile(damaged, []byte(strings.Join(lines[:5], "")+"garbage,line\n"+strings.Join(lines[5:], "")), 0o600)
	dout := filepath.Join(dir, "d.csv")
	doc, err := verify(map[string]string{"MSGREAD_SECRET_KEY": testKey}, "--sample", "all", "--out", dout, damaged)
	if exitCode(err) != exitUsage || stopCode(doc) != "input_error" || !strings.Contains(err.Error(), "report line 6") {
		t.Errorf("a damaged report: exit %d (%v), stop %q; want 2, input_error, naming its line", exitCode(err), err, stopCode(doc))
	}
	if _, err := os.Stat(dout); err == nil {
		t.Error("a damaged report: the verify report was left behind")
	}
	doc, err = verify(map[string]string{"MSGREAD_SECRET_KEY": "wrong-key"}, "--out", filepath.Join(dir, "w.csv"), report)
	if exitCode(err) != exitAborted || stopCode(doc) != "fatal_answer" {
		t.Errorf("a wrong key: exit %d (%v), stop %q; want 3, fatal_answer", exitCode(err), err, stopCode(doc))
	}
}

// TestVerifySecondInterrupt: a second interrupt cuts off the calls in
// flight of a verification (a hanging service), as it does a run's: exit
// 130, stop aborted, at once rather than after the call's timeout.
func TestVerifySecondInterrupt(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	srv := silentMock(t, 0)
	runReport(t, srv, report, 5)
	sc, err := mockserver.DecodeScenario("hang.json", []byte(`{"name":"hang","faults":[{"kind":"hang","max":"30s","probability":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := mockserver.Config{Key: chatapi.NewSecret(testKey), Seed: 5}
	sc.Apply(&cfg)
	hang := startMock(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 1)
	e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	e.signals = signals
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"verify", "--endpoint", hang.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--timeout", "20s", "--summary-json", "-", report}, e)
	}()
	time.Sleep(300 * time.Millisecond) // its first call hangs
	cancel()
	time.Sleep(50 * time.Millisecond)
	signals <- os.Interrupt
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("verify did not end within 5 s of the second interrupt")
	}
	var doc struct{ Stop struct{ Code string } }
	json.Unmarshal([]byte(out.String()), &doc)
	if exitCode(err) != exitInterrupted || doc.Stop.Code != "aborted" {
		t.Errorf("exit %d (%v), stop %q; want 130, aborted\n%s", exitCode(err), err, doc.Stop.Code, errOut)
	}
}

// TestRunVerifyInterrupted: an interrupt during run --verify's
// verification ends the run with exit 130 and the stop interrupted, not
// as rows not read (exit 1).
func TestRunVerifyInterrupted(t *testing.T) {
	srv := silentMock(t, 0)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil && srv.Stats().Unread.Requests < 1 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(ctx, []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "100", "--progress", "none", "--verify", "all",
		"--report", filepath.Join(dir, "r.csv"), "--summary-json", "-", verifyInput(t, 300)}, e)
	var doc struct {
		Stop   struct{ Code string }
		Verify *struct{ Sampled int }
	}
	json.Unmarshal([]byte(out.String()), &doc)
	if exitCode(err) != exitInterrupted || doc.Stop.Code != "interrupted" || doc.Verify == nil || doc.Verify.Sampled >= 300 {
		t.Errorf("exit %d (%v), stop %q, verify %+v; want 130, interrupted, part of the sample\n%s", exitCode(err), err, doc.Stop.Code, doc.Verify, errOut)
	}
}

// TestRunVerifyReportIsMadeFirst: --verify's report is made with the
// run's other outputs, so one that exists refuses the run before its first
// call (exit 2), and a run that stops early leaves none behind.
func TestRunVerifyReportIsMadeFirst(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "e.verify.csv"), []byte("keep\n"), 0o600)
	srv := silentMock(t, 0)
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--verify", "all",
		"--report", filepath.Join(dir, "e.csv"), verifyInput(t, 5)}, e)
	if exitCode(err) != exitUsage || srv.Stats().Requests != 0 || !strings.Contains(err.Error(), "e.verify.csv") {
		t.Errorf("an existing verify report: exit %d (%v), %d calls; want 2 naming it, nothing sent\n%s", exitCode(err), err, srv.Stats().Requests, errOut)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "e.verify.csv")); string(data) != "keep\n" {
		t.Errorf("the existing file was touched: %q", data)
	}
	e, _, errOut = testEnv(map[string]string{"MSGREAD_SECRET_KEY": "wrong-key"})
	err = run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--verify", "all",
		"--report", filepath.Join(dir, "w.csv"), verifyInput(t, 5)}, e)
	if _, serr := os.Stat(filepath.Join(dir, "w.verify.csv")); exitCode(err) != exitAborted || serr == nil {
		t.Errorf("a run stopped by a wrong key: exit %d (%v), verify report left: %v\n%s", exitCode(err), err, serr == nil, errOut)
	}
}

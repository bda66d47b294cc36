package main

import (
	"context"
	"encoding/json"
	"github.com/msgread/msgread/batch"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
)

func TestLoadThresholds(t *testing.T) {
	dir := t.TempDir()
	base := []string{"load", "--scenario", "clean", "--rate", "400", "--share", "greedy", "--rows", "300", "--progress", "none"}

	// All hold: exit 0, and every output is written. (The mock's ceiling
	// is half the rate asked for, and the pacer, greedy, holds just under
	// what it learns is left: a little under 0.5. Safe would keep a
	// headroom and send late in each second once refused, which on a run
	// of 1.5 s costs a good part of a second.)
	e, _, errOut := testEnv(nil)
	err := run(context.Background(), append(base, "--report", filepath.Join(dir, "a.csv"), "--summary-json", filepath.Join(dir, "a.json"),
		"--max-p99", "2s", "--min-rate", "0.45", "--max-failed", "0", "--max-gave-up", "0"), e)
	if err != nil {
		t.Fatalf("all thresholds hold, but: %v\n%s", err, errOut)
	}
	for _, p := range []string{"a.csv", "a.timeline.csv", "a.html", "a.json"} {
		if st, err := os.Stat(filepath.Join(dir, p)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", p, err)
		}
	}
	if len(readReport(t, filepath.Join(dir, "a.csv"))) != 300 {
		t.Error("the report does not hold the 300 rows")
	}
	var sum digest.Document
	data, _ := os.ReadFile(filepath.Join(dir, "a.json"))
	if err := json.Unmarshal(data, &sum); err != nil || len(sum.Thresholds) != 4 || len(digest.Breaches(sum.Thresholds)) != 0 || sum.Rows["ok"] != 300 ||
		sum.ExitCode != 0 || sum.Mock == nil || sum.Mock.Scenario != "clean" || sum.ServerCeiling == nil || *sum.ServerCeiling != 200 {
		t.Errorf("summary JSON %s: %v", data, err)
	}
	tl, _ := os.ReadFile(filepath.Join(dir, "a.timeline.csv"))
	if !strings.HasPrefix(string(tl), strings.Join(digest.TimelineHeader, ",")+"\n") || strings.Count(string(tl), "\n") < 2 {
		t.Errorf("timeline:\n%s", tl)
	}

	// A breached threshold: the run finishes, names it, and exits 4.
	e, _, errOut = testEnv(nil)
	err = run(context.Background(), append(base, "--report", filepath.Join(dir, "b.csv"), "--min-rate", "1.5", "--summary-json", filepath.Join(dir, "b.json")), e)
	data, _ = os.ReadFile(filepath.Join(dir, "b.json"))
	if json.Unmarshal(data, &sum) != nil || sum.ExitCode != exitThreshold || len(sum.Thresholds) != 1 || sum.Thresholds[0].OK || sum.Thresholds[0].Limit != 1.5 {
		t.Errorf("breached: summary JSON %s", data)
	}
	if exitCode(err) != exitThreshold || !strings.Contains(err.Error(), "--min-rate 1.5") || !strings.Contains(errOut.String(), "threshold not met: --min-rate 1.5") {
		t.Fatalf("exit %d (%v), want 4 naming --min-rate\n%s", exitCode(err), err, errOut)
	}
	if len(readReport(t, filepath.Join(dir, "b.csv"))) != 300 {
		t.Error("a breached threshold must not stop the run")
	}
}

func TestLoadFaultsBreachFailureThreshold(t *testing.T) {
	scenario := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(scenario, []byte(`{"faults": [{"kind": "code", "code": 70107, "probability": 0.3}], "ceiling": -1}`), 0o644)
	e, _, errOut := testEnv(nil)
	err := run(context.Background(), []string{"load", "--scenario", scenario, "--rate", "1000", "--rows", "200", "--progress", "none",
		"--report", filepath.Join(t.TempDir(), "r.csv"), "--max-failed", "0.1", "--max-gave-up", "0"}, e)
	if exitCode(err) != exitThreshold || !strings.Contains(err.Error(), "--max-failed 0.1") || strings.Contains(err.Error(), "--max-gave-up") {
		t.Fatalf("exit %d (%v), want 4 naming only --max-failed\n%s", exitCode(err), err, errOut)
	}
}

func TestGen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.csv")
	e, _, _ := testEnv(nil)
	if err := run(context.Background(), []string{"gen", "--rows", "1000", "--population", "20", "--invalid-rate", "0.05", "--out", path}, e); err != nil {
		t.Fatal(err)
	}
	e, out, _ := testEnv(nil)
	err := run(context.Background(), []string{"check", path}, e)
	if exitCode(err) != exitRowsFailed || !strings.Contains(out.String(), "1000 rows:") {
		t.Errorf("check of a generated file with invalid rows: %v\n%s", err, out)
	}
	e, _, _ = testEnv(nil)
	if err := run(context.Background(), []string{"gen", "--rows", "10", "--out", path}, e); exitCode(err) != exitUsage {
		t.Errorf("gen over an existing file: %v, want exit 2", err)
	}
	e, _, _ = testEnv(nil)
	if err := run(context.Background(), []string{"gen", "--population", "1"}, e); exitCode(err) != exitUsage {
		t.Errorf("gen with one user: %v, want exit 2", err)
	}
}

func TestLoadAgainstEndpoint(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"load", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "1000", "--rows", "50", "--progress", "none",
		"--report", filepath.Join(t.TempDir(), "r.csv")}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if n := len(srv.Marks()); n != 50 {
		t.Errorf("the endpoint got %d marks, want 50", n)
	}
	if !strings.Contains(errOut.String(), "against "+srv.URL()) {
		t.Errorf("banner does not name the endpoint:\n%s", errOut)
	}
}

// TestSummaryCallsAddUp: a load stopped by --duration while rows wait for a
// retry still counts every call: attempts = rows sent + retries, and rows
// sent = ok + failed + gave up + sent but not finished; the stop is null
// (the planned end) and the exit code the process's.
func TestSummaryCallsAddUp(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc.json")
	os.WriteFile(sc, []byte(`{"name":"retrying","ceiling":0,"faults":[{"kind":"code","code":90995,"probability":0.5}]}`), 0o644)
	e, out, errOut := testEnv(nil)
	err := run(context.Background(), []string{"load", "--scenario", sc, "--rate", "400", "--share", "greedy", "--duration", "1500ms", "--progress", "none",
		"--report", filepath.Join(dir, "r.csv"), "--summary-json", "-"}, e)
	var doc digest.Document
	if jerr := json.Unmarshal([]byte(out.String()), &doc); jerr != nil {
		t.Fatalf("summary JSON on stdout: %v\n%s\n%s", jerr, out, errOut)
	}
	if doc.ExitCode != exitCode(err) || doc.Stop != nil {
		t.Errorf("exit_code %d, stop %+v; the process exits %d (%v)", doc.ExitCode, doc.Stop, exitCode(err), err)
	}
	c := doc.Calls
	if c.Retries == 0 || c.SentNotFinished == 0 {
		t.Fatalf("the scenario should leave retries pending at the end: %+v\n%s", c, errOut)
	}
	if c.Attempts != c.RowsSent+c.Retries || c.RowsSent != doc.Rows["ok"]+doc.Rows["failed"]+doc.Rows["gave_up"]+c.SentNotFinished {
		t.Errorf("calls do not add up: %+v, rows %v", c, doc.Rows)
	}
	if doc.TargetRate != 400 || doc.Remaining != nil || doc.InputRows != doc.Reported+doc.NotFinished {
		t.Errorf("target_rate %v, remaining %v, input_rows %d, reported %d, not finished %d", doc.TargetRate, doc.Remaining, doc.InputRows, doc.Reported, doc.NotFinished)
	}
}

// TestStepsAndStagesEnd: a load test with steps or stages ends with the
// last one unless --duration says otherwise.
func TestStepsAndStagesEnd(t *testing.T) {
	for _, args := range [][]string{{"--rate", "100,200,300", "--step", "300ms"}, {"--stages", "100:300ms,300:300ms,0:300ms"}} {
		c := commandNamed("load")
		e, _, _ := testEnv(nil)
		o, err := c.parse(e, append([]string{"--progress", "none"}, args...))
		if err != nil {
			t.Fatal(err)
		}
		if d := o.(*loadOptions).rows.duration; d != 900*time.Millisecond {
			t.Errorf("%q: runs for %v, want 900ms", args, d)
		}
		o, _ = c.parse(e, append([]string{"--duration", "2s"}, args...))
		if d := o.(*loadOptions).rows.duration; d != 2*time.Second {
			t.Errorf("%q --duration 2s: runs for %v", args, d)
		}
	}
	e, _, _ := testEnv(nil)
	o, _ := commandNamed("load").parse(e, []string{"--rate", "100"})
	if d := o.(*loadOptions).rows.duration; d != batch.DefaultLoadDuration {
		t.Errorf("constant rate: %v, want the default %v", d, batch.DefaultLoadDuration)
	}
}

// TestLoadFindsTheMocksCeilingSteps: against a ceiling that changes and
// that the client is not told, the load takes nearly all of what the mock
// had left, and the summary says how much.
func TestLoadFindsTheMocksCeilingSteps(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc.json")
	os.WriteFile(sc, []byte(`{"name":"stepping","ceiling_steps":"80:1s,40:1m"}`), 0o644)
	e, out, errOut := testEnv(nil)
	err := run(context.Background(), []string{"load", "--scenario", sc, "--rate", "100", "--share", "greedy", "--duration", "8s", "--progress", "none",
		"--report", filepath.Join(dir, "r.csv"), "--summary-json", "-"}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var doc digest.Document
	if jerr := json.Unmarshal([]byte(out.String()), &doc); jerr != nil {
		t.Fatalf("summary JSON on stdout: %v\n%s\n%s", jerr, out, errOut)
	}
	if doc.ServerCeiling != nil {
		t.Errorf("server_ceiling %v for a ceiling that changes, want null", *doc.ServerCeiling)
	}
	// 80 calls/s left for the first second, then 40: counted from 5 s
	// after the change, the last (partial) second left out. One or two
	// seconds are measured: a probe can cost a few calls, and the run's
	// seconds (from its start) straddle the mock's clock seconds, so a
	// measured second can hold a few calls of the next (a share a little
	// over 1). The controller's goal is checked on long runs by
	// TestPacerTakesWhatTheAppHasLeft and make bench-quota.
	q := doc.Quota
	if q == nil || q.Seconds < 1 || q.Share < 0.8 || q.Share > 1.2 || q.Throttled > 0.05 {
		t.Fatalf("quota %+v, want about all of what was left and few throttled\n%s", q, errOut)
	}
	if doc.Throttles == 0 || !strings.Contains(errOut.String(), "of the calls the service had left") {
		t.Errorf("throttles %d; the text summary does not say how much of the quota the run took:\n%s", doc.Throttles, errOut)
	}
}

// TestShortLoadCountsProductionsRefusals: a load too short for the quota's
// share to be measured (3 s: the share counts from 5 s after the start)
// still says what it cost production, greedy against production at 150
// calls/s under 200: the text summary, the summary JSON (quota, with no
// share claimed: 0 seconds measured) and the HTML report.
func TestShortLoadCountsProductionsRefusals(t *testing.T) {
	dir := t.TempDir()
	sc := writeScenario(t, `{"name":"busy","production":{"rate":"150","arrivals":"even"}}`)
	e, out, errOut := testEnv(nil)
	err := run(context.Background(), []string{"load", "--scenario", sc, "--rate", "200", "--share", "greedy", "--duration", "3s", "--progress", "none",
		"--report", filepath.Join(dir, "r.csv"), "--summary-json", "-"}, e)
	if exitCode(err) > exitRowsFailed {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var doc digest.Document
	if jerr := json.Unmarshal([]byte(out.String()), &doc); jerr != nil {
		t.Fatalf("summary JSON on stdout: %v\n%s\n%s", jerr, out, errOut)
	}
	q := doc.Quota
	if q == nil || q.ProductionCalls < 300 || q.ProductionRefused == 0 || q.Seconds != 0 || q.Share != 0 {
		t.Fatalf("quota %+v, want production's calls (about 450) and refusals, and no share measured\n%s", q, errOut)
	}
	if !strings.Contains(errOut.String(), "production traffic: ") || strings.Contains(errOut.String(), "of the calls the service had left") {
		t.Errorf("the text summary does not say what production lost, or claims a share over 0 s:\n%s", errOut)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "r.html"))
	if !strings.Contains(string(page), "production traffic") || strings.Contains(string(page), "0 s measured") {
		t.Errorf("the HTML report does not say what production lost, or claims a share over 0 s")
	}
}

// TestBannerNamesTheLimiterAndProduction: the banner names a ceiling that
// is not a window per clock second, with its burst, and the scenario's
// production traffic: "ceiling 200/s" alone hid that the limiter was a
// token bucket of burst 1, which takes a quarter of what the window does.
func TestBannerNamesTheLimiterAndProduction(t *testing.T) {
	for js, want := range map[string]string{
		`{"ceiling_kind":"token-bucket","ceiling_burst":1}`:                        "ceiling 200/s (token-bucket, burst 1)",
		`{"ceiling_kind":"sliding-window","production":{"rate":"60:30s,140:30s"}}`: "ceiling 200/s (sliding-window), production traffic 60:30s,140:30s calls/s (poisson)",
		`{"ceiling":150,"production":{"rate":"100","arrivals":"even"}}`:            "ceiling 150/s, production traffic 100 calls/s (even)",
		`{"ceiling_kind":"token-bucket"}`:                                          "ceiling 200/s (token-bucket, burst 200)",
		`{"ceiling_steps":"200:20s,100:20s","production":{"rate":"50"}}`:           "(calls/s:for, repeating), production traffic 50 calls/s (poisson)",
	} {
		e, _, errOut := testEnv(nil)
		err := run(context.Background(), []string{"load", "--scenario", writeScenario(t, js), "--rows", "1", "--progress", "none",
			"--report", filepath.Join(t.TempDir(), "r.csv")}, e)
		if exitCode(err) > exitRowsFailed || !strings.Contains(errOut.String(), want) {
			t.Errorf("%s: exit %d (%v); the banner lacks %q:\n%s", js, exitCode(err), err, want, errOut)
		}
	}
}

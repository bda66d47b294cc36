package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/crashpoint"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// rebuiltDoc is what the tests read of msgread report's summary JSON.
type rebuiltDoc struct {
	Command     string                 `json:"command"`
	InputRows   int                    `json:"input_rows"`
	Rows        map[reports.Status]int `json:"rows"`
	WallSeconds float64                `json:"wall_seconds"`
	ExitCode    int                    `json:"exit_code"`
	Runs        []struct {
		Report    string    `json:"report"`
		Timeline  string    `json:"timeline"`
		Missing   string    `json:"timeline_missing"`
		StartedAt time.Time `json:"started_at"`
		EndedAt   time.Time `json:"ended_at"`
		Seconds   int       `json:"seconds"`
	} `json:"runs"`
}

func readRebuilt(t *testing.T, path string) rebuiltDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d rebuiltDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	return d
}

// timelineSeconds reads a timeline file's seconds.
func timelineSeconds(t *testing.T, path string) []digest.Second {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	secs, err := digest.ReadTimeline(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return secs
}

// chartPoints counts the points of the rate chart's "calls sent per
// second" line, over all its pieces (a chain's gaps break it).
func chartPoints(html string) int {
	n := 0
	re := regexp.MustCompile(`<polyline [^>]*points="([^"]*)"><title>calls sent per second</title>`)
	for _, m := range re.FindAllStringSubmatch(html, -1) {
		n += len(strings.Fields(m[1]))
	}
	return n
}

// TestReportRebuildsAChainKilledAt70Percent: a run killed with SIGKILL at
// 70 % of its answers leaves its report and its timeline up to about the
// kill (the HTML and summary JSON of its end are never written); a resume
// into a new report finishes the rows (and the lines that were invalid,
// fixed in the input since). msgread report on the newest report rebuilds
// the chain: every input line once, with its final status, every second of
// both runs on the charts and in the JSON, the gap between them shaded;
// the resumed run's own HTML charts the whole chain too.
func TestReportRebuildsAChainKilledAt70Percent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	bin := buildBinary(t)
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	const rows, broken = 400, 20 // lines i%20 == 3 lack their peer until the fix
	input := func(fixed bool) {
		var b strings.Builder
		b.WriteString("report_account,peer_account,msg_read_time\n")
		for i := range rows {
			peer := fmt.Sprintf("p%d", i%17)
			if i%20 == 3 && !fixed {
				peer = ""
			}
			fmt.Fprintf(&b, "u%d,%s,%d\n", i, peer, 1600000000+i)
		}
		if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	msgread := func(crash string, args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey, crashpoint.Env+"="+crash)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	at := func(name string) string { return filepath.Join(dir, name) }
	target := []string{"run", "--endpoint", srv.URL(), "--sdkappid", "1400000000", "--admin", "administrator", "--rate", "100", "--progress", "none"}

	input(false)
	kill := fmt.Sprintf("answered:%d", (rows-broken)*7/10)
	if code, out := msgread(kill, append(target, "--report", at("r1.csv"), in)...); code != -1 {
		t.Fatalf("the first run was to be killed at %s; exit %d:\n%s", kill, code, out)
	}
	killed := timelineSeconds(t, at("r1.timeline.csv"))
	if len(killed) < 2 {
		t.Fatalf("the killed run's timeline has %d seconds: it is written as the run goes, synced each second", len(killed))
	}
	input(true)
	if code, out := msgread("", append(target, "--resume", at("r1.csv"), "--report", at("r2.csv"), in)...); code != exitOK {
		t.Fatalf("the resume: exit %d\n%s", code, out)
	}
	resumed := timelineSeconds(t, at("r2.timeline.csv"))

	code, out := msgread("", "report", "--html", at("chain.html"), "--summary-json", at("chain.json"), at("r2.csv"))
	if code != exitOK {
		t.Fatalf("msgread report: exit %d\n%s", code, out)
	}
	doc := readRebuilt(t, at("chain.json"))
	if doc.Command != "report" || doc.InputRows != rows || doc.Rows[reports.StatusOK] != rows || reports.NotOK(doc.Rows) != 0 || doc.Rows[reports.StatusSkipped] != 0 {
		t.Errorf("rebuilt: %d input rows, rows %v; want each of the %d lines once, ok (the invalid ones fixed and sent by the resume)", doc.InputRows, doc.Rows, rows)
	}
	if len(doc.Runs) != 2 || doc.Runs[0].Report != at("r1.csv") || doc.Runs[1].Report != at("r2.csv") {
		t.Fatalf("runs %+v, want r1.csv's then r2.csv's", doc.Runs)
	}
	for i, tl := range [][]digest.Second{killed, resumed} {
		r := doc.Runs[i]
		first, last := time.Unix(tl[0].Unix, 0), time.Unix(tl[len(tl)-1].Unix+1, 0)
		if r.Seconds != len(tl) || !r.StartedAt.Equal(first) || !r.EndedAt.Equal(last) || r.Missing != "" {
			t.Errorf("run %d: %d s from %v to %v (%q); its timeline has %d s from %v to %v", i+1, r.Seconds, r.StartedAt, r.EndedAt, r.Missing, len(tl), first, last)
		}
	}
	if want := float64(len(killed) + len(resumed)); doc.WallSeconds != want {
		t.Errorf("wall_seconds %v, want the runs' %v seconds", doc.WallSeconds, want)
	}
	html, _ := os.ReadFile(at("chain.html"))
	gap := int(resumed[0].Unix - killed[len(killed)-1].Unix - 1)
	// Every second of both runs and of the gap, less the last (cut short
	// by the run's end, never drawn).
	if got, want := chartPoints(string(html)), len(killed)+len(resumed)-1; got != want {
		t.Errorf("the rate chart draws %d seconds of the runs, want %d (%d + %d, the last left out)", got, want, len(killed), len(resumed))
	}
	if hasGap := strings.Contains(string(html), `class="gap"`); hasGap != (gap > 0) {
		t.Errorf("a %d s gap between the runs; shaded: %v", gap, hasGap)
	}
	own, _ := os.ReadFile(at("r2.html"))
	if !strings.Contains(string(own), "r1.csv") || chartPoints(string(own)) != len(killed)+len(resumed)-1 {
		t.Errorf("the resumed run's HTML does not chart the whole chain: %d points", chartPoints(string(own)))
	}
}

// TestReportMergesShardsAndCountsAReportOnce: the reports of two shards,
// given together, add up; a report given twice, or given with a newer
// report of its chain, is read once.
func TestReportMergesShardsAndCountsAReportOnce(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	shard := func(name string, rows int) string {
		in := writeInput(t, rows)
		report := filepath.Join(dir, name)
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, in}, e); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, errOut)
		}
		return report
	}
	a, b := shard("a.csv", 30), shard("b.csv", 50)
	for _, tc := range []struct {
		name    string
		reports []string
		want    int
		runs    int
	}{
		{"two shards", []string{a, b}, 80, 2},
		{"a shard given twice", []string{a, b, a}, 80, 2},
		{"one shard", []string{b}, 50, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum := filepath.Join(t.TempDir(), "s.json")
			e, out, errOut := testEnv(nil)
			if err := run(context.Background(), append([]string{"report", "--summary-json", sum}, tc.reports...), e); err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			doc := readRebuilt(t, sum)
			if doc.Rows[reports.StatusOK] != tc.want || doc.InputRows != tc.want || len(doc.Runs) != tc.runs {
				t.Errorf("rows %v, input rows %d, %d runs; want %d ok, %d runs", doc.Rows, doc.InputRows, len(doc.Runs), tc.want, tc.runs)
			}
			if !strings.Contains(out.String(), fmt.Sprintf("summary: %d rows: ok %d", tc.want, tc.want)) {
				t.Errorf("text summary:\n%s", out)
			}
		})
	}
}

// TestReportWithoutItsTimeline: a report whose timeline is gone rebuilds
// its rows, says the chart is missing (on stderr, in the JSON and the
// HTML) and exits as the rows say.
func TestReportWithoutItsTimeline(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 40, "u99,,1600000000") // one invalid line
	report := filepath.Join(dir, "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, in}, e); exitCode(err) != exitRowsFailed {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	if err := os.Remove(filepath.Join(dir, "r.timeline.csv")); err != nil {
		t.Fatal(err)
	}
	sum, page := filepath.Join(dir, "s.json"), filepath.Join(dir, "p.html")
	e, out, errOut := testEnv(nil)
	err := run(context.Background(), []string{"report", "--summary-json", sum, "--html", page, report}, e)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1: a line is invalid\n%s", exitCode(err), err, errOut)
	}
	doc := readRebuilt(t, sum)
	if doc.Rows[reports.StatusOK] != 40 || doc.Rows[reports.StatusInvalid] != 1 || len(doc.Runs) != 1 || doc.Runs[0].Missing == "" || doc.ExitCode != exitRowsFailed {
		t.Errorf("rebuilt without a timeline: rows %v, runs %+v, exit %d", doc.Rows, doc.Runs, doc.ExitCode)
	}
	if !strings.Contains(errOut.String(), "r.timeline.csv is not there: the chart of its run is missing") {
		t.Errorf("stderr does not say the chart is missing:\n%s", errOut)
	}
	if !strings.Contains(out.String(), "its seconds are not on the charts") {
		t.Errorf("stdout does not say the run's seconds are missing:\n%s", out)
	}
	html, _ := os.ReadFile(page)
	if !strings.Contains(string(html), "its seconds are not on the charts") {
		t.Errorf("the HTML does not say the chart is missing")
	}
}

// TestReportRefusals: a file that is not a msgread report is named in a
// usage error; --html aimed at a file that exists is refused before
// anything is read, the file untouched; a file given as --html and as a
// report is refused.
func TestReportRefusals(t *testing.T) {
	dir := t.TempDir()
	in := writeInput(t, 5)
	existing := filepath.Join(dir, "old.html")
	os.WriteFile(existing, []byte("keep me"), 0o644)
	report := filepath.Join(dir, "r.csv")
	os.WriteFile(report, []byte(strings.Join(reports.Header, ",")+"\n2,u0,p0,1600000000,ok,0,,200,1,3,2026-11-25T10:00:00.000Z\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"an input, not a report", []string{in}, exitUsage, in + ": not a msgread report"},
		{"a missing file", []string{filepath.Join(dir, "nope.csv")}, exitUsage, "nope.csv"},
		{"a directory", []string{dir}, exitUsage, "is not a regular file"},
		{"a report and an input", []string{report, in}, exitUsage, in + ": not a msgread report"},
		{"--html that exists", []string{"--html", existing, report}, exitUsage, "already exists"},
		{"--html naming the report", []string{"--html", report, report}, exitUsage, "is named twice"},
		{"no report", nil, exitUsage, "report takes one or more REPORT.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, errOut := testEnv(nil)
			err := run(context.Background(), append([]string{"report"}, tc.args...), e)
			if exitCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d (%v), want %d naming %q\n%s", exitCode(err), err, tc.code, tc.want, errOut)
			}
		})
	}
	if data, _ := os.ReadFile(existing); string(data) != "keep me" {
		t.Errorf("the existing --html file was changed: %q", data)
	}
	if data, _ := os.ReadFile(report); !strings.HasPrefix(string(data), "line,") {
		t.Errorf("the report was changed: %q", data)
	}
}

// TestAppendedRunsFilesAreNumbered: a run appending to its report names
// its failed rows, timeline and HTML REPORT.N.*, the first N none of
// whose files exist: a file left there is never overwritten.
func TestAppendedRunsFilesAreNumbered(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 20, "u99,,1600000000")
	report := filepath.Join(dir, "a1.csv")
	runTo := func(extra ...string) {
		t.Helper()
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), append([]string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report}, append(extra, in)...), e)
		if exitCode(err) != exitRowsFailed {
			t.Fatalf("exit %d: %v\n%s", exitCode(err), err, errOut)
		}
	}
	runTo()
	runTo("--resume", report)
	os.WriteFile(filepath.Join(dir, "a1.3.html"), []byte("someone's"), 0o644)
	runTo("--resume", report)
	for _, name := range []string{"a1.failed.csv", "a1.timeline.csv", "a1.html",
		"a1.2.failed.csv", "a1.2.timeline.csv", "a1.2.html", "a1.4.failed.csv", "a1.4.timeline.csv", "a1.4.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a1.3.html")); string(data) != "someone's" {
		t.Errorf("a1.3.html was overwritten")
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*failed-*")); len(matches) > 0 {
		t.Errorf("files named the old way: %v", matches)
	}
}

// TestReportOfAChainWhoseOldestReportIsGone: the newest report holds the
// done lines of the reports before it, as skipped: with the oldest report
// deleted, the chain is still counted whole (its lines skipped, as done),
// and a note says what is missing.
func TestReportOfAChainWhoseOldestReportIsGone(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 30)
	r1, r2 := filepath.Join(dir, "r1.csv"), filepath.Join(dir, "r2.csv")
	for _, args := range [][]string{{"--report", r1}, {"--resume", r1, "--report", r2}} {
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		if err := run(context.Background(), append(append([]string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none"}, args...), in), e); err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
	}
	if err := os.Remove(r1); err != nil {
		t.Fatal(err)
	}
	sum := filepath.Join(dir, "s.json")
	e, _, errOut := testEnv(nil)
	if err := run(context.Background(), []string{"report", "--summary-json", sum, r2}, e); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	doc := readRebuilt(t, sum)
	if doc.InputRows != 30 || doc.Rows[reports.StatusSkipped] != 30 {
		t.Errorf("rows %v of %d; want the 30 lines, skipped as done", doc.Rows, doc.InputRows)
	}
	if !strings.Contains(errOut.String(), "r1.csv, the oldest report of the chain, is not there") {
		t.Errorf("no note of the missing report:\n%s", errOut)
	}
}

// TestReportComparesWithABaseline: a migration's rebuilt summary compared
// with an earlier one's (--baseline): the same migration holds (exit as
// its rows say); against a baseline whose p99 was half and that failed
// nothing, the rebuilt one has regressed (exit 4, in the text and the
// JSON's thresholds with the baseline's values).
func TestReportComparesWithABaseline(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1, Latency: mockserver.Latency{Kind: "fixed", Fixed: mockserver.Duration(5 * time.Millisecond)}}})
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin,
		"--rate", "5000", "--progress", "none", "--report", report, writeInput(t, 60)}, e); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	base := filepath.Join(dir, "base.json")
	e, _, errOut = testEnv(nil)
	if err := run(context.Background(), []string{"report", "--summary-json", base, report}, e); err != nil {
		t.Fatalf("report: %v\n%s", err, errOut)
	}
	e, _, errOut = testEnv(nil)
	if err := run(context.Background(), []string{"report", "--baseline", base, report}, e); err != nil {
		t.Fatalf("against itself: %v\n%s", err, errOut)
	}
	var doc map[string]any
	data, _ := os.ReadFile(base)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	lat := doc["latency"].(map[string]any)
	lat["p99_ms"] = lat["p99_ms"].(float64) / 2
	better := filepath.Join(dir, "better.json")
	data, _ = json.Marshal(doc)
	if err := os.WriteFile(better, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := filepath.Join(dir, "cmp.json")
	e, out, errOut := testEnv(nil)
	err := run(context.Background(), []string{"report", "--baseline", better, "--summary-json", sum, report}, e)
	if exitCode(err) != exitThreshold {
		t.Fatalf("against a baseline twice as fast: exit %d (%v), want 4\n%s", exitCode(err), err, errOut)
	}
	if !strings.Contains(out.String(), "threshold not met: ") || !strings.Contains(out.String(), "p99") {
		t.Errorf("the text does not name the regression:\n%s", out)
	}
	var cmp struct {
		Thresholds []struct {
			Name     string   `json:"name"`
			OK       bool     `json:"ok"`
			Baseline *float64 `json:"baseline"`
		} `json:"thresholds"`
	}
	data, _ = os.ReadFile(sum)
	if err := json.Unmarshal(data, &cmp); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range cmp.Thresholds {
		found = found || v.Name == "baseline_p99" && !v.OK && v.Baseline != nil
	}
	if !found {
		t.Errorf("thresholds %+v: want baseline_p99 not met, with the baseline's value", cmp.Thresholds)
	}
}

// TestReportRateOverEveryRunsTime: a chain whose first run was killed
// before its first second (no timeline second) and whose second run has
// one second: the calls of both runs are over the time of both (the
// second's second and the first's rows' span, 10 s), not over the second
// run's second alone (120 calls/s at a target of 100: 120 %).
func TestReportRateOverEveryRunsTime(t *testing.T) {
	dir := t.TempDir()
	handChain(t, dir)
	sum := filepath.Join(dir, "s.json")
	e, out, errOut := testEnv(nil)
	if err := run(context.Background(), []string{"report", "--summary-json", sum, filepath.Join(dir, "c2.csv")}, e); err != nil {
		t.Fatalf("report: %v\n%s", err, errOut)
	}
	var doc struct {
		Wall float64 `json:"wall_seconds"`
		Rate float64 `json:"achieved_rate"`
	}
	data, _ := os.ReadFile(sum)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Wall < 10.9 || doc.Wall > 11.1 || doc.Rate < 10.8 || doc.Rate > 11 {
		t.Errorf("wall %v s, rate %v calls/s; want 11 s (1 s charted, 10 s of the uncharted run's rows) and 120/11 calls/s\n%s", doc.Wall, doc.Rate, out)
	}
}

// handChain writes, in dir, a chain of two reports of 60 ok lines each:
// c1.csv, whose run was killed before its first second (its rows over
// 10 s, its timeline a header), and c2.csv resumed from it, whose run's
// timeline has one second of 60 calls, an hour later.
func handChain(t *testing.T, dir string) {
	t.Helper()
	header := strings.Join(reports.Header, ",") + "\n"
	rows := func(from int, at time.Time, step time.Duration) string {
		var b strings.Builder
		for i := range 60 {
			fmt.Fprintf(&b, "%d,u%d,p%d,1600000000,ok,0,,200,1,3,%s\n", from+i, from+i, from+i, at.Add(time.Duration(i)*step).UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		return b.String()
	}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	tlHeader := strings.Join(digest.TimelineHeader, ",") + "\n"
	for name, text := range map[string]string{
		"c1.csv":          header + rows(2, t0, 10*time.Second/59),
		"c1.csv.sent":     "# msgread send log: the input lines sent, each before its first call\n# timeline c1.timeline.csv\n",
		"c1.timeline.csv": tlHeader, // killed before its first second
		"c2.csv":          header + rows(62, t1, 10*time.Millisecond),
		"c2.csv.sent":     "# msgread send log: the input lines sent, each before its first call\n# resumed from c1.csv\n# timeline c2.timeline.csv\n",
		"c2.timeline.csv": tlHeader + fmt.Sprintf("0,%d,100.0,100.0,60,60,0,0,0,0,0,3.0,3.0,3.0,3.0\n", t1.Unix()),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportRefusesShardsThatShareAReport: a copy of a chain's newest
// report with its send log, given with the original, goes back to the
// same older report: no shards (the older report's lines and seconds
// would count twice), refused with exit 2 naming the report they share.
func TestReportRefusesShardsThatShareAReport(t *testing.T) {
	dir := t.TempDir()
	handChain(t, dir)
	for _, ext := range []string{"", ".sent"} {
		data, err := os.ReadFile(filepath.Join(dir, "c2.csv"+ext))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "copy.csv"+ext), data, 0o600)
	}
	e, out, errOut := testEnv(nil)
	err := run(context.Background(), []string{"report", filepath.Join(dir, "c2.csv"), filepath.Join(dir, "copy.csv")}, e)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "both go back to "+filepath.Join(dir, "c1.csv")) {
		t.Errorf("exit %d (%v), want 2 naming c1.csv\n%s%s", exitCode(err), err, out, errOut)
	}
}

// TestReportChartsATimelineOnce: a timeline noted by two runs (a send
// log's notes copied or edited) is charted once, its calls counted once,
// and the second run says why its chart is missing.
func TestReportChartsATimelineOnce(t *testing.T) {
	dir := t.TempDir()
	handChain(t, dir)
	f, err := os.OpenFile(filepath.Join(dir, "c2.csv.sent"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("# timeline c2.timeline.csv\n")
	f.Close()
	sum := filepath.Join(dir, "s.json")
	e, out, errOut := testEnv(nil)
	if err := run(context.Background(), []string{"report", "--summary-json", sum, filepath.Join(dir, "c2.csv")}, e); err != nil {
		t.Fatalf("report: %v\n%s", err, errOut)
	}
	doc := readRebuilt(t, sum)
	if len(doc.Runs) != 3 || doc.Runs[1].Seconds != 1 || doc.Runs[2].Seconds != 0 || !strings.Contains(doc.Runs[2].Missing, "an earlier run's as well") {
		t.Errorf("runs %+v: want the timeline charted with the second run only\n%s", doc.Runs, out)
	}
	var calls struct {
		Calls struct {
			Attempts int `json:"attempts"`
		} `json:"calls"`
		Peak int `json:"peak_calls_in_one_second"`
	}
	data, _ := os.ReadFile(sum)
	json.Unmarshal(data, &calls)
	if calls.Calls.Attempts != 120 || calls.Peak != 60 {
		t.Errorf("%d calls, peak %d in one second; want 120 and 60 (the timeline's second once)", calls.Calls.Attempts, calls.Peak)
	}
}

// TestReportOfARunThatDidNotEnd: the newest report of a chain whose last
// run was killed (its lock file left, held by none) or is running (its
// lock held) is all ok as far as it goes, but the input's later lines are
// in no report: the headline and the summary say the run did not end, the
// JSON's stop is not_ended (no baseline, then), and the accounting line
// does not claim the input's lines are the reported ones.
func TestReportOfARunThatDidNotEnd(t *testing.T) {
	dir := t.TempDir()
	handChain(t, dir)
	c2 := filepath.Join(dir, "c2.csv")
	report := func() (string, string) {
		t.Helper()
		sum := filepath.Join(t.TempDir(), "s.json")
		e, out, errOut := testEnv(nil)
		if err := run(context.Background(), []string{"report", "--summary-json", sum, c2}, e); err != nil {
			t.Fatalf("report: %v\n%s", err, errOut)
		}
		data, _ := os.ReadFile(sum)
		return out.String(), string(data)
	}
	out, _ := report()
	if strings.Contains(out, "not ended") || strings.Contains(out, "every row accounted for: 120 input rows") || !strings.Contains(out, "120 input lines in the reports, each once") {
		t.Errorf("an ended chain:\n%s", out)
	}
	if err := os.WriteFile(c2+".lock", []byte("held by msgread run, pid 4242, since 2026-11-25T11:00:00Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, doc := report()
	if !strings.Contains(out, "not ended:  the last run of "+c2+" did not end (killed? its lock file is left: held by msgread run, pid 4242") ||
		!strings.Contains(doc, `"code": "not_ended"`) {
		t.Errorf("a killed run's chain: stdout\n%s\nJSON %s", out, doc)
	}
	lock, err := reports.LockFile(c2, "msgread run")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if out, _ := report(); !strings.Contains(out, c2+" is being written by a run now (held by msgread run, pid") {
		t.Errorf("a running run's chain:\n%s", out)
	}
}

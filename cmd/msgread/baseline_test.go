package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
)

// TestBaselineCatchesASlowerScenario runs the binary three times on the
// flaky scenario, written to a file as CI keeps one: once for the
// baseline, once with the scenario's p99 made 20% worse (exit 4, the p99
// named in the text, the JSON and the HTML), and once as it was (exit 0).
// The mock's seed makes its latencies and faults the same draws each time
// (at 100 calls/s, under its ceiling, no refusal shifts them); the pace of
// a test machine shared with other builds is noise, so the send rate is
// held to 50% here (TestBaselineVerdicts judges it to the per cent).
func TestBaselineCatchesASlowerScenario(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "scenario.json")
	writeScenario := func(sc mockserver.Scenario) {
		data, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(scenario, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load := func(name string, extra ...string) (int, string) {
		t.Helper()
		args := append([]string{"load", "--scenario", scenario, "--seed", "3", "--rows", "300", "--rate", "100", "--share", "greedy", "--progress", "none",
			"--report", filepath.Join(dir, name+".csv"), "--summary-json", filepath.Join(dir, name+".json")}, extra...)
		out, err := exec.Command(bin, args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	flaky := mockserver.Builtins["flaky"]
	writeScenario(flaky)
	if code, out := load("base"); code != 0 {
		t.Fatalf("baseline run: exit %d\n%s", code, out)
	}
	base := filepath.Join(dir, "base.json")

	worse := flaky
	worse.Latency.P99 = flaky.Latency.P99 * 12 / 10
	writeScenario(worse)
	regression := "p99:10%,failed:10%,rate:50%"
	code, out := load("worse", "--baseline", base, "--max-regression", regression)
	if code != exitThreshold || !strings.Contains(out, "threshold not met: --max-regression 10%: p99 latency from the intended send was") {
		t.Fatalf("p99 20%% worse: exit %d, want 4 naming the p99\n%s", code, out)
	}
	var doc digest.Document
	data, _ := os.ReadFile(filepath.Join(dir, "worse.json"))
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	byName := map[string]digest.Verdict{}
	for _, v := range doc.Thresholds {
		byName[v.Name] = v
	}
	p99 := byName["baseline_p99"]
	if doc.ExitCode != exitThreshold || len(doc.Thresholds) != 3 || p99.OK || p99.Baseline == nil || p99.Actual < *p99.Baseline*1.1 || !byName["baseline_failed"].OK {
		t.Errorf("summary JSON's thresholds: %+v", doc.Thresholds)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "worse.html"))
	if !strings.Contains(string(html), "<th>baseline</th>") || !strings.Contains(string(html), "baseline_p99") {
		t.Errorf("the HTML's thresholds have no baseline column")
	}

	writeScenario(flaky)
	if code, out := load("same", "--baseline", base, "--max-regression", regression); code != 0 || !strings.Contains(out, "against the baseline: p99 latency") {
		t.Fatalf("against itself: exit %d, want 0\n%s", code, out)
	}
}

// TestBaselineRefusals: what cannot be a baseline stops before the first
// call with exit 2, says why, makes no report, and the summary JSON names
// the stop.
func TestBaselineRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	load := []string{"load", "--scenario", "clean", "--rows", "20", "--rate", "1000", "--progress", "none"}
	good := filepath.Join(dir, "good.json")
	e, _, _ := testEnv(nil)
	if err := run(context.Background(), append(load, "--report", filepath.Join(dir, "good.csv"), "--summary-json", good), e); err != nil {
		t.Fatal(err)
	}
	input := write("in.csv", "report_account,peer_account\na,b\n")
	early := write("early.json", strings.Replace(mustRead(t, good), `"stop": null`, `"stop": {"code": "usage_error", "message": "x"}`, 1))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", append(load, "--baseline", filepath.Join(dir, "none.json")), "no such file or directory (a pipeline's first run has no baseline"},
		{"not JSON", append(load, "--baseline", write("csv.json", "a,b\n")), "not a summary JSON"},
		{"another command", []string{"run", "--mock", "--progress", "none", "--baseline", good, input}, "the summary of a load, and this is a run"},
		{"another scenario", append(load, "--baseline", good, "--scenario", "flaky"), `scenario "clean", and this one has "flaky"`},
		{"an early stop's summary", append(load, "--baseline", early), "stopped early"},
		{"a negative regression", append(load, "--baseline", good, "--max-regression", "-10%"), "from 0% to 100%"},
		{"NaN", append(load, "--baseline", good, "--max-regression", "NaN%"), "from 0% to 100%"},
		{"words", append(load, "--baseline", good, "--max-regression", "abc"), "a percentage such as 10%"},
		{"above 100%", append(load, "--baseline", good, "--max-regression", "150%"), "from 0% to 100%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append(append([]string{}, tc.args...), "--report", filepath.Join(out, "r.csv"), "--summary-json", filepath.Join(out, "s.json"))
			if tc.args[0] == "run" { // the input last
				args = append(append(args[:len(tc.args)-1:len(tc.args)-1], args[len(tc.args):]...), input)
			}
			e, _, errOut := testEnv(nil)
			err := run(context.Background(), args, e)
			if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("exit %d (%v), want 2 saying %q\n%s", exitCode(err), err, tc.want, errOut)
			}
			if _, err := os.Stat(filepath.Join(out, "r.csv")); err == nil {
				t.Errorf("a report was made")
			}
			var doc digest.Document
			if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(out, "s.json"))), &doc); err != nil || doc.Stop == nil || doc.Stop.Code != digest.StopUsageError {
				t.Errorf("the summary JSON does not name the stop: %+v, %v", doc.Stop, err)
			}
		})
	}
	// The summary to write named as the baseline to read: refused, and
	// the baseline is left as it was.
	before := mustRead(t, good)
	e, _, _ = testEnv(nil)
	err := run(context.Background(), append(load, "--baseline", good, "--summary-json", good, "--report", filepath.Join(t.TempDir(), "r.csv")), e)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "as the summary and as --baseline") || mustRead(t, good) != before {
		t.Errorf("the baseline named as the summary: exit %d (%v)", exitCode(err), err)
	}
}

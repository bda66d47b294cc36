package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

func TestLoadThresholds(t *testing.T) {
	dir := t.TempDir()
	base := []string{"load", "--scenario", "clean", "--rate", "400", "--rows", "300", "--progress", "none"}

	// All hold: exit 0, and every output is written.
	e, _, errOut := testEnv(nil)
	err := run(context.Background(), append(base, "--report", filepath.Join(dir, "a.csv"), "--summary-json", filepath.Join(dir, "a.json"),
		"--max-p99", "2s", "--min-rate", "0.5", "--max-failed", "0", "--max-gave-up", "0"), e)
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
	var sum struct {
		Breaches []string       `json:"breaches"`
		Status   map[string]int `json:"by_status"`
		Intended struct {
			P99 float64 `json:"p99_ms"`
		} `json:"latency_from_intended"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "a.json"))
	if err := json.Unmarshal(data, &sum); err != nil || sum.Breaches == nil || len(sum.Breaches) != 0 || sum.Status["ok"] != 300 {
		t.Errorf("summary JSON %s: %v", data, err)
	}
	tl, _ := os.ReadFile(filepath.Join(dir, "a.timeline.csv"))
	if !strings.HasPrefix(string(tl), strings.Join(reports.TimelineHeader, ",")+"\n") || strings.Count(string(tl), "\n") < 2 {
		t.Errorf("timeline:\n%s", tl)
	}

	// A breached threshold: the run finishes, names it, and exits 4.
	e, _, errOut = testEnv(nil)
	err = run(context.Background(), append(base, "--report", filepath.Join(dir, "b.csv"), "--min-rate", "1.5"), e)
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
	err := run(context.Background(), []string{"load", "--endpoint", srv.URL(), "--rate", "1000", "--rows", "50", "--progress", "none",
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

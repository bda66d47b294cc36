package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
)

// readmeCIScript is the script of the README's CI snippet: the "run: |"
// block of its "msgread regression" step, unindented. It fails the test
// when the README no longer has one.
func readmeCIScript(t *testing.T) string {
	t.Helper()
	readme := mustRead(t, filepath.Join("..", "..", "README.md"))
	_, after, ok := strings.Cut(readme, "- name: msgread regression\n")
	if !ok {
		t.Fatal(`README.md has no CI step "- name: msgread regression"`)
	}
	lines := strings.Split(after, "\n")
	if strings.TrimSpace(lines[0]) != "run: |" {
		t.Fatalf("the README's CI step does not go on with \"run: |\": %q", lines[0])
	}
	indent := -1
	var script []string
	for _, l := range lines[1:] {
		n := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 {
			indent = n
		}
		if strings.TrimSpace(l) != "" && n < indent {
			break
		}
		script = append(script, strings.TrimPrefix(l, strings.Repeat(" ", indent)))
	}
	return strings.Join(script, "\n")
}

// TestREADMECISnippetRunsTwice runs the README's CI script twice in one
// workspace, as a job re-run in place does (the same run id and attempt,
// the worst case): both exit 0, each writes its own directory, the second
// compares itself with the first's summary, which it then replaces as the
// baseline. Only the length and the pass marks that a test machine shared
// with other builds cannot hold are shortened, each checked to be in the
// script, so that the test fails when the README's snippet drifts.
func TestREADMECISnippetRunsTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := readmeCIScript(t)
	for old, short := range map[string]string{
		"--duration 20s":       "--duration 2s",
		"--min-rate 0.97":      "--min-rate 0.5",
		"--max-regression 10%": "--max-regression p99:10%,failed:10%,rate:50%", // the pace of a loaded test machine is noise
	} {
		if strings.Count(script, old) != 1 {
			t.Fatalf("the README's CI script has no %q (once) to shorten:\n%s", old, script)
		}
		script = strings.Replace(script, old, short, 1)
	}
	ws := t.TempDir()
	bin := buildBinary(t)
	os.MkdirAll(filepath.Join(ws, "bin"), 0o755)
	if err := os.Symlink(bin, filepath.Join(ws, "bin", "msgread")); err != nil {
		t.Fatal(err)
	}
	// The scenario of the pipeline: flaky's latency and faults, with no
	// ceiling to refuse calls (a refusal moves a pair's later draws).
	sc := mockserver.Builtins["flaky"]
	sc.Name, sc.Ceiling = "ci", -1
	data, _ := json.Marshal(sc)
	os.MkdirAll(filepath.Join(ws, "ci"), 0o755)
	if err := os.WriteFile(filepath.Join(ws, "ci", "scenario.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = ws
		cmd.Env = append(os.Environ(), "GITHUB_RUN_ID=4242", "GITHUB_RUN_ATTEMPT=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %d of the README's CI script: %v\n%s", attempt, err, out)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(ws, "out", "regress-4242.1-*"))
	if len(dirs) != 2 {
		t.Fatalf("want two directories of run 4242, attempt 1, have %q", dirs)
	}
	var second []byte
	for _, d := range dirs {
		for _, f := range []string{"regress.csv", "regress.html", "regress.timeline.csv", "summary.json"} {
			if st, err := os.Stat(filepath.Join(d, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", filepath.Join(d, f), err)
			}
		}
		data := []byte(mustRead(t, filepath.Join(d, "summary.json")))
		var doc digest.Document
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		compared := 0
		for _, v := range doc.Thresholds {
			if v.Baseline != nil {
				compared++
			}
		}
		switch compared {
		case 0: // the first: no baseline yet
		case 3:
			second = data
		default:
			t.Errorf("%s: %d comparisons with the baseline, want 0 (the first run) or 3", d, compared)
		}
	}
	if second == nil {
		t.Fatal("the second run was not compared with the first")
	}
	if got := mustRead(t, filepath.Join(ws, "out", "baseline.json")); got != string(second) {
		t.Error("the baseline kept is not the last green run's summary")
	}
}

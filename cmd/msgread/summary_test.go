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
)

// TestSummaryJSONOnEveryExit: every exit after the flags parse writes
// --summary-json with its exit code and its stop's code, the refusals
// before the first call included (CI reads the file). A bad header in a
// file (exit 2) or a resume of an edited input (exit 3) wrote none, while
// the same through standard input did.
func TestSummaryJSONOnEveryExit(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 30)
	writeFile(t, dir, "bad.csv", "user,peer\na,b\n")
	writeFile(t, dir, "edited.csv", strings.Replace(mustRead(t, in), "u3,p3,", "x3,p3,", 1))
	old := writeFile(t, dir, "old.csv", reportText(2, 11, ""))
	existing := writeFile(t, dir, "exists.csv", "x\n")
	target := []string{"--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none"}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		exit  int
		stop  string
	}{
		{"bad header", []string{"run", "bad.csv"}, "", exitUsage, "input_error"},
		{"bad header on standard input", []string{"run", "-"}, "user,peer\na,b\n", exitUsage, "input_error"},
		{"missing input", []string{"run", "missing.csv"}, "", exitUsage, "input_error"},
		{"resume of an edited input", []string{"run", "--resume", old, "edited.csv"}, "", exitAborted, "resume_mismatch"},
		{"resume naming a line the input lacks", []string{"run", "--resume", writeFile(t, dir, "long.csv", reportText(2, 90, "")), in}, "", exitUsage, "resume_mismatch"},
		{"resume of a missing report", []string{"run", "--resume", "none.csv", in}, "", exitUsage, "resume_error"},
		{"report exists", []string{"run", "--report", existing, in}, "", exitUsage, "output_error"},
		{"a bad flag value", []string{"run", "--workers", "0", in}, "", exitUsage, "usage_error"},
		{"load's bad setting", []string{"load", "--rows", "-1"}, "", exitUsage, "usage_error"},
		{"finished", []string{"run", in}, "", exitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := t.TempDir()
			summary := filepath.Join(sub, "s.json")
			args := append([]string{tc.args[0]}, target...)
			args = append(args, "--summary-json", summary)
			if !strings.Contains(strings.Join(tc.args, " "), "--report") {
				args = append(args, "--report", filepath.Join(sub, "r.csv"))
			}
			for _, a := range tc.args[1:] {
				if strings.HasSuffix(a, ".csv") && !filepath.IsAbs(a) {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			e.stdin = strings.NewReader(tc.stdin)
			err := run(context.Background(), args, e)
			if exitCode(err) != tc.exit {
				t.Fatalf("exit %d (%v), want %d\n%s", exitCode(err), err, tc.exit, errOut)
			}
			doc := readSummary(t, summary)
			code := ""
			if doc.Stop != nil {
				code = doc.Stop.Code
			}
			if doc.ExitCode != tc.exit || code != tc.stop || doc.Command != tc.args[0] || doc.SchemaVersion != 1 {
				t.Errorf("summary: exit %d, stop %+v, command %q; want %d, %q", doc.ExitCode, doc.Stop, doc.Command, tc.exit, tc.stop)
			}
			if tc.exit != exitOK && (doc.Stop == nil || doc.Stop.Message == "" || !strings.Contains(err.Error(), doc.Stop.Message)) {
				t.Errorf("the stop's message %+v is not the error %q", doc.Stop, err)
			}
		})
	}
	if n := len(srv.Marks()); n != 30 {
		t.Errorf("%d pairs marked: only the finished run sends", n)
	}
}

// TestSummaryJSONThatCannotBeMade: a summary path that exists is never
// overwritten, and one that names another of the run's files is refused
// before anything is made: exit 2, no summary.
func TestSummaryJSONThatCannotBeMade(t *testing.T) {
	dir := t.TempDir()
	in := writeInput(t, 5)
	existing := writeFile(t, dir, "s.json", "keep me\n")
	for name, args := range map[string][]string{
		"exists":           {"run", "--mock", "--summary-json", existing, "--report", filepath.Join(dir, "a.csv"), in},
		"names the report": {"run", "--mock", "--summary-json", filepath.Join(dir, "b.csv"), "--report", filepath.Join(dir, "b.csv"), in},
		"names the input":  {"run", "--mock", "--summary-json", in, "--report", filepath.Join(dir, "c.csv"), in},
		"with a bad flag":  {"run", "--mock", "--workers", "0", "--summary-json", existing, in},
	} {
		t.Run(name, func(t *testing.T) {
			e, _, errOut := testEnv(nil)
			err := run(context.Background(), args, e)
			if exitCode(err) != exitUsage {
				t.Fatalf("exit %d (%v), want 2\n%s", exitCode(err), err, errOut)
			}
		})
	}
	if got := mustRead(t, existing); got != "keep me\n" {
		t.Errorf("an existing file was overwritten: %q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "[abc]*")); len(left) > 0 {
		t.Errorf("refused runs left files behind: %v", left)
	}
}

// TestSummaryJSONOnStandardOutputOnARefusal: --summary-json - gets the
// refusal's summary too.
func TestSummaryJSONOnStandardOutputOnARefusal(t *testing.T) {
	e, out, _ := testEnv(nil)
	err := run(context.Background(), []string{"run", "--mock", "--summary-json", "-", filepath.Join(t.TempDir(), "missing.csv")}, e)
	var doc struct {
		ExitCode int `json:"exit_code"`
		Stop     struct{ Code string }
	}
	if jerr := json.Unmarshal([]byte(out.String()), &doc); jerr != nil || exitCode(err) != exitUsage || doc.ExitCode != exitUsage || doc.Stop.Code != "input_error" {
		t.Errorf("exit %d; standard output %q (%v)", exitCode(err), out, jerr)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

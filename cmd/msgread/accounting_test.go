package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
)

// TestAccountingLineCountsEveryInputLine: a run that stops at its probe
// (a wrong key) has read only a buffer's worth of a 1,200-line file; its
// accounting line still adds up to the file: the header, the rows read
// (reported or not finished), the blank lines passed over and the lines
// not read. From a stream, whose rest is unknown, it says the rest was not
// read.
func TestAccountingLineCountsEveryInputLine(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	line := regexp.MustCompile(`every row accounted for: (\d+) input rows = (\d+) reported \+ (\d+) not finished \+ (\d+) lines not read \(the run stopped before them; a resume reads them\)(?: \((\d+) blank lines passed over\))?\n`)
	for _, blanks := range []int{0, 3} {
		var extra []string
		for range blanks {
			extra = append(extra, "") // blank lines at the end: never read
		}
		in := writeInput(t, 1199-blanks, extra...)
		data, _ := os.ReadFile(in)
		fileLines := strings.Count(string(data), "\n")
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": "wrong-key"})
		err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin,
			"--progress", "none", "--report", filepath.Join(t.TempDir(), "r.csv"), in}, e)
		if exitCode(err) != exitAborted {
			t.Fatalf("exit %d (%v), want 3: the probe meets a wrong key", exitCode(err), err)
		}
		m := line.FindStringSubmatch(errOut.String())
		if m == nil {
			t.Fatalf("no accounting line with the lines not read:\n%s", errOut)
		}
		n := make([]int, len(m))
		for i := 1; i < len(m); i++ {
			n[i], _ = strconv.Atoi(m[i])
		}
		rows, reported, notFinished, notRead, blank := n[1], n[2], n[3], n[4], n[5]
		if rows != reported+notFinished+notRead || 1+rows+blank != fileLines || notRead == 0 {
			t.Errorf("%q does not add up to the file's %d lines (header + rows + blank lines)", m[0], fileLines)
		}
	}

	// A stream, stopped early: its rest is said not read, not counted.
	in := writeInput(t, 1199)
	data, _ := os.ReadFile(in)
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": "wrong-key"})
	e.stdin = strings.NewReader(string(data))
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin,
		"--progress", "none", "--report", filepath.Join(t.TempDir(), "r.csv"), "-"}, e)
	if exitCode(err) != exitAborted || !strings.Contains(errOut.String(), "not finished; the rest of the input was not read (the run stopped before it)\n") {
		t.Errorf("exit %d; a stream stopped early:\n%s", exitCode(err), errOut)
	}
}

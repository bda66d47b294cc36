//go:build unix

package reports_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
)

// returnsSoon fails the test when f has not returned in 10 s (it waits on
// a named pipe for a writer, deaf to interrupts); the pipes are then
// opened for writing, so that the stuck open returns and the test ends.
func returnsSoon(t *testing.T, what string, f func(), pipes ...string) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		for _, p := range pipes {
			if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
		<-done
		t.Fatalf("%s waited on a named pipe", what)
	}
}

// A send log or a lock file that is a named pipe (made by mistake, or by
// someone else) is not msgread's: reading a chain, finding a report's
// successor, or asking whether a run holds or left a report passes it by
// at once. Before, open(2) waited for a writer for ever, and msgread
// report (or a resume) hung, its first interrupt unheard.
func TestNamedPipesAreNoSendLogsNorLocks(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	if err := os.WriteFile(report, []byte(strings.Join(reports.Header, ",")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sent, lock := reports.SendLogPath(report), report+".lock"
	for _, p := range []string{sent, lock} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("no named pipes here: %v", err)
		}
	}
	returnsSoon(t, "Chain", func() {
		if chain, err := reports.Chain(report); err != nil || len(chain) != 1 {
			t.Errorf("chain %+v, %v: want the report alone", chain, err)
		}
	}, sent)
	returnsSoon(t, "ResumedInto", func() {
		if into, ok := reports.ResumedInto(report); ok {
			t.Errorf("resumed into %q from a named pipe", into)
		}
	}, sent)
	returnsSoon(t, "Writing and Left", func() {
		if _, w := reports.Writing(report); w {
			t.Error("a named pipe is a lock held")
		}
		if _, l := reports.Left(report); l {
			t.Error("a named pipe is a lock left")
		}
	}, lock)
}

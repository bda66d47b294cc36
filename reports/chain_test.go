package reports_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/reports"
)

// oldReport writes a report of lines 2..n+1, every third failed, the rest
// ok, and its send log naming every line plus two sent and never reported
// (n+2 and n+3, in flight when the run died), with a torn last line.
func oldReport(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "old.csv")
	var b strings.Builder
	b.WriteString(strings.Join(reports.Header, ",") + "\n")
	var log strings.Builder
	log.WriteString("# msgread send log: the input lines sent, each before its first call\n")
	for line := 2; line <= n+1; line++ {
		st := "ok"
		if line%3 == 0 {
			st = "failed"
		}
		fmt.Fprintf(&b, "%d,u%d,p%d,%d,%s,0,,200,1,1,2026-11-25T10:00:00.000Z\n", line, line, line, 1600000000+line, st)
		fmt.Fprintf(&log, "%d\n", line)
	}
	fmt.Fprintf(&log, "%d\n%d\n%d", n+2, n+3, n+4) // n+4 torn: its call never went out
	os.WriteFile(path, []byte(b.String()), 0o600)
	os.WriteFile(reports.SendLogPath(path), []byte(log.String()), 0o600)
	return path
}

// TestNewReportIsBornWithTheDoneLines: a resume into a new report finds,
// the moment Open returns and before any row is written, every done line
// of the old report in the new one, as skipped with the read time that was
// sent; and the new send log holds the lines sent and not done.
func TestNewReportIsBornWithTheDoneLines(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 300)
	path := filepath.Join(dir, "new.csv")
	files, err := reports.Open(reports.Plan{Report: path, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	f, err := os.Open(path) // read while the run holds it, as a kill would leave it
	if err != nil {
		t.Fatal(err)
	}
	recs, err := reports.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 200 {
		t.Fatalf("the new report holds %d rows, want the 200 done lines", len(recs))
	}
	for _, r := range recs {
		if r.Status != reports.StatusSkipped || r.Line%3 == 0 || r.MsgReadTime != fmt.Sprint(1600000000+r.Line) {
			t.Fatalf("carried row %+v", r)
		}
	}
	if _, err := os.Stat(path + ".partial"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the partial file is left: %v", err)
	}
	res := files.Resume
	for line, want := range map[int]bool{2: true, 3: true, 301: true, 302: true, 303: true, 304: false, 305: false} {
		if got := res.SentBefore(line); got != want {
			t.Errorf("SentBefore(%d) = %v, want %v", line, got, want)
		}
	}
	data, _ := os.ReadFile(reports.SendLogPath(path))
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 1+1+100+2 || lines[1] != "# resumed from old.csv" {
		t.Errorf("the new send log has %d lines, want its header, the note naming old.csv, the 100 failed lines and the 2 in flight:\n%.300s", len(lines), data)
	}
}

// TestInterruptedCarryLeavesNoReport: a run stopped while it carries the
// done lines over leaves no report (and no partial file), so the next
// resume can only name the old one.
func TestInterruptedCarryLeavesNoReport(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 1<<13) // the load asks Stopped every 4,096 rows
	path := filepath.Join(dir, "new.csv")
	asked := 0
	_, err := reports.Open(reports.Plan{Report: path, Resume: old, NoFailed: true, SendLog: true,
		Stopped: func() bool { asked++; return asked > 1 }})
	if !errors.Is(err, reports.ErrStopped) {
		t.Fatalf("Open: %v, want ErrStopped", err)
	}
	for _, p := range []string{path, path + ".partial", reports.SendLogPath(path)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is there after an interrupted carry-over", filepath.Base(p))
		}
	}
	// A partial file a killed run left is replaced, not a reason to stop.
	os.WriteFile(path+".partial", []byte(strings.Join(reports.Header, ",")+"\n2,u2,p2"), 0o600)
	files, err := reports.Open(reports.Plan{Report: path, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatalf("after a killed carry-over: %v", err)
	}
	files.Close()
	// Anything else by that name is not msgread's: it stays.
	other := filepath.Join(dir, "other.csv")
	os.WriteFile(other+".partial", []byte("my notes"), 0o600)
	if _, err := reports.Open(reports.Plan{Report: other, Resume: old, NoFailed: true}); !errors.Is(err, reports.ErrExists) {
		t.Errorf("a foreign .partial file: %v, want ErrExists", err)
	}
	if data, _ := os.ReadFile(other + ".partial"); string(data) != "my notes" {
		t.Errorf("a foreign file was touched: %q", data)
	}
}

// TestAppendCutsTheSendLogsTornLine: appending to a report whose send log
// ends in a torn line cuts it, so that the next line logged is not glued
// to it (a torn "12" and a new "345" would read as line 12345).
func TestAppendCutsTheSendLogsTornLine(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 30)
	files, err := reports.Open(reports.Plan{Report: old, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := files.Sending(7); err != nil {
		t.Fatal(err)
	}
	files.Close()
	data, _ := os.ReadFile(reports.SendLogPath(old))
	if !strings.HasSuffix(string(data), "\n32\n33\n7\n") {
		t.Errorf("send log ends %q", data[max(0, len(data)-20):])
	}
}

// TestChainRefusesItsOwnSidecarsAndOldReports: the files kept beside a
// report cannot be named as outputs (a report named r.csv.partial would be
// taken for a killed run's copy, and removed), a killed carry-over's
// .partial cannot be resumed (it lacks done lines), and a report resumed
// into a newer one cannot be resumed again while the newer one is there
// (the lines done since would be sent again).
func TestChainRefusesItsOwnSidecarsAndOldReports(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 30)
	for _, name := range []string{"n.csv.partial", "n.csv.sent", "n.csv.lock"} {
		_, err := reports.Open(reports.Plan{Report: filepath.Join(dir, name), Resume: old, NoFailed: true, SendLog: true})
		if !errors.Is(err, reports.ErrReserved) {
			t.Errorf("--report %s: %v, want ErrReserved", name, err)
		}
	}
	partial := filepath.Join(dir, "killed.csv.partial")
	data, _ := os.ReadFile(old)
	os.WriteFile(partial, data, 0o600)
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "x.csv"), Resume: partial, NoFailed: true}); !errors.Is(err, reports.ErrNotReport) || !strings.Contains(err.Error(), "unfinished copy") {
		t.Errorf("--resume of a .partial: %v", err)
	}

	r2 := filepath.Join(dir, "r2.csv")
	files, err := reports.Open(reports.Plan{Report: r2, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatal(err)
	}
	files.Close()
	for _, report := range []string{filepath.Join(dir, "r3.csv"), old} { // a new report, or appended
		_, err := reports.Open(reports.Plan{Report: report, Resume: old, NoFailed: true, SendLog: true})
		if !errors.Is(err, reports.ErrSuperseded) || !strings.Contains(err.Error(), "r2.csv") {
			t.Errorf("resuming the old report again into %s: %v, want ErrSuperseded naming r2.csv", filepath.Base(report), err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r3.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused resume left r3.csv")
	}
	// Through a symlink or a hard link, the same.
	link := filepath.Join(dir, "link.csv")
	os.Symlink(old, link)
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "r4.csv"), Resume: link, NoFailed: true, SendLog: true}); !errors.Is(err, reports.ErrSuperseded) {
		t.Errorf("resuming it through a symlink: %v, want ErrSuperseded", err)
	}
	hard := filepath.Join(dir, "hard.csv")
	os.Link(old, hard)
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "r4.csv"), Resume: hard, NoFailed: true, SendLog: true}); err == nil || !strings.Contains(err.Error(), "hard links") {
		t.Errorf("resuming it through a hard link, whose .sent is elsewhere: %v", err)
	}
	os.Remove(hard)
	// The newer report moved, renamed or deleted: still refused, saying how
	// to go on; the folder moved whole: still refused, naming it there.
	os.Rename(r2, r2+".renamed")
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "r4.csv"), Resume: old, NoFailed: true, SendLog: true}); !errors.Is(err, reports.ErrSuperseded) || !strings.Contains(err.Error(), "move "+old+".sent away") {
		t.Errorf("with r2.csv renamed: %v, want ErrSuperseded with the way out", err)
	}
	os.Rename(r2+".renamed", r2)
	moved := t.TempDir() + "/moved"
	os.Rename(dir, moved)
	_, err = reports.Open(reports.Plan{Report: filepath.Join(moved, "r4.csv"), Resume: filepath.Join(moved, "old.csv"), NoFailed: true, SendLog: true})
	if !errors.Is(err, reports.ErrSuperseded) || !strings.Contains(err.Error(), filepath.Join(moved, "r2.csv")+", which holds") {
		t.Errorf("the folder moved whole: %v, want ErrSuperseded naming r2.csv where it is now", err)
	}
	// The way out: the old .sent moved away.
	os.Rename(filepath.Join(moved, "old.csv.sent"), filepath.Join(moved, "old.csv.sent.bak"))
	files, err = reports.Open(reports.Plan{Report: filepath.Join(moved, "r4.csv"), Resume: filepath.Join(moved, "old.csv"), NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatalf("with the old .sent moved away: %v", err)
	}
	files.Close()
}

// TestLockFileThatIsASymlinkIsRefused: REPORT.lock made a symlink to the
// input (or the old report) must not have the holder's line written over
// what it points to.
func TestLockFileThatIsASymlinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "input.csv")
	os.WriteFile(precious, []byte("report_account,peer_account\na,b\n"), 0o600)
	report := filepath.Join(dir, "w.csv")
	os.Symlink(precious, report+".lock")
	if _, err := reports.Open(reports.Plan{Report: report, NoFailed: true}); err == nil {
		t.Errorf("a symlinked lock file was taken")
	}
	if data, _ := os.ReadFile(precious); string(data) != "report_account,peer_account\na,b\n" {
		t.Errorf("the file the lock pointed to was changed: %q", data)
	}
}

// TestConcurrentResumesThroughAnotherNameAreRefused: two runs resuming one
// report, one of them through a symlink or a hard link, cannot both hold it.
func TestConcurrentResumesThroughAnotherNameAreRefused(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 30)
	first, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "a.csv"), Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	link := filepath.Join(dir, "link.csv")
	os.Symlink(old, link)
	os.Remove(reports.SendLogPath(old)) // no "resumed into" note to stop it first
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "b.csv"), Resume: link, NoFailed: true}); !errors.Is(err, reports.ErrLocked) {
		t.Errorf("a second resume through a symlink: %v, want ErrLocked", err)
	}
	hard := filepath.Join(dir, "hard.csv")
	os.Link(old, hard)
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "c.csv"), Resume: hard, NoFailed: true}); !errors.Is(err, reports.ErrLocked) {
		t.Errorf("a second resume through a hard link: %v, want ErrLocked", err)
	}
}

// TestStaleSendLogIsNeverOverwritten: a REPORT.sent with no report beside
// it is replaced only when a killed run making that report left it (its
// .partial is there too); otherwise the run is refused, the file kept.
func TestStaleSendLogIsNeverOverwritten(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "x.csv")
	stale := "# msgread send log: the input lines sent, each before its first call\n7\n"
	os.WriteFile(reports.SendLogPath(report), []byte(stale), 0o600)
	if _, err := reports.Open(reports.Plan{Report: report, NoFailed: true, SendLog: true}); !errors.Is(err, reports.ErrExists) {
		t.Errorf("a fresh run over a leftover .sent: %v, want ErrExists", err)
	}
	if data, _ := os.ReadFile(reports.SendLogPath(report)); string(data) != stale {
		t.Errorf("the leftover .sent was changed: %q", data)
	}
	// A killed carry-over's litter: the .partial and the .sent.
	old := oldReport(t, dir, 10)
	os.WriteFile(report+".partial", []byte(strings.Join(reports.Header, ",")+"\n"), 0o600)
	files, err := reports.Open(reports.Plan{Report: report, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatalf("after a killed carry-over: %v", err)
	}
	files.Close()
}

// TestLockFileThatIsAHardLinkIsRefused: REPORT.lock made a hard link to
// the input or to the old report must not be truncated and written over.
func TestLockFileThatIsAHardLinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 10)
	before, _ := os.ReadFile(old)
	os.Link(old, filepath.Join(dir, "d.csv.lock"))
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "d.csv"), Resume: old, NoFailed: true, SendLog: true}); err == nil || !strings.Contains(err.Error(), "other names") {
		t.Errorf("a hard-linked lock file: %v", err)
	}
	if after, _ := os.ReadFile(old); string(after) != string(before) {
		t.Errorf("the old report was written over through its hard link: %.80q", after)
	}
}

// TestSendLogWithOtherNamesIsRefused: a REPORT.sent that is a hard link to
// another report's log (or a symlink) is neither read as this report's nor
// appended to.
func TestSendLogWithOtherNamesIsRefused(t *testing.T) {
	dir := t.TempDir()
	a := oldReport(t, dir, 10)
	b := filepath.Join(dir, "b.csv")
	os.Rename(reports.SendLogPath(a), reports.SendLogPath(b))
	before, _ := os.ReadFile(reports.SendLogPath(b))
	os.Link(reports.SendLogPath(b), reports.SendLogPath(a))
	if _, err := reports.Open(reports.Plan{Report: a, Resume: a, NoFailed: true, SendLog: true}); err == nil || !strings.Contains(err.Error(), "other names") {
		t.Errorf("a hard-linked .sent: %v", err)
	}
	os.Remove(reports.SendLogPath(a))
	os.Symlink(reports.SendLogPath(b), reports.SendLogPath(a))
	if _, err := reports.Open(reports.Plan{Report: a, Resume: a, NoFailed: true, SendLog: true}); err == nil {
		t.Errorf("a symlinked .sent was taken")
	}
	if after, _ := os.ReadFile(reports.SendLogPath(b)); string(after) != string(before) {
		t.Errorf("the other report's log changed")
	}
}

// TestAbandonedResumeLeavesTheOldReportResumable: a resume refused after
// Open (another input, charts or a metrics listener that cannot be had)
// is abandoned before its first call: the new report is removed, and the
// old one may be resumed again, not refused as resumed into a report
// that is gone.
func TestAbandonedResumeLeavesTheOldReportResumable(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 30)
	before, _ := os.ReadFile(reports.SendLogPath(old))
	r2 := filepath.Join(dir, "r2.csv")
	files, err := reports.Open(reports.Plan{Report: r2, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatal(err)
	}
	files.Abandon()
	if _, err := os.Stat(r2); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the abandoned report is still there: %v", err)
	}
	r3 := filepath.Join(dir, "r3.csv")
	files, err = reports.Open(reports.Plan{Report: r3, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatalf("resuming the old report again after an abandoned resume: %v", err)
	}
	files.Close()
	after, _ := os.ReadFile(reports.SendLogPath(old))
	if want := strings.TrimSuffix(string(before), "34"); !strings.HasPrefix(string(after), want) {
		t.Errorf("the old send log lost its lines:\n%q\nwant a prefix\n%q", after, want)
	}
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "r4.csv"), Resume: old, NoFailed: true, SendLog: true}); !errors.Is(err, reports.ErrSuperseded) || !strings.Contains(err.Error(), "r3.csv") {
		t.Errorf("after the run that did resume it: %v, want ErrSuperseded naming r3.csv", err)
	}
}

// TestRefusedFailedFileLeavesTheOldReportResumable: Open itself refusing
// the resume after the new report was made (a --failed path that exists)
// takes back the note too.
func TestRefusedFailedFileLeavesTheOldReportResumable(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 30)
	taken := filepath.Join(dir, "taken.csv")
	os.WriteFile(taken, []byte("x\n"), 0o600)
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "r2.csv"), Resume: old, Failed: taken, SendLog: true}); !errors.Is(err, reports.ErrExists) {
		t.Fatalf("--failed naming a file that exists: %v, want ErrExists", err)
	}
	files, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "r2.csv"), Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatalf("resuming the old report again: %v", err)
	}
	files.Close()
}

// TestChainIsFoundBackwards: from the newest report, Chain finds the
// reports it was resumed from (through the note in its send log, or for
// a chain of an older msgread through the old report's "resumed into"
// note beside it) and each run's timeline, oldest first.
func TestChainIsFoundBackwards(t *testing.T) {
	dir := t.TempDir()
	old := oldReport(t, dir, 30)
	os.WriteFile(filepath.Join(dir, "old.timeline.csv"), nil, 0o600) // found by its default name: the old log has no note
	mid := filepath.Join(dir, "sub", "mid.csv")
	files, err := reports.Open(reports.Plan{Report: mid, Resume: old, NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatal(err)
	}
	files.NoteTimeline(filepath.Join(dir, "charts", "mid-own.csv"))
	files.Close()
	files, err = reports.Open(reports.Plan{Report: mid, Resume: mid, NoFailed: true, SendLog: true}) // appended
	if err != nil {
		t.Fatal(err)
	}
	if files.Base != strings.TrimSuffix(mid, ".csv")+".2" {
		t.Errorf("an appending run's base %q, want mid.2", files.Base)
	}
	files.NoteTimeline(files.Base + reports.TimelineSuffix)
	files.Close()
	chain, err := reports.Chain(mid)
	if err != nil {
		t.Fatal(err)
	}
	want := []reports.Link{
		{Report: old, Timelines: []string{filepath.Join(dir, "old.timeline.csv")}, ResumedInto: mid},
		{Report: mid, Timelines: []string{filepath.Join(dir, "charts", "mid-own.csv"), filepath.Join(dir, "sub", "mid.2.timeline.csv")}},
	}
	if fmt.Sprint(chain) != fmt.Sprint(want) {
		t.Errorf("chain\n%v\nwant\n%v", chain, want)
	}

	// Without the "resumed from" note (a chain an older msgread made), the
	// old report is found beside the new one by its "resumed into" note.
	newer := filepath.Join(dir, "newer.csv")
	files, err = reports.Open(reports.Plan{Report: newer, Resume: old2(t, dir), NoFailed: true, SendLog: true})
	if err != nil {
		t.Fatal(err)
	}
	files.Close()
	log, _ := os.ReadFile(reports.SendLogPath(newer))
	var kept []string
	for _, l := range strings.SplitAfter(string(log), "\n") {
		if !strings.HasPrefix(l, "# resumed from") {
			kept = append(kept, l)
		}
	}
	os.WriteFile(reports.SendLogPath(newer), []byte(strings.Join(kept, "")), 0o600)
	chain, err = reports.Chain(newer)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || chain[0].Report != filepath.Join(dir, "old2.csv") || chain[1].Report != newer {
		t.Errorf("chain without the note: %v", chain)
	}
}

// old2 is a second old report beside the first, with its send log.
func old2(t *testing.T, dir string) string {
	sub := filepath.Join(t.TempDir())
	path := oldReport(t, sub, 5)
	to := filepath.Join(dir, "old2.csv")
	for _, s := range []string{"", ".sent"} {
		data, _ := os.ReadFile(path + s)
		os.WriteFile(to+s, data, 0o600)
	}
	return to
}

// TestChainOfALoopIsRefused: send logs edited into a loop end the walk
// with an error, not for ever.
func TestChainOfALoopIsRefused(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	head := "# msgread send log: the input lines sent, each before its first call\n"
	os.WriteFile(reports.SendLogPath(a), []byte(head+"# resumed from b.csv\n"), 0o600)
	os.WriteFile(reports.SendLogPath(b), []byte(head+"# resumed from a.csv\n"), 0o600)
	if _, err := reports.Chain(a); err == nil || !strings.Contains(err.Error(), "comes back") {
		t.Errorf("a loop: %v", err)
	}
}

package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/msgread/msgread/internal/crashpoint"
)

// ErrExists is wrapped when an output file is there already: msgread never
// overwrites a file.
var ErrExists = errors.New("already exists")

// ErrSamePath is wrapped when two outputs of a run name one file.
var ErrSamePath = errors.New("is named twice")

// ErrReserved is wrapped when an output's path names one of the files
// msgread keeps beside a report.
var ErrReserved = errors.New("names a file msgread keeps beside a report")

// ResumeError is an error of the report to resume (missing, damaged, not a
// report, superseded, in use), as opposed to one of the outputs'.
type ResumeError struct{ Err error }

func (e *ResumeError) Error() string { return e.Err.Error() }
func (e *ResumeError) Unwrap() error { return e.Err }

// ErrSuperseded is wrapped when the report to resume was resumed into a
// newer one already.
var ErrSuperseded = errors.New("is not the newest report of its chain")

// The files msgread keeps beside a report REPORT: REPORT.partial while a
// resume copies the old done lines into it, REPORT.sent (the send log)
// and REPORT.lock.
const (
	partialSuffix = ".partial"
	sentSuffix    = ".sent"
	lockSuffix    = ".lock"
)

// CheckName refuses an output path that ends as the files msgread keeps
// beside a report do: a report named r.csv.partial would be taken for a
// killed run's unfinished copy, and removed.
func CheckName(path string) error {
	for _, suffix := range []string{partialSuffix, sentSuffix, lockSuffix} {
		if strings.HasSuffix(path, suffix) {
			return fmt.Errorf("%s %w (%s): choose a name that does not end in %s", path, ErrReserved, suffix, suffix)
		}
	}
	return nil
}

// Plan says which files a run writes: its report, its failed-rows file, and
// the old report it resumes, if any.
type Plan struct {
	// Report is the report's path. When it is the resumed report itself,
	// the run appends to it; otherwise it must not exist.
	Report string
	// Failed is the failed-rows file's path; "" names it after the run
	// (Files.Base + ".failed.csv": REPORT.failed.csv, or REPORT.2.failed.csv
	// when appending, so that an earlier run's stays).
	Failed string
	// NoFailed leaves the failed-rows file out (a load test's rows are
	// synthetic).
	NoFailed bool
	// InputHeader is the input's header line as the file has it: the
	// failed-rows file starts with it and copies each row's line
	// (Record.Raw). Nil writes FailedHeader and the rows' cells.
	InputHeader []byte
	// Resume is the old report to continue, "" for a fresh run.
	Resume string
	// Holder names the run in the lock files, for another run's message.
	Holder string
	// Stopped, when set, is asked while a long report loads: true ends Open
	// with ErrStopped (an interrupt).
	Stopped func() bool
	// SendLog keeps the report's send log (REPORT.sent), which a resume
	// reads to count exactly the lines it sends again.
	SendLog bool
}

// Files are the files of one run, made by Open under one rule: an output
// file is created new, never over an existing one, so no output can
// overwrite an input, the resumed report, another output or anything else;
// the one exception is the report a resume appends to, which is the plan's
// choice. The report (and the resumed report) is locked while the run
// holds the Files. Write routes each row, Flush pushes both files to disk
// (fsync included), Close flushes and closes everything and drops the locks.
type Files struct {
	// Resume is the loaded old report, nil for a fresh run.
	Resume *Resume
	// ReportPath and FailedPath are the paths written; Appending says the
	// report is the resumed one.
	ReportPath, FailedPath string
	Appending              bool
	// Base names the run's own files beside the report (failed rows,
	// timeline, HTML, verify report): the report's path without .csv, or
	// when appending the first REPORT.N (N from 2) none of whose files
	// exist, so that each run of an appended report keeps its own.
	Base string

	report     *Writer
	failed     *FailedWriter
	reportFile *os.File
	failedFile *os.File
	locks      []*Lock
	created    []string // files this run made, removed by Abandon
	named      map[string]string
	extra      []*os.File

	sends *SendLog
	held  []*os.File // open only for their flock (LockOpen)
	// unmark takes back the note in the resumed report's send log that
	// this report continues it; Abandon calls it.
	unmark func()

	// written counts the rows in the report's file; carried the skipped
	// lines it holds already.
	written, carried int
	// pending are the rows written since the report's last good flush,
	// each with its end in the file; lost those a write error kept out of
	// the file.
	pending []pendingRow
	lost    []Record
}

// pendingRow is a row on its way to the report's file: its end in the
// file, and what the summary counts of it (a row, not its cells: a fast
// run holds a second's rows, hundreds of thousands with an instant caller).
type pendingRow struct {
	end       int64
	errorCode int
	status    Status
	hasCode   bool
}

// record is what Unwritten gives back of a row lost to a write error.
func (p pendingRow) record() Record {
	return Record{Status: p.status, HasCode: p.hasCode, ErrorCode: p.errorCode}
}

// Open locks and loads the resumed report (if any), then creates or opens
// the report, its send log (with Plan.SendLog) and the failed-rows file.
// Its errors name the file and wrap ErrExists, ErrSamePath, ErrLocked or
// ErrNotReport where they apply.
//
// The chain of reports keeps one rule: the report a run writes holds every
// line done before it, from before its first call. A report appended to
// holds them already; a new report is born with them: the old report's
// done lines are copied into REPORT.partial as skipped rows (with the read
// time that was sent), synced, and only then linked to the report's name.
// A process killed during the copy leaves no report, so the next resume
// can only name the old one; a killed run's report, whatever the moment,
// lists every done line of the chain.
func Open(p Plan) (_ *Files, err error) {
	f := &Files{ReportPath: p.Report, named: map[string]string{}}
	defer func() {
		if err != nil {
			f.Abandon()
		}
	}()
	for _, out := range []string{p.Report, p.Failed} {
		if err := CheckName(out); err != nil {
			return nil, err
		}
	}
	if p.Resume != "" {
		if err := f.lockResume(&p); err != nil {
			return nil, err
		}
	}
	if f.Appending {
		err = f.openAppend(p)
	} else {
		err = f.createReport(p)
	}
	if err != nil {
		return nil, err
	}
	f.Base = RunBase(p.Report, f.Appending)
	defer crashpoint.Hit("opened")
	if p.NoFailed {
		return f, nil
	}
	ff, err := f.createFailed(p)
	if err != nil {
		return nil, err
	}
	f.failedFile = ff
	f.failed, err = NewFailedWriter(ff, p.InputHeader)
	return f, err
}

// lockResume locks the report p resumes, by its real name (p.Resume
// becomes that name), and notes whether the run appends to it. Its
// errors are ResumeErrors.
func (f *Files) lockResume(p *Plan) error {
	// The old report by its real name: a symlink to it must find its
	// send log and lock as the name itself does.
	if real, err := filepath.EvalSymlinks(p.Resume); err == nil {
		p.Resume = real
	}
	if strings.HasSuffix(p.Resume, partialSuffix) {
		return &ResumeError{fmt.Errorf("%s %w: it is the unfinished copy a killed run was making of a new report (the report exists only once it is whole); resume the report that run resumed", p.Resume, ErrNotReport)}
	}
	if err := f.lock(p.Resume, p.Holder); err != nil {
		return &ResumeError{err}
	}
	f.Appending = sameFile(p.Resume, p.Report)
	return nil
}

// createFailed creates the failed-rows file, Plan.Failed or the run's
// BASE.failed.csv, and notes its path. It is never made over a file that
// exists (ErrExists).
func (f *Files) createFailed(p Plan) (*os.File, error) {
	f.FailedPath = p.Failed
	if f.FailedPath == "" {
		f.FailedPath = f.Base + FailedSuffix
	}
	return f.create(f.FailedPath, "the failed-rows file")
}

func (f *Files) lock(path, holder string) error {
	l, err := LockFile(path, holder)
	if err != nil {
		return err
	}
	f.locks = append(f.locks, l)
	return nil
}

// createReport makes a new report: empty for a fresh run, born with the
// resumed report's done lines for a resume (see Open).
func (f *Files) createReport(p Plan) error {
	if err := f.lock(p.Report, p.Holder); err != nil {
		return err
	}
	if p.Resume == "" {
		if err := f.startReport(p.Report, "the report"); err != nil {
			return err
		}
		return f.createSendLog(p, nil, false)
	}
	if err := f.name(p.Report, "the report"); err != nil {
		return err
	}
	if _, err := os.Lstat(p.Report); err == nil {
		return existsError(p.Report)
	}
	partial := p.Report + partialSuffix
	_, err := os.Lstat(partial)
	killedCopy := err == nil // a run making this report was killed: its .sent is litter too
	if err := removeStale(partial, strings.Join(Header, ",")); err != nil {
		return err
	}
	if err := f.startReport(partial, "the report being made"); err != nil {
		return err
	}
	if err := f.loadResume(p, f.report.carry); err != nil {
		return err
	}
	crashpoint.Hit("carried")
	if err := f.createSendLog(p, f.Resume, killedCopy); err != nil {
		return err
	}
	if err := f.Flush(); err != nil {
		return fmt.Errorf("%s: %w", partial, err)
	}
	if err := os.Link(partial, p.Report); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return existsError(p.Report)
		}
		return fmt.Errorf("%s: %w", p.Report, err)
	}
	f.created = append(f.created, p.Report)
	// A run abandoned before its first call (a refusal after Open: another
	// input, an output or a listener that cannot be had) takes the note
	// back, or the old report would be refused as resumed into a report
	// that was never run and is gone.
	f.unmark = func() { unmarkResumed(f.Resume, p.Resume) }
	if err := markResumed(f.Resume, p.Resume, p.Report); err != nil {
		return fmt.Errorf("noting in %s that %s resumed it: %w", SendLogPath(p.Resume), p.Report, err)
	}
	os.Remove(partial)
	f.created = slices.DeleteFunc(f.created, func(c string) bool { return c == partial })
	return syncDir(filepath.Dir(p.Report))
}

// startReport creates a new report file at path, locks the file itself and
// writes its header.
func (f *Files) startReport(path, what string) error {
	rf, err := f.create(path, what)
	if err != nil {
		return err
	}
	f.reportFile = rf
	if err := LockOpen(rf); err != nil {
		return err
	}
	f.report, err = NewWriter(rf, true)
	return err
}

// loadResume loads the resumed report and its send log; carry, when set,
// receives each done row.
//
// The send log is read first: a report resumed into a newer one already
// is refused before anything is copied.
func (f *Files) loadResume(p Plan, carry func(doneRow) error) error {
	err := f.readResume(p, carry)
	var write *WriteError
	if err != nil && !errors.Is(err, ErrStopped) && !errors.As(err, &write) {
		err = &ResumeError{err}
	}
	return err
}

func (f *Files) readResume(p Plan, carry func(doneRow) error) error {
	log, err := readSendLogFile(SendLogPath(p.Resume))
	if err != nil {
		return err
	}
	if err := log.superseded(p.Resume); err != nil {
		return err
	}
	old, err := openRegular(p.Resume)
	if err != nil {
		return err
	}
	if err := LockOpen(old); err != nil {
		old.Close()
		return err
	}
	f.held = append(f.held, old) // its lock lasts the run
	if log == nil {
		if err := refuseOtherNames(old); err != nil {
			return err
		}
	}
	f.Resume, err = loadResume(old, p.Stopped, carry)
	if err != nil {
		if errors.Is(err, ErrStopped) {
			return err
		}
		return fmt.Errorf("%s: %w", p.Resume, err)
	}
	f.Resume.log = log
	return nil
}

// createSendLog makes the new report's send log, starting with the lines
// the resumed report's log has sent and not done (res nil: none). A chain
// whose old report has no log gets none: its lines sent before are not
// known.
//
// An existing REPORT.sent is replaced only when replaceStale says a killed
// run making this report left it; any other is refused, never overwritten.
func (f *Files) createSendLog(p Plan, res *Resume, replaceStale bool) error {
	if !p.SendLog || (res != nil && res.log == nil) {
		return nil
	}
	path := SendLogPath(p.Report)
	if replaceStale {
		if err := removeStale(path, strings.TrimSuffix(sendLogHeader, "\n")); err != nil {
			return err
		}
	}
	lf, err := f.create(path, "the send log")
	if err != nil {
		return err
	}
	f.sends = &SendLog{f: lf}
	w := bufio.NewWriter(lf)
	w.WriteString(sendLogHeader)
	if res != nil {
		// The chain backwards: msgread report finds the older reports.
		w.WriteString(resumedFromPrefix + relName(p.Report, p.Resume) + "\n")
		res.log.sent.each(func(line int) error {
			if _, done := res.lookup(line); done {
				return nil // skipped from now on: never sent again
			}
			w.WriteString(strconv.Itoa(line))
			return w.WriteByte('\n')
		})
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// removeStale removes a file left by a killed run of this report (we hold
// its lock): one that is empty or starts with head. Any other file there
// is not msgread's, and stays: creating ours then fails with ErrExists.
func removeStale(path, head string) error {
	b, err := readHead(path, len(head))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(b) == 0 || strings.HasPrefix(head, string(b)) {
		return os.Remove(path)
	}
	return nil
}

func readHead(path string, n int) ([]byte, error) {
	file, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(file, b)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = nil
	}
	return b[:k], err
}

// openRegular opens a file to read that must be a regular file: a FIFO or
// a device named by mistake is refused at once instead of blocking or
// reading forever.
func openRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return os.Open(path)
}

// syncDir puts a directory's entries (a new link) on disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// openAppend opens the resumed report to add rows to it, after cutting a
// torn last line (the rule LoadResume applied: that row is done again),
// and its send log likewise.
func (f *Files) openAppend(p Plan) error {
	if err := f.name(p.Report, "the report"); err != nil {
		return err
	}
	if err := f.loadResume(p, nil); err != nil {
		return err
	}
	rf, err := os.OpenFile(f.ReportPath, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	f.reportFile = rf
	if err := rf.Truncate(f.Resume.Complete); err != nil {
		return fmt.Errorf("%s: cutting its torn last line: %w", f.ReportPath, err)
	}
	if _, err := rf.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	f.report, err = NewWriter(rf, f.Resume.Complete == 0)
	if err != nil {
		return err
	}
	return f.appendSendLog(p)
}

// appendSendLog opens the appended report's send log to add to it (its
// torn last line cut), or makes one for a report with no rows yet.
func (f *Files) appendSendLog(p Plan) error {
	path := SendLogPath(p.Report)
	switch {
	case !p.SendLog:
		return nil
	case f.Resume.log == nil && f.Resume.Rows == 0:
		return f.createSendLog(p, nil, false)
	case f.Resume.log == nil:
		return nil // an older msgread's report: its sends are not known
	}
	if err := f.name(path, "the send log"); err != nil {
		return err
	}
	lf, err := os.OpenFile(path, os.O_RDWR|noFollow, 0)
	if err != nil {
		return err
	}
	f.sends = &SendLog{f: lf}
	if err := lf.Truncate(f.Resume.log.complete); err != nil {
		return fmt.Errorf("%s: cutting its torn last line: %w", path, err)
	}
	if f.Resume.log.complete == 0 {
		_, err = lf.WriteString(sendLogHeader)
	} else {
		_, err = lf.Seek(0, io.SeekEnd)
	}
	return err
}

// Create makes a new output file of the run (a summary, a timeline…) under
// the same rule as the report: the path must not exist, and no other output
// of the run may name it. what names the file in errors ("" for "output").
// The caller fills and closes it; Abandon closes and removes it.
func (f *Files) Create(path, what string) (*os.File, error) {
	if err := CheckName(path); err != nil {
		return nil, err
	}
	file, err := f.create(path, what)
	if err == nil {
		f.extra = append(f.extra, file)
	}
	return file, err
}

func (f *Files) create(path, what string) (*os.File, error) {
	if err := f.name(path, what); err != nil {
		return nil, err
	}
	file, err := CreateNew(path)
	if err != nil {
		return nil, err
	}
	f.created = append(f.created, path)
	return file, nil
}

// name refuses a path another output of the run has named already.
func (f *Files) name(path, what string) error {
	if what == "" {
		what = "an output"
	}
	key, err := filepath.Abs(path)
	if err != nil {
		key = path
	}
	if prev, ok := f.named[key]; ok {
		return fmt.Errorf("%s %w: as %s and as %s", path, ErrSamePath, prev, what)
	}
	f.named[key] = what
	return nil
}

// checkOwn refuses a file msgread keeps beside a report (its .sent) that
// is a symlink or has other names: reading or appending to it would read
// or change another file (an input, another report's log).
func checkOwn(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || links(st) > 1 {
		return fmt.Errorf("%s is not a file of msgread's (a symlink, no regular file, or a file with other names): move it away", path)
	}
	return nil
}

// refuseOtherNames refuses to resume a report with no send log beside it
// that has other names (hard links): its send log, lock and "resumed into"
// note may be beside another of them, and resuming it under this one would
// pass them by.
func refuseOtherNames(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if n := links(st); n > 1 {
		return fmt.Errorf("%s has %d names (hard links) and no send log beside this one: resume it by the name msgread wrote it under, whose .sent is beside it", f.Name(), n)
	}
	return nil
}

// existsError refuses an output path that is there already.
func existsError(path string) error {
	return fmt.Errorf("%s %w: msgread never overwrites a file; choose another path, or move it away", path, ErrExists)
}

// CreateNew creates a file that must not exist yet, with its parent
// directories: the one rule for every file msgread writes. Files are made
// readable by their owner only (0600): reports hold user IDs.
func CreateNew(path string) (*os.File, error) {
	if path == "" {
		return nil, errors.New("an output path is empty")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, existsError(path)
	}
	return f, err
}

func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// Write adds r to the report, and to the failed-rows file when r failed or
// gave up (invalid rows would fail again as they are, so they stay out). A
// skipped line is not written again to a report that holds it already.
func (f *Files) Write(r Record) error {
	if f.Resume != nil && r.Status == StatusSkipped { // the report holds the lines done before (see Open)
		f.carried++
		return nil
	}
	if err := f.report.Write(r); err != nil {
		f.lost = append(f.lost, Record{Status: r.Status, HasCode: r.HasCode, ErrorCode: r.ErrorCode})
		return f.settle(err)
	}
	f.written++
	f.pending = append(f.pending, pendingRow{end: f.report.Offset(), status: r.Status, hasCode: r.HasCode, errorCode: r.ErrorCode})
	if f.failed != nil && (r.Status == StatusFailed || r.Status == StatusGaveUp) {
		if err := f.failed.Write(r); err != nil {
			return &WriteError{Path: f.FailedPath, Err: err}
		}
	}
	return nil
}

// settle, after the report's write error err, keeps as written only the
// rows whose every byte reached the file: the others are lost (Unwritten
// returns them), and a resume sends them again. A row cut by the error is
// the file's torn last line, which a resume leaves out. It returns err,
// naming the report.
func (f *Files) settle(err error) error {
	landed := f.report.Landed()
	i := 0
	for i < len(f.pending) && f.pending[i].end <= landed {
		i++
	}
	for _, p := range f.pending[i:] {
		f.lost = append(f.lost, p.record())
	}
	f.written -= len(f.pending) - i
	f.pending = f.pending[:0]
	var we *WriteError
	if errors.As(err, &we) {
		return err
	}
	return &WriteError{Path: f.ReportPath, Err: err}
}

// WriteError is a write to a run's output file that failed (a full disk,
// a quota, an I/O error): the run stops on it, and a resume sends the rows
// it lost.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("writing %s: %v", e.Path, unwrapPathError(e.Err))
}

func (e *WriteError) Unwrap() error { return e.Err }

// unwrapPathError drops an *fs.PathError's own naming of the path, which
// WriteError names already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Unwritten returns the rows given to Write that never reached the report's
// file (only Status, HasCode and ErrorCode are kept), after a write error.
func (f *Files) Unwritten() []Record { return f.lost }

// Counts returns the rows written to the report's file by this run and the
// skipped lines it did not write again because the appended report holds
// them.
func (f *Files) Counts() (written, carried int) { return f.written, f.carried }

// Flush writes the buffered rows and syncs both files to disk, so that a
// crash loses at most the rows since the last Flush.
func (f *Files) Flush() error {
	if f.sends != nil {
		if err := f.sends.Sync(); err != nil {
			return err
		}
	}
	if err := f.report.Flush(); err != nil {
		return f.settle(err)
	}
	f.pending = f.pending[:0]
	if err := f.reportFile.Sync(); err != nil {
		return &WriteError{Path: f.ReportPath, Err: err}
	}
	if f.failed == nil {
		return nil
	}
	if err := f.failed.Flush(); err != nil {
		return &WriteError{Path: f.FailedPath, Err: err}
	}
	if err := f.failedFile.Sync(); err != nil {
		return &WriteError{Path: f.FailedPath, Err: err}
	}
	return nil
}

// Close flushes and closes the report and the failed-rows file, and drops
// the locks. Files made with Create are the caller's to close.
func (f *Files) Close() error {
	crashpoint.Hit("close")
	err := f.Flush()
	for _, x := range []*os.File{f.reportFile, f.failedFile, f.sendFile()} {
		if x == nil {
			continue
		}
		if cerr := x.Close(); err == nil {
			err = cerr
		}
	}
	f.release()
	return err
}

// Abandon undoes Open and Create when the run does not start: it removes
// the files this run created (never the report it was to append to),
// closes everything and drops the locks.
func (f *Files) Abandon() {
	for _, x := range append([]*os.File{f.reportFile, f.failedFile, f.sendFile()}, f.extra...) {
		if x != nil {
			x.Close()
		}
	}
	for _, p := range f.created {
		os.Remove(p)
	}
	if f.unmark != nil {
		f.unmark() // under the old report's lock, still held
		f.unmark = nil
	}
	f.release()
}

// Sending logs line in the send log before its first call (see SendLog);
// nil without one. Safe from several goroutines.
func (f *Files) Sending(line int) error {
	if f.sends == nil {
		return nil
	}
	return f.sends.Sending(line)
}

func (f *Files) sendFile() *os.File {
	if f.sends == nil {
		return nil
	}
	return f.sends.f
}

func (f *Files) release() {
	for _, l := range f.locks {
		l.Release()
	}
	f.locks = nil
	for _, h := range f.held {
		h.Close()
	}
	f.held = nil
}

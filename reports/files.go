package reports

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrExists is wrapped when an output file is there already: msgread never
// overwrites a file.
var ErrExists = errors.New("already exists")

// ErrSamePath is wrapped when two outputs of a run name one file.
var ErrSamePath = errors.New("is named twice")

// Plan says which files a run writes: its report, its failed-rows file, and
// the old report it resumes, if any.
type Plan struct {
	// Report is the report's path. When it is the resumed report itself,
	// the run appends to it; otherwise it must not exist.
	Report string
	// Failed is the failed-rows file's path; "" names it after the report
	// (REPORT.failed.csv, or REPORT.failed-TIME.csv when appending, so that
	// an earlier run's stays).
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
	// Now stamps the failed-rows file's name when appending.
	Now time.Time
	// Stopped, when set, is asked while a long report loads: true ends Open
	// with ErrStopped (an interrupt).
	Stopped func() bool
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

	report     *Writer
	failed     *FailedWriter
	reportFile *os.File
	failedFile *os.File
	locks      []*Lock
	created    []string // files this run made, removed by Abandon
	named      map[string]string
	extra      []*os.File

	// written counts the rows in the report's file; carried the skipped
	// lines an appended report holds already.
	written, carried int
}

// Open locks and loads the resumed report (if any), then creates or opens
// the report and creates the failed-rows file. Its errors name the file and
// wrap ErrExists, ErrSamePath, ErrLocked or ErrNotReport where they apply.
func Open(p Plan) (_ *Files, err error) {
	f := &Files{ReportPath: p.Report, named: map[string]string{}}
	defer func() {
		if err != nil {
			f.Abandon()
		}
	}()
	if p.Resume != "" {
		if err := f.lock(p.Resume, p.Holder); err != nil {
			return nil, err
		}
		old, err := os.Open(p.Resume)
		if err != nil {
			return nil, err
		}
		f.Resume, err = loadResume(old, p.Stopped)
		old.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Resume, err)
		}
		f.Appending = sameFile(p.Resume, p.Report)
	}
	if f.Appending {
		if err := f.name(p.Report, "the report"); err != nil {
			return nil, err
		}
		err = f.openAppend()
	} else {
		err = f.createReport(p.Holder)
	}
	if err != nil {
		return nil, err
	}
	if p.NoFailed {
		return f, nil
	}
	names := []string{p.Failed}
	if p.Failed == "" {
		base := strings.TrimSuffix(p.Report, ".csv")
		names = []string{base + ".failed.csv"}
		if f.Appending {
			// An earlier run's failed rows stay: a new name for each run.
			stamp := base + ".failed-" + p.Now.Format("20060102-150405")
			names = []string{stamp + ".csv"}
			for i := 2; i <= 9; i++ {
				names = append(names, fmt.Sprintf("%s-%d.csv", stamp, i))
			}
		}
	}
	var ff *os.File
	for _, name := range names {
		f.FailedPath = name
		if ff, err = f.create(name, "the failed-rows file"); !errors.Is(err, ErrExists) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	f.failedFile = ff
	f.failed, err = NewFailedWriter(ff, p.InputHeader)
	return f, err
}

func (f *Files) lock(path, holder string) error {
	l, err := LockFile(path, holder)
	if err != nil {
		return err
	}
	f.locks = append(f.locks, l)
	return nil
}

func (f *Files) createReport(holder string) error {
	if err := f.lock(f.ReportPath, holder); err != nil {
		return err
	}
	rf, err := f.create(f.ReportPath, "the report")
	if err != nil {
		return err
	}
	f.reportFile = rf
	f.report, err = NewWriter(rf, true)
	return err
}

// openAppend opens the resumed report to add rows to it, after cutting a
// torn last line (the rule LoadResume applied: that row is done again).
func (f *Files) openAppend() error {
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
	return err
}

// Create makes a new output file of the run (a summary, a timeline…) under
// the same rule as the report: the path must not exist, and no other output
// of the run may name it. what names the file in errors ("" for "output").
// The caller fills and closes it; Abandon closes and removes it.
func (f *Files) Create(path, what string) (*os.File, error) {
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
		return nil, fmt.Errorf("%s %w: msgread never overwrites a file; choose another path, or move it away", path, ErrExists)
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
// skipped line is not written again to the report it is appended to, which
// holds it already.
func (f *Files) Write(r Record) error {
	if f.Appending && r.Status == StatusSkipped {
		f.carried++
		return nil
	}
	if err := f.report.Write(r); err != nil {
		return err
	}
	f.written++
	if f.failed != nil && (r.Status == StatusFailed || r.Status == StatusGaveUp) {
		return f.failed.Write(r)
	}
	return nil
}

// Counts returns the rows written to the report's file by this run and the
// skipped lines it did not write again because the appended report holds
// them.
func (f *Files) Counts() (written, carried int) { return f.written, f.carried }

// Push hands the buffered rows of both files to the operating system
// without syncing them: a killed process loses none of them (a crash of
// the machine may, up to the last Flush).
func (f *Files) Push() error {
	if err := f.report.Flush(); err != nil {
		return err
	}
	if f.failed == nil {
		return nil
	}
	return f.failed.Flush()
}

// Flush writes the buffered rows and syncs both files to disk, so that a
// crash loses at most the rows since the last Flush.
func (f *Files) Flush() error {
	if err := f.report.Flush(); err != nil {
		return err
	}
	if err := f.reportFile.Sync(); err != nil {
		return err
	}
	if f.failed == nil {
		return nil
	}
	if err := f.failed.Flush(); err != nil {
		return err
	}
	return f.failedFile.Sync()
}

// Close flushes and closes the report and the failed-rows file, and drops
// the locks. Files made with Create are the caller's to close.
func (f *Files) Close() error {
	err := f.Flush()
	for _, x := range []*os.File{f.reportFile, f.failedFile} {
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
	for _, x := range append([]*os.File{f.reportFile, f.failedFile}, f.extra...) {
		if x != nil {
			x.Close()
		}
	}
	for _, p := range f.created {
		os.Remove(p)
	}
	f.release()
}

func (f *Files) release() {
	for _, l := range f.locks {
		l.Release()
	}
	f.locks = nil
}

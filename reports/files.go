package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Files writes a run's report and, optionally, its failed-rows file. It is
// the run's Output: Write routes each row, Flush pushes both files to disk
// (fsync included), Close flushes and closes them.
type Files struct {
	report     *Writer
	failed     *FailedWriter
	reportFile *os.File
	failedFile *os.File
}

// ErrExists is wrapped when an output file is there already: msgread never
// overwrites a report silently.
var ErrExists = errors.New("already exists")

// Create creates the report at reportPath and, when failedPath is not empty,
// the failed-rows file, with their parent directories. Neither may exist.
func Create(reportPath, failedPath string) (*Files, error) {
	rf, err := createNew(reportPath)
	if err != nil {
		return nil, err
	}
	f := &Files{reportFile: rf}
	if f.report, err = NewWriter(rf, true); err != nil {
		rf.Close()
		return nil, err
	}
	if failedPath != "" {
		if f.failedFile, err = createNew(failedPath); err != nil {
			rf.Close()
			os.Remove(reportPath)
			return nil, err
		}
		if f.failed, err = NewFailedWriter(f.failedFile); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func createNew(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s %w: choose another path, or move it away", path, ErrExists)
	}
	return f, err
}

// Write adds r to the report, and to the failed-rows file when r failed or
// gave up (invalid rows would fail again as they are, so they stay out).
func (f *Files) Write(r Record) error {
	if err := f.report.Write(r); err != nil {
		return err
	}
	if f.failed != nil && (r.Status == StatusFailed || r.Status == StatusGaveUp) {
		return f.failed.Write(r)
	}
	return nil
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

// Close flushes and closes the files.
func (f *Files) Close() error {
	err := f.Flush()
	if cerr := f.reportFile.Close(); err == nil {
		err = cerr
	}
	if f.failedFile != nil {
		if cerr := f.failedFile.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

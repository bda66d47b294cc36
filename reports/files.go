package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	if err := f.createFailed(failedPath); err != nil {
		rf.Close()
		os.Remove(reportPath)
		return nil, err
	}
	return f, nil
}

// Append opens the existing report at reportPath to add rows to it (the
// header is written only if the file is empty), and creates the failed-rows
// file as Create does. A torn last row, cut short when a run was killed
// while writing it, is cut off first: LoadDone does not count it, so its row
// is done again.
func Append(reportPath, failedPath string) (*Files, error) {
	rf, err := os.OpenFile(reportPath, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	size, err := cutTornTail(rf)
	if err == nil {
		_, err = rf.Seek(0, io.SeekEnd)
	}
	if err != nil {
		rf.Close()
		return nil, fmt.Errorf("%s: %w", reportPath, err)
	}
	f := &Files{reportFile: rf}
	f.report, _ = NewWriter(rf, size == 0)
	if err := f.createFailed(failedPath); err != nil {
		rf.Close()
		return nil, err
	}
	return f, nil
}

// createFailed creates the failed-rows file, unless path is empty.
func (f *Files) createFailed(path string) error {
	if path == "" {
		return nil
	}
	ff, err := createNew(path)
	if err != nil {
		return err
	}
	if f.failed, err = NewFailedWriter(ff); err != nil {
		ff.Close()
		return err
	}
	f.failedFile = ff
	return nil
}

// cutTornTail truncates f after its last newline and returns the new size.
func cutTornTail(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep := start + int64(i) + 1
			if keep != size {
				return keep, f.Truncate(keep)
			}
			return size, nil
		}
		end = start
	}
	return 0, f.Truncate(0)
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

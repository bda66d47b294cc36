//go:build !unix

package reports

import (
	"errors"
	"os"
)

// Lock is an exclusive claim on a report; see lock.go. Only unix systems
// have it.
type Lock struct{}

// ErrLocked is wrapped when another run holds a report's lock.
var ErrLocked = errors.New("is in use by another run")

// LockFile fails: locking needs flock.
func LockFile(path, holder string) (*Lock, error) {
	return nil, errors.New("reports: locking a report needs a unix system")
}

// LockOpen does nothing where there is no flock.
func LockOpen(f *os.File) error { return nil }

// links returns 1: without unix, a file's names are not counted.
func links(st os.FileInfo) uint64 { return 1 }

const noFollow = 0

const nonBlock = 0

// Release does nothing.
func (l *Lock) Release() {}

// Writing cannot tell without flock: it says no run writes the report.
func Writing(path string) (holder string, writing bool) { return "", false }

// Left reports nothing where there is no flock.
func Left(path string) (holder string, left bool) { return "", false }

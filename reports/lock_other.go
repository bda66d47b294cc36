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

func refuseOtherNames(f *os.File) error { return nil }

func checkOwn(path string) error { return nil }

const noFollow = 0

// Release does nothing.
func (l *Lock) Release() {}

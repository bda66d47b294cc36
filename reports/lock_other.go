//go:build !unix

package reports

import "errors"

// Lock is an exclusive claim on a report; see lock.go. Only unix systems
// have it.
type Lock struct{}

// ErrLocked is wrapped when another run holds a report's lock.
var ErrLocked = errors.New("is in use by another run")

// LockFile fails: locking needs flock.
func LockFile(path, holder string) (*Lock, error) {
	return nil, errors.New("reports: locking a report needs a unix system")
}

// Release does nothing.
func (l *Lock) Release() {}

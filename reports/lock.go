//go:build unix

package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Lock is an exclusive claim on a report, held while a run writes or
// resumes it: a second run on the same report refuses instead of appending
// rows between the first one's. It is an advisory lock (flock) on a file
// beside the report, PATH.lock, which says who holds it. The kernel drops
// the lock when its process dies, so a run killed with SIGKILL leaves no
// stale claim: the next run takes the lock file over.
type Lock struct {
	path string
	f    *os.File
}

// ErrLocked is wrapped when another run holds a report's lock.
var ErrLocked = errors.New("is in use by another run")

// LockFile takes the lock of the report at path without waiting. holder
// says who takes it, for the message another run shows.
func LockFile(path, holder string) (*Lock, error) {
	lockPath := path + lockSuffix
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	for {
		// O_NOFOLLOW: a lock file that is a symlink would have the
		// holder's line written over whatever it points to (an input, the
		// old report).
		f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("locking %s: %s is a symlink, not a lock file of msgread's: move it away", path, lockPath)
		}
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w: move it away", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			who, _ := os.ReadFile(lockPath)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%s %w (%s; its lock file is %s)", path, ErrLocked, strings.TrimSpace(string(bytes.ToValidUTF8(who, nil))), lockPath)
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		// A holder that was releasing may have removed the file between our
		// open and our flock: then the lock is on a file nobody else sees.
		fst, err1 := f.Stat()
		pst, err2 := os.Lstat(lockPath)
		if err1 != nil || err2 != nil || !os.SameFile(fst, pst) {
			f.Close()
			continue
		}
		// A lock file with another name (a hard link to an input or a
		// report) or that is no regular file is not msgread's to truncate.
		if !fst.Mode().IsRegular() || links(fst) > 1 {
			f.Close()
			return nil, fmt.Errorf("locking %s: %s is not a lock file of msgread's (it has other names, or is no regular file): move it away", path, lockPath)
		}
		f.Truncate(0)
		fmt.Fprintf(f, "held by %s, pid %d, since %s\n", holder, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
		return &Lock{path: lockPath, f: f}, nil
	}
}

// LockOpen takes the lock of an open report file itself, without waiting:
// a second run reaching the same file under another name (a symlink, a
// hard link), whose PATH.lock differs, is refused all the same. The lock
// goes with f's close.
func LockOpen(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%s %w (under another of its names)", f.Name(), ErrLocked)
		}
		return fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return nil
}

// noFollow makes an open refuse a symlink.
const noFollow = syscall.O_NOFOLLOW

// nonBlock makes an open of a named pipe (a FIFO where a send log or a
// lock file was) return at once instead of waiting for a writer, deaf to
// every interrupt; on a regular file it changes nothing.
const nonBlock = syscall.O_NONBLOCK

// links returns how many names (hard links) the file has.
func links(st os.FileInfo) uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Nlink)
	}
	return 1
}

// Release removes the lock file and drops the lock. A nil *Lock is none.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.path) // while still holding it: see LockFile
	l.f.Close()
	l.f = nil
}

// Writing reports whether a run holds the lock of the report at path now,
// and what its lock file says of it ("held by msgread run, pid …"): a
// reader (verify) then knows the report is still growing. It takes no
// lock that stays: a shared probe, dropped at once.
func Writing(path string) (holder string, writing bool) {
	who, held, ok := probeLock(path)
	return who, ok && held
}

// Left reports whether the report at path has a lock file that no run
// holds: the run that took it died without releasing it (killed, or its
// machine went down), so its input may hold lines it never reported. It
// returns what the lock file says of that run. It takes no lock that
// stays: a shared probe, dropped at once.
func Left(path string) (holder string, left bool) {
	who, held, ok := probeLock(path)
	return who, ok && !held
}

// probeLock tries a shared lock of the report's lock file, dropped at
// once: held says a run holds it; who is what the file says of its run;
// ok is false when there is no regular lock file of msgread's.
func probeLock(path string) (who string, held, ok bool) {
	f, err := os.OpenFile(path+lockSuffix, os.O_RDONLY|syscall.O_NOFOLLOW|nonBlock, 0)
	if err != nil {
		return "", false, false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", false, false // no lock file of msgread's
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		held = true
	} else {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	text, _ := io.ReadAll(io.LimitReader(f, 512))
	return strings.TrimSpace(string(bytes.ToValidUTF8(text, nil))), held, true
}

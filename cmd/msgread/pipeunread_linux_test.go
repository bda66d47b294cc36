package main

import (
	"os"
	"syscall"
	"unsafe"
)

// pipeUnread is the count of bytes in the pipe f (either end) that were
// written and not yet read, and whether it is known: FIONREAD.
func pipeUnread(f *os.File) (int, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var n int32
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	}); err != nil || errno != 0 {
		return 0, false
	}
	return int(n), true
}

//go:build !linux

package main

import "os"

// pipeUnread is the count of bytes in the pipe f that were written and not
// yet read, and whether it is known: never here.
func pipeUnread(f *os.File) (int, bool) { return 0, false }

package main

import (
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// console is standard output or standard error as a run writes to it: its
// first write error (a closed pipe, as in "msgread run … | head -1", or a
// terminal gone) is returned once, and every later write is dropped. A run
// whose console went away carries on: its report, failed rows and summary
// file are what it is for. Safe for concurrent use.
type console struct {
	mu     sync.Mutex
	w      io.Writer
	failed bool
}

func newConsole(w io.Writer) *console { return &console{w: w} }

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.failed = true
	}
	return n, err
}

// isTerminal reports whether w (a console or a file) is a terminal.
func isTerminal(w io.Writer) bool {
	if c, ok := w.(*console); ok {
		w = c.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

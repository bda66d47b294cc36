package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msgread/msgread/batch"
)

// openInput opens INPUT ("-" for standard input) and reads its header. It
// also returns the number of data lines when INPUT is a file (-1 for
// standard input), counted fast for the progress bar's total.
func openInput(e *env, path string) (*batch.Input, func() error, int64, error) {
	if path == "-" {
		in, err := batch.NewInput(e.stdin)
		if err != nil {
			return nil, nil, 0, inputError("standard input", err)
		}
		return in, func() error { return nil }, -1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, usageError(fmt.Sprintf("input: %v", err))
	}
	total, err := countLines(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, nil, 0, usageError(fmt.Sprintf("input %s: %v", path, err))
	}
	in, err := batch.NewInput(f)
	if err != nil {
		f.Close()
		return nil, nil, 0, inputError(path, err)
	}
	return in, f.Close, max(total-1, 0), nil
}

func inputError(name string, err error) error {
	msg := err.Error()
	if errors.Is(err, batch.ErrBadInput) {
		msg = fmt.Sprintf("input %s is not usable: %s", name, strings.TrimPrefix(msg, batch.ErrBadInput.Error()+": "))
	}
	return usageError(msg)
}

// countLines counts the lines of r: newline bytes, plus one for a last line
// without a newline. Quoted fields that span lines make it an overestimate,
// which is fine for a progress bar.
func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	var last byte = '\n'
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if err == io.EOF {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

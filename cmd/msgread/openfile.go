package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgread/msgread/internal/fsopen"
)

// openRead and readSmallFile open the files a user names so that an
// interrupt is never stuck behind a named pipe (see package fsopen).
var (
	openRead      = fsopen.OpenRead
	readSmallFile = fsopen.ReadSmall
)

// interruptedOpening is the error of a file's open or read that an
// interrupt ended (what names the file's flag), or nil.
func interruptedOpening(ctx context.Context, err error, what string) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return nil
	}
	return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted while opening %s", what)}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
)

// openInput opens INPUT ("-" for standard input) with batch.OpenInput and
// words its refusals for a person: exit 2, or 130 when an interrupt ended
// the open. A name that claims another format than the content's (a .csv
// that is gzip) is said in a note: the content decides.
func openInput(ctx context.Context, e *env, path string) (*batch.InputFile, error) {
	in, err := batch.OpenInput(ctx, path, e.stdin)
	if err == nil {
		if in.Note != "" {
			fmt.Fprintf(e.stderr, "msgread: note: %s\n", in.Note)
		}
		return in, nil
	}
	var ie *batch.InputError
	if !errors.As(err, &ie) {
		return nil, err
	}
	switch {
	case ie.Phase == "opening":
		if ierr := interruptedOpening(ctx, ie.Err, "the input"); ierr != nil {
			return nil, ierr
		}
		return nil, stopped(exitUsage, stopInput, fmt.Errorf("input: %w", ie.Err))
	case ie.Phase == "counting the lines" && ctx.Err() != nil:
		return nil, &exitError{code: exitInterrupted, err: errors.New("interrupted while counting the input's lines")}
	case ie.Phase == "counting the lines":
		return nil, stopped(exitUsage, stopInput, fmt.Errorf("input %s: %w", path, ie.Err))
	}
	name := path
	if path == "-" {
		name = "standard input"
	}
	return nil, inputError(name, ie.Err)
}

// inputError words an input whose header or rows cannot be used.
func inputError(name string, err error) error {
	if errors.Is(err, context.Canceled) {
		return &exitError{code: exitInterrupted, err: errors.New("interrupted while reading the input's header")}
	}
	msg := err.Error()
	if errors.Is(err, batch.ErrBadInput) {
		msg = fmt.Sprintf("input %s is not usable: %s", safetext.Quote(name), strings.TrimPrefix(msg, batch.ErrBadInput.Error()+": "))
	}
	return stopped(exitUsage, stopInput, errors.New(msg))
}

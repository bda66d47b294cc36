// Package clock is the one clock of a run: the runner paces on it, workers
// back off on it, the meter and the signer read it, and the mock decides its
// seconds, latency and hangs on it. Tests pass the fake one of
// internal/fakeclock, so that all of it is tested without sleeping.
package clock

import (
	"context"
	"time"
)

// Clock is a source of time. Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep blocks for d, or until ctx is done: it then returns ctx's
	// error. A d of zero or less returns at once.
	Sleep(ctx context.Context, d time.Duration) error
	// SleepUntil blocks until t, or until ctx is done, as Sleep does. Waiting
	// for a time rather than a duration read off the clock just before
	// keeps two goroutines that wait for the same moment from adding up
	// their waits on a fake clock.
	SleepUntil(ctx context.Context, t time.Time) error
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// Real is the wall clock. Its zero value is ready.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Sleep waits on a timer.
func (Real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SleepUntil waits on a timer until t.
func (c Real) SleepUntil(ctx context.Context, t time.Time) error {
	return c.Sleep(ctx, time.Until(t))
}

// After is time.After.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Package fakeclock is a clock for tests on which sleeping takes no real
// time: Sleep moves the clock forward by its duration and returns at once,
// and timers made with After fire as the clock passes them. Time only moves
// forward, so concurrent sleepers see it jump by the longest of their naps:
// a pacer that sleeps before each send still never sends early.
package fakeclock

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Clock is a fake clock. It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
}

type timer struct {
	at time.Time
	c  chan time.Time
}

// New returns a clock that reads start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep moves the clock forward by d and returns, unless ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.Advance(d)
	}
	runtime.Gosched()
	return ctx.Err()
}

// SleepUntil moves the clock forward to t, if it is not there yet, and
// returns, unless ctx is done.
func (c *Clock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d := t.Sub(c.Now()); d > 0 {
		c.advanceTo(t)
	}
	runtime.Gosched()
	return ctx.Err()
}

// After returns a channel that receives the time once the clock has moved
// d forward.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, timer{at: c.now.Add(d), c: ch})
	return ch
}

// Advance moves the clock forward by d and fires the timers it passes.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.moveTo(c.now.Add(d))
}

// advanceTo moves the clock to t unless it is past t already.
func (c *Clock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.moveTo(t)
	}
}

// moveTo sets the clock and fires the timers it passes; the caller holds mu.
func (c *Clock) moveTo(t time.Time) {
	c.now = t
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = kept
}

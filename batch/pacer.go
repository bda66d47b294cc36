package batch

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultWindowSlack widens the pacer's 1-second window so that network
// jitter between client and server cannot push a 201st call into the
// server's second. It costs 0.2 % of the rate.
const DefaultWindowSlack = 2 * time.Millisecond

// maxWindowCalls bounds the window's memory (24 bytes a call). Rates above it
// are far beyond any real ceiling; the limiter alone paces them.
const maxWindowCalls = 100_000

// Pacer spaces the calls of a run. A rate.Limiter with burst 1 sets the
// steady pace; on top of it a sliding window guarantees that no span of one
// second (plus a slack) holds more than the rate's calls, even when
// scheduling delays bunch up calls that the limiter released on time. That is
// what a server counting calls per second sees.
//
// Wait is safe for concurrent use.
type Pacer struct {
	limiter *rate.Limiter
	window  time.Duration
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	mu   sync.Mutex
	ring []time.Time // send times of the last len(ring) calls, oldest at idx
	idx  int
}

// NewPacer returns a Pacer of perSecond calls per second whose window is one
// second plus slack. now and sleep may be nil for the real clock.
func NewPacer(perSecond float64, slack time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	p := &Pacer{limiter: rate.NewLimiter(rate.Limit(perSecond), 1), window: time.Second + slack, now: now, sleep: sleep}
	if n := math.Floor(perSecond); n >= 1 && n <= maxWindowCalls {
		p.ring = make([]time.Time, int(n))
	}
	return p
}

// Wait blocks until the caller may send its call, or ctx is done (it then
// returns an error and the call must not be sent).
func (p *Pacer) Wait(ctx context.Context) error {
	if err := p.limiter.Wait(ctx); err != nil {
		return err
	}
	at, slot := p.reserve(p.now())
	if d := at.Sub(p.now()); d > 0 {
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
	p.commit(slot, at, p.now())
	return nil
}

// reserve books a send time at or after now such that the window never holds
// more than len(ring) calls, and returns it with its slot in the ring.
func (p *Pacer) reserve(now time.Time) (time.Time, int) {
	if len(p.ring) == 0 {
		return now, -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	at := now
	if oldest := p.ring[p.idx]; !oldest.IsZero() {
		if earliest := oldest.Add(p.window); earliest.After(at) {
			at = earliest
		}
	}
	slot := p.idx
	p.ring[slot] = at
	p.idx = (p.idx + 1) % len(p.ring)
	return at, slot
}

// commit records the actual send time of the call booked at slot for at: a
// goroutine woken late sends late, and the window must count it when it is
// sent, not when it was booked.
func (p *Pacer) commit(slot int, at, sent time.Time) {
	if slot < 0 || !sent.After(at) {
		return
	}
	p.mu.Lock()
	if p.ring[slot].Equal(at) {
		p.ring[slot] = sent
	}
	p.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package mockserver

import (
	"context"
	"net/http"
	"time"

	"github.com/msgread/msgread/internal/clock"
)

// wait blocks for d on c, or until ctx is done; it reports whether the
// whole delay passed.
func wait(ctx context.Context, c clock.Clock, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	return c.Sleep(ctx, d) == nil
}

// clockKey is the context key of the server's clock.
type clockKey struct{}

// withClock hands the server's clock to a fault through r's context: a
// Fault's Serve takes only the request, and a fault that waits (a hang) must
// wait on the mock's clock, fake in tests.
func withClock(r *http.Request, c clock.Clock) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clockKey{}, c))
}

// clockOf returns the clock withClock put in r, or the wall clock for a
// request that came another way.
func clockOf(r *http.Request) clock.Clock {
	if c, ok := r.Context().Value(clockKey{}).(clock.Clock); ok {
		return c
	}
	return clock.Real{}
}

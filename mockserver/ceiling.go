package mockserver

import (
	"time"

	"github.com/msgread/msgread/internal/persecond"
)

// ceiling counts calls in fixed 1-second windows, as the service's "200 calls
// per second per SDKAppID" reads, and refuses the calls over the limit.
type ceiling struct {
	limit int // calls per window; 0 or less means no limit
	calls *persecond.Counter
}

func newCeiling(limit int) *ceiling { return &ceiling{limit: limit, calls: persecond.New(1)} }

// allow counts one call at now and reports whether it is within the limit.
// Refused calls count too: the service does not know they will be refused
// until it has counted them, and a client that ignores 60007 stays refused.
func (c *ceiling) allow(now time.Time) bool {
	return c.limit <= 0 || c.calls.Add(now) <= uint64(c.limit)
}

func (c *ceiling) reset() { c.calls.Reset() }

package mockserver

import (
	"sync"
	"time"
)

// ceiling counts calls in fixed 1-second windows, as the service's "200 calls
// per second per SDKAppID" reads, and refuses the calls over the limit.
type ceiling struct {
	limit int // calls per window; 0 or less means no limit

	mu     sync.Mutex
	window int64 // the Unix second being counted
	count  int
}

// allow counts one call at now and reports whether it is within the limit.
// Refused calls count too: the service does not know they will be refused
// until it has counted them, and a client that ignores 60007 stays refused.
func (c *ceiling) allow(now time.Time) bool {
	if c.limit <= 0 {
		return true
	}
	sec := now.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	if sec != c.window {
		c.window, c.count = sec, 0
	}
	c.count++
	return c.count <= c.limit
}

func (c *ceiling) reset() {
	c.mu.Lock()
	c.window, c.count = 0, 0
	c.mu.Unlock()
}

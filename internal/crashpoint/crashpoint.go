// Package crashpoint kills the process at a named point of its life, for
// the crash tests: with MSGREAD_CRASHPOINT=NAME or NAME:N in the
// environment, the Nth call of Hit(NAME) (the first without N) kills the
// process with SIGKILL, as kill -9 would: no deferred call runs, no buffer
// is flushed. NAME:N:hang blocks the goroutine there for ever instead,
// deaf to every cancellation (a stuck call, for the tests of the third
// interrupt). Unset, Hit costs a comparison.
package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// Env names the environment variable read at start.
const Env = "MSGREAD_CRASHPOINT"

var (
	point string
	nth   int64 = 1
	hang  bool
	hits  atomic.Int64
)

func init() {
	v := os.Getenv(Env)
	if rest, ok := strings.CutSuffix(v, ":hang"); ok {
		v, hang = rest, true
	}
	name, n, ok := strings.Cut(v, ":")
	if ok {
		k, err := strconv.ParseInt(n, 10, 64)
		if err != nil || k < 1 {
			return // a bad setting kills nothing
		}
		nth = k
	}
	point = name
}

// Hit kills the process when it is the point named in the environment,
// met for the Nth time. Safe from several goroutines.
func Hit(name string) {
	if point == "" || name != point || hits.Add(1) != nth {
		return
	}
	if hang {
		select {}
	}
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		p.Kill()
	}
	select {} // the signal is on its way: nothing more runs
}

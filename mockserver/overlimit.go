package mockserver

import (
	"sync"
	"time"
)

// overLimit watches one API's calls (accepted or refused, production's
// included) per clock second of the mock's clock, and raises
// Alert.RequestOverLimit for each second in which they passed share of
// the limit or the ceiling refused one: the service alerts at 80 % of the
// limit. A second's alert goes once the second is over, with its calls in
// Request (so at most one a second per API), or at a drain, with the calls
// so far.
type overLimit struct {
	api   string
	share float64
	alert func(api string, request, limit int)

	mu       sync.Mutex
	sec      int64 // the second counted
	calls    int
	limit    int
	refused  bool
	reported bool // the alert of sec went at a drain
}

// see counts a call at now under limit (above 0), ok when the ceiling
// took it. A call that reaches the watch after one of a later second is
// counted in that second.
func (o *overLimit) see(now time.Time, limit int, ok bool) {
	o.mu.Lock()
	var fire bool
	var calls, lim int
	if sec := now.Unix(); sec > o.sec {
		fire, calls, lim = o.owed(), o.calls, o.limit
		o.sec, o.calls, o.refused, o.reported = sec, 0, false, false
	}
	o.calls++
	o.limit = limit
	o.refused = o.refused || !ok
	o.mu.Unlock()
	if fire {
		o.alert(o.api, calls, lim)
	}
}

// owed says the second counted owes an alert; the caller holds mu.
func (o *overLimit) owed() bool {
	return o.calls > 0 && !o.reported && (o.refused || float64(o.calls) > o.share*float64(o.limit))
}

// flush sends the current second's alert now, if it owes one.
func (o *overLimit) flush() {
	o.mu.Lock()
	fire, calls, lim := o.owed(), o.calls, o.limit
	o.reported = o.reported || fire
	o.mu.Unlock()
	if fire {
		o.alert(o.api, calls, lim)
	}
}

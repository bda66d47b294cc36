package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
)

// callbackFlags make the mock call the app's webhooks (the callback
// rehearsal), over a scenario's "callback".
type callbackFlags struct {
	url     string
	queue   optionalInt
	conns   optionalInt
	timeout optionalDuration
}

func (c *callbackFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "callback-url", "", "rehearse the app's callback endpoint at `URL`: the mock POSTs C2C.CallbackAfterMsgReport there for each\n"+
		"mark it makes, and Alert.RequestOverLimit for each second an API passes 80% of its ceiling (only this URL\n"+
		"is called; a scenario's \"callback\" sets it too; a URL beyond this machine is named at start)")
	fs.Var(&c.queue, "callback-queue", "how many `callbacks` may wait to be sent; one that finds the queue full is dropped and counted\n"+
		"(default: the scenario's, else "+strconv.Itoa(mockserver.DefaultCallbackQueue)+")")
	fs.Var(&c.conns, "callback-conns", "callbacks in flight at most, one of these `connections` each (default: the scenario's, else "+
		strconv.Itoa(mockserver.DefaultCallbackConns)+")")
	fs.Var(&c.timeout, "callback-timeout", "cut a callback off after `duration` (default: the scenario's, else "+mockserver.DefaultCallbackTimeout.String()+")")
}

// given says a callback flag was set.
func (c *callbackFlags) given() bool {
	return c.url != "" || c.queue.set || c.conns.set || c.timeout.set
}

// validate checks the flags; the URL's errors never repeat it (it may
// hold a token).
func (c *callbackFlags) validate() error {
	switch {
	case c.queue.set && (c.queue.v < 1 || c.queue.v > mockserver.MaxCallbackQueue):
		return usageError(fmt.Sprintf("--callback-queue %d: want 1 to %d", c.queue.v, mockserver.MaxCallbackQueue))
	case c.conns.set && (c.conns.v < 1 || c.conns.v > mockserver.MaxCallbackConns):
		return usageError(fmt.Sprintf("--callback-conns %d: want 1 to %d", c.conns.v, mockserver.MaxCallbackConns))
	case c.timeout.set && (c.timeout.v <= 0 || c.timeout.v > mockserver.MaxCallbackTimeout):
		return usageError(fmt.Sprintf("--callback-timeout %v: want above 0 and at most %v", c.timeout.v, mockserver.MaxCallbackTimeout))
	}
	if c.url != "" {
		if _, err := mockserver.ParseCallbackURL(c.url); err != nil {
			return usageErrorOf("--callback-url: ", err)
		}
	}
	return nil
}

// apply sets the flags over the scenario's callback in cfg.
func (c *callbackFlags) apply(cfg *mockserver.Config) error {
	if cfg.Callback == nil && c.url == "" {
		if c.given() {
			return usageError("--callback-queue, --callback-conns and --callback-timeout need --callback-url (or a scenario's \"callback\")")
		}
		return nil
	}
	var cb mockserver.Callback
	if cfg.Callback != nil {
		cb = *cfg.Callback // a copy: the scenario may be a built-in's
	}
	if c.url != "" {
		cb.URL = c.url
	}
	if c.queue.set {
		cb.Queue = c.queue.v
	}
	if c.conns.set {
		cb.Conns = c.conns.v
	}
	if c.timeout.set {
		cb.Timeout = mockserver.Duration(c.timeout.v)
	}
	cfg.Callback = &cb
	return nil
}

// callbackNotice names a callback URL beyond this machine, one line on
// w, before the first call: the rehearsal calls someone's endpoint.
func callbackNotice(w io.Writer, name string, cfg mockserver.Config) {
	if cfg.Callback == nil {
		return
	}
	u, err := mockserver.ParseCallbackURL(cfg.Callback.URL)
	if err != nil || mockserver.LoopbackURL(u) {
		return
	}
	fmt.Fprintf(w, "msgread %s: note: callbacks go to %s, beyond this machine: one C2C.CallbackAfterMsgReport for each mark, and the over-limit alerts\n",
		name, mockserver.RedactCallbackURL(u))
}

// describeCallbacks words the callbacks for a banner: "" without any.
func describeCallbacks(cfg mockserver.Config) string {
	if cfg.Callback == nil {
		return ""
	}
	u, err := mockserver.ParseCallbackURL(cfg.Callback.URL)
	if err != nil {
		return ""
	}
	return ", callbacks to " + mockserver.RedactCallbackURL(u)
}

// callbackDrain is how long the end of a run waits for the callbacks still
// queued: a callback in flight ends within its timeout, and a queue behind
// an endpoint that keeps up empties in moments; then the senders stop,
// the callbacks in flight are cut off (failed, "stopped") and those
// still queued are counted as not delivered (pending).
func callbackDrain(cfg mockserver.Config) time.Duration {
	timeout := mockserver.DefaultCallbackTimeout
	if cfg.Callback != nil && cfg.Callback.Timeout > 0 {
		timeout = time.Duration(cfg.Callback.Timeout)
	}
	return 2*timeout + 3*time.Second
}

// callbacks returns the job's hook that delivers the bundled mock's
// callbacks still queued at the end (for a bounded time), stops its
// senders and counts them for the summary: the counts are final, what
// the endpoint got; nil when the target sends none.
func (t *target) callbacks(e *env, name string) func(context.Context) *digest.Callbacks {
	if t.mock == nil || t.mock.Callbacks() == nil {
		return nil
	}
	mock := t.mock
	return func(ctx context.Context) *digest.Callbacks {
		if n := mock.Callbacks().Pending; n > 0 && ctx.Err() == nil {
			fmt.Fprintf(e.stderr, "msgread %s: delivering the %d callbacks still queued (for at most %v)\n", name, n, callbackDrain(mock.Config()))
		}
		ctx, cancel := context.WithTimeout(ctx, callbackDrain(mock.Config()))
		defer cancel()
		mock.StopCallbacks(ctx)
		return digestCallbacks(*mock.Callbacks())
	}
}

// digestCallbacks is the mock's read-out as the summary words it.
func digestCallbacks(st mockserver.CallbackStats) *digest.Callbacks {
	a := st.Alerts
	return &digest.Callbacks{URL: st.URL, Sent: st.Sent, Answered: st.Answered, Failed: st.Failed, FailedBy: st.FailedBy,
		Dropped: st.Dropped, Pending: st.Pending,
		Latency: digest.Latency{P50: st.Latency.P50, P90: st.Latency.P90, P99: st.Latency.P99, Max: st.Latency.Max},
		Alerts:  digest.CallbackAlerts{Sent: a.Sent, Answered: a.Answered, Failed: a.Failed, Dropped: a.Dropped, Pending: a.Pending}}
}

// optionalDuration is a duration flag that remembers whether it was given,
// so that an explicit 0 is refused rather than read as "the default".
type optionalDuration struct {
	v   time.Duration
	set bool
}

// String is empty until the flag is set, as optionalInt's.
func (o *optionalDuration) String() string {
	if !o.set {
		return ""
	}
	return o.v.String()
}

// Get returns the value, a time.Duration, as flag.Getter does.
func (o *optionalDuration) Get() any { return o.v }

func (o *optionalDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	o.v, o.set = v, true
	return nil
}

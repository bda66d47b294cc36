package batch

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// deadlines bounds calls in time. A caller that makes its calls one at a
// time under a context of its own (each of the runner's workers does) gets
// one cancelable child of that context and one timer, reused from call to
// call. context.WithTimeout would make, each call, a context, a timer, a
// done channel, and a registry for net/http's own child context, and
// register and unregister it with the parent: measured on loopback against
// the mock, a tenth of the client's CPU. A caller whose context is in use
// by another call at the time, or that is not a pointer (as
// context.Background is not), gets context.WithTimeout.
type deadlines struct {
	m sync.Map // context.Context (the parent) -> *deadline
}

// deadline is one parent's reusable child context and timer.
type deadline struct {
	busy atomic.Bool // a call is under it

	// Owned by the call that set busy.
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	stale  bool // the timer fired (or was firing): ctx is or will be cancelled
}

// bound returns a context for one call under parent that ends after d (its
// cause then context.DeadlineExceeded, as context.WithTimeout's), and the
// function that ends the call.
func (ds *deadlines) bound(parent context.Context, d time.Duration) (context.Context, func()) {
	if reflect.TypeOf(parent).Kind() != reflect.Pointer {
		// Not a key to keep (a value type may not even be comparable):
		// context.Background, say, shared by any number of callers.
		return context.WithTimeout(parent, d)
	}
	v, ok := ds.m.Load(parent)
	if !ok {
		nd := &deadline{}
		if v, ok = ds.m.LoadOrStore(parent, nd); !ok && parent.Done() != nil {
			// Forget the parent once it is done, with its context and timer.
			context.AfterFunc(parent, func() {
				ds.m.Delete(parent)
				if nd.busy.CompareAndSwap(false, true) && nd.timer != nil {
					nd.timer.Stop()
				}
			})
		}
	}
	dl := v.(*deadline)
	if !dl.busy.CompareAndSwap(false, true) {
		return context.WithTimeout(parent, d)
	}
	if dl.ctx == nil || dl.stale || dl.ctx.Err() != nil {
		if dl.cancel != nil {
			dl.cancel(nil) // a stale one: let its parent forget it
		}
		ctx, cancel := context.WithCancelCause(parent)
		dl.ctx, dl.cancel, dl.stale = ctx, cancel, false
		dl.timer = time.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	} else {
		dl.timer.Reset(d)
	}
	return dl.ctx, dl.release
}

// release ends a call: the timer stops, and the context serves the next.
func (dl *deadline) release() {
	if !dl.timer.Stop() {
		dl.stale = true
	}
	dl.busy.Store(false)
}

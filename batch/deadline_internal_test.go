package batch

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// One caller's calls reuse one context while none runs out of time; one
// that does leaves the next a fresh context with its full time; and the
// parent is forgotten once it is done.
func TestDeadlinesReuseOneContextACaller(t *testing.T) {
	var ds deadlines
	parent, cancel := context.WithCancel(context.Background())
	first, release := ds.bound(parent, time.Hour)
	release()
	for range 100 {
		ctx, release := ds.bound(parent, time.Hour)
		if ctx != first || ctx.Err() != nil {
			t.Fatal("a call that did not run out of time did not leave its context to the next")
		}
		release()
	}
	for i := range 50 {
		short, release := ds.bound(parent, time.Microsecond)
		<-short.Done()
		if !errors.Is(context.Cause(short), context.DeadlineExceeded) {
			t.Fatalf("cause %v, want context.DeadlineExceeded", context.Cause(short))
		}
		release()
		next, release := ds.bound(parent, time.Hour)
		for range 10 {
			runtime.Gosched()
		}
		if next == short || next.Err() != nil {
			t.Fatalf("round %d: the call after a timeout got a spent context", i)
		}
		release()
	}
	// A second caller under the same parent at the same time gets its own.
	a, releaseA := ds.bound(parent, time.Hour)
	b, releaseB := ds.bound(parent, time.Hour)
	if a == b {
		t.Fatal("two calls at once share a context")
	}
	releaseB()
	releaseA()

	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, kept := ds.m.Load(context.Context(parent)); !kept {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a parent that is done is still kept")
		}
		runtime.Gosched()
	}
	if ctx, release := ds.bound(parent, time.Hour); ctx.Err() == nil {
		t.Fatal("a call under a parent that is done was not cancelled")
	} else {
		release()
	}
}

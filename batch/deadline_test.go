package batch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// slowFirst answers its first n requests only when the client gives up,
// and every later one at once.
func slowFirst(t *testing.T, n int) *httptest.Server {
	srv, _ := slowWhen(t, func(i int) bool { return i <= n })
	return srv
}

// slowWhen answers the i-th request (from 1) for which slow(i) holds only
// when the client gives up, and every other one at once; arrived receives
// when a slow one came.
func slowWhen(t *testing.T, slow func(i int) bool) (srv *httptest.Server, arrived <-chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	came := make(chan struct{}, 64)
	var mu sync.Mutex
	seen := 0 // requests so far
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen++
		i := seen
		mu.Unlock()
		if slow(i) {
			came <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv, came
}

// A caller's calls under one context of its own share a timer: each is
// still bounded, and one that ran out of time leaves the next its full
// time.
func TestClientTimeoutUnderACallersOwnContext(t *testing.T) {
	srv := slowFirst(t, 2)
	c := plainClient(t, srv.URL, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 2 {
		res := c.MarkRead(ctx, pairAB)
		if res.Class != chatapi.ClassRetry || res.Err == nil || !strings.Contains(res.Err.Error(), "timed out") ||
			!strings.Contains(res.Unreachable, "before the timeout") {
			t.Fatalf("call %d: %+v, want a retryable timeout", i+1, res)
		}
		if res.Latency > 5*time.Second {
			t.Fatalf("call %d took %v: not bounded", i+1, res.Latency)
		}
	}
	for i := range 20 {
		if res := c.MarkRead(ctx, pairAB); res.Class != chatapi.ClassOK {
			t.Fatalf("call %d after the timeouts: %+v", i+3, res)
		}
	}
}

// Cancelling the caller's context stops its call in flight (the runner's
// Abort), and the next call under it fails at once.
func TestClientCancelStopsACallInFlight(t *testing.T) {
	srv, arrived := slowWhen(t, func(i int) bool { return i == 2 })
	c := plainClient(t, srv.URL, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	if res := c.MarkRead(ctx, pairAB); res.Class != chatapi.ClassOK { // the timer exists
		t.Fatal("first call:", res.Describe())
	}
	go func() {
		<-arrived
		cancel()
	}()
	res := c.MarkRead(ctx, pairAB)
	if !errors.Is(res.Err, context.Canceled) || res.Unreachable != "cancelled" {
		t.Fatalf("%+v, want cancelled", res)
	}
	if res := c.MarkRead(ctx, pairAB); !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("after cancel: %+v", res)
	}
}

// Concurrent calls under one context each get their own bound.
func TestClientConcurrentCallsUnderOneContext(t *testing.T) {
	srv := slowFirst(t, 0)
	c := plainClient(t, srv.URL, 5*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if res := c.MarkRead(ctx, pairAB); res.Class != chatapi.ClassOK {
					t.Errorf("%+v", res)
					return
				}
			}
		})
	}
	wg.Wait()
}

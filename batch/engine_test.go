package batch_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
)

// group is a work item that is no row: one account's peers, as the
// unread-count API takes them, ten a call.
type group struct {
	line    int
	account string
	peers   []string
}

// groupFeed hands out its groups in order.
type groupFeed struct {
	groups []group
	next   int
}

func (f *groupFeed) Next(context.Context) (group, error) {
	if f.next == len(f.groups) {
		return group{}, io.EOF
	}
	f.next++
	return f.groups[f.next-1], nil
}

func (f *groupFeed) Counts() (lines, rows, blank int, ended bool) {
	return f.next + 1, f.next, 0, f.next == len(f.groups)
}

// groupSink keeps what finished, and is told of each first call.
type groupSink struct {
	mu    sync.Mutex
	done  map[string]batch.Outcome
	first []string
}

func (s *groupSink) Write(g group, o batch.Outcome) error {
	s.done[g.account] = o
	return nil
}
func (s *groupSink) Flush() error { return nil }
func (s *groupSink) Sending(g group) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.first = append(s.first, g.account)
	return g.account == "resent", nil
}

// TestEngineDrivesAnyCall: the engine paces, retries and meters a work
// item that is not a row, through its Work: the caller's answers by class
// (a transient one retried, a per-item one final), an item settled with no
// call, the first-send hook; the Summary counts items, calls and codes.
func TestEngineDrivesAnyCall(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	work := batch.Work[group]{
		Call: func(_ context.Context, g group) batch.Result {
			mu.Lock()
			defer mu.Unlock()
			calls[g.account]++
			switch {
			case g.account == "flaky" && calls[g.account] == 1:
				return batch.Result{Code: 70500, Class: chatapi.ClassRetry, HTTPStatus: 200}
			case g.account == "refused":
				return batch.Result{Code: 70107, Class: chatapi.ClassPerRow, HTTPStatus: 200}
			}
			return batch.Result{HTTPStatus: 200, Class: chatapi.ClassOK}
		},
		Settled: func(g group) (batch.Outcome, bool) {
			return batch.Outcome{Status: reports.StatusInvalid, Info: "no peers"}, len(g.peers) == 0
		},
		Line: func(g group) int { return g.line },
	}
	cfg := batch.Config{Profile: batch.Constant(1000), Workers: 4, Clock: newFakeClock(), BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}
	e, err := batch.NewEngine(cfg, work)
	if err != nil {
		t.Fatal(err)
	}
	feed := &groupFeed{groups: []group{
		{2, "ok", []string{"a", "b"}}, {3, "flaky", []string{"c"}}, {4, "refused", []string{"d"}}, {5, "empty", nil}, {6, "resent", []string{"e"}},
	}}
	sink := &groupSink{done: map[string]batch.Outcome{}}
	sum, err := e.Run(context.Background(), feed, sink)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]reports.Status{"ok": reports.StatusOK, "flaky": reports.StatusOK, "refused": reports.StatusFailed, "empty": reports.StatusInvalid, "resent": reports.StatusOK}
	for account, st := range want {
		if got := sink.done[account].Status; got != st {
			t.Errorf("%s: %q, want %q", account, got, st)
		}
	}
	if o := sink.done["flaky"]; o.Attempts != 2 {
		t.Errorf("flaky: %d attempts, want 2 (one retry)", o.Attempts)
	}
	if calls["empty"] != 0 || len(sink.first) != 4 {
		t.Errorf("the settled item was called %d times; %d first sends, want 4", calls["empty"], len(sink.first))
	}
	if sum.Rows != 5 || sum.Attempts != 5 || sum.Retries != 1 || sum.Resent != 1 || sum.ByCode["70107"] != 1 || sum.InputRows != 5 {
		t.Errorf("summary: %d items, %d attempts, %d retries, %d re-sent, codes %v, %d read", sum.Rows, sum.Attempts, sum.Retries, sum.Resent, sum.ByCode, sum.InputRows)
	}
}

// TestEngineStopsOnAFatalAnswerNamingTheItem: a fatal answer to the probe
// stops the run after one call, its error naming the item's line.
func TestEngineStopsOnAFatalAnswerNamingTheItem(t *testing.T) {
	called := 0
	e, err := batch.NewEngine(batch.Config{Profile: batch.Constant(1000), Workers: 2, Clock: newFakeClock()}, batch.Work[group]{
		Call: func(context.Context, group) batch.Result {
			called++
			return batch.Result{Code: 70001, Class: chatapi.ClassFatal, HTTPStatus: 200}
		},
		Line: func(g group) int { return g.line },
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Run(context.Background(), &groupFeed{groups: []group{{7, "x", []string{"y"}}, {8, "z", []string{"w"}}}}, &groupSink{done: map[string]batch.Outcome{}})
	var fatal *batch.FatalError
	if !errors.As(err, &fatal) || fatal.Line != 7 || called != 1 {
		t.Errorf("err %v after %d calls; want a fatal error on line 7 after one call", err, called)
	}
}

func TestLoadLength(t *testing.T) {
	steps := batch.Steps{Rates: []float64{1, 2}, Step: time.Second}
	for _, tc := range []struct {
		name     string
		profile  batch.Profile
		duration time.Duration
		bounded  bool
		want     time.Duration
	}{
		{"a duration wins", steps, 5 * time.Second, true, 5 * time.Second},
		{"steps end the test", steps, 0, false, 2 * time.Second},
		{"a constant rate runs the default", batch.Constant(10), 0, false, batch.DefaultLoadDuration},
		{"rows or a file end it", batch.Constant(10), 0, true, 0},
		{"no profile yet: the default", nil, 0, false, batch.DefaultLoadDuration},
	} {
		if got := batch.LoadLength(tc.profile, tc.duration, tc.bounded); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/fakeclock"
	"github.com/msgread/msgread/mockserver"
)

// TestCeilingSecondsAreTheMockClocks drives the mock on a fake clock: the
// ceiling of 2 calls a second counts in that clock's seconds, as do the
// stats, and a mark without MsgReadTime is stamped with that clock. Nothing
// sleeps: the clock is moved by hand between calls.
func TestCeilingSecondsAreTheMockClocks(t *testing.T) {
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := fakeclock.New(start)
	srv := newMock(t, mockserver.Config{Clock: clock, Scenario: mockserver.Scenario{Ceiling: 2}})
	sig := devSig(t)
	calls := []struct {
		name    string
		advance time.Duration // before the call
		want    int
	}{
		{name: "first call of the second", want: chatapi.CodeOK},
		{name: "second call of the second", want: chatapi.CodeOK},
		{name: "third call of the same second is throttled", want: chatapi.CodeRateLimited},
		{name: "the second's last millisecond is still throttled", advance: 999 * time.Millisecond, want: chatapi.CodeRateLimited},
		{name: "the next second takes a call again", advance: time.Millisecond, want: chatapi.CodeOK},
		{name: "and a second one", want: chatapi.CodeOK},
		{name: "but not a third", want: chatapi.CodeRateLimited},
	}
	for i, c := range calls {
		clock.Advance(c.advance)
		body := `{"Report_Account":"a","Peer_Account":"p` + strings.Repeat("x", i) + `"}`
		if code := markRead(t, srv, sig, body); code != c.want {
			t.Fatalf("call %d, %s: code %d, want %d", i+1, c.name, code, c.want)
		}
	}
	st := srv.Stats()
	if n := len(st.PerSecond); n != 2 || st.PerSecond[0].Unix != start.Unix() || st.PerSecond[0].N != 4 || st.PerSecond[1].N != 3 {
		t.Errorf("per second %+v, want 4 calls at %d and 3 in the next second", st.PerSecond, start.Unix())
	}
	for _, m := range srv.Marks() {
		if m.ReadTime != start.Unix() && m.ReadTime != start.Unix()+1 {
			t.Errorf("mark %+v: read time is not the fake clock's (%d or %d)", m, start.Unix(), start.Unix()+1)
		}
	}
}

// TestWaitsAreOnTheMockClock checks that an hour of latency, or a hang of
// up to an hour, takes an hour of the mock's fake clock and no real time.
// The client's timeout turns a wait on the wall clock into a failure.
func TestWaitsAreOnTheMockClock(t *testing.T) {
	const hour = mockserver.Duration(time.Hour)
	tests := []struct {
		name     string
		scenario mockserver.Scenario
		answered bool
	}{
		{name: "latency", scenario: mockserver.Scenario{Latency: mockserver.Latency{Kind: mockserver.LatencyFixed, Fixed: hour}}, answered: true},
		{name: "hang", scenario: mockserver.Scenario{Faults: []mockserver.FaultSpec{{Fault: &mockserver.HangFault{Max: hour}, Probability: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			clock := fakeclock.New(start)
			srv := newMock(t, mockserver.Config{Clock: clock, Scenario: tt.scenario})
			if err := srv.Start(""); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			client := &http.Client{Timeout: 10 * time.Second}
			resp, err := client.Post(srv.URL()+chatapi.Path+"?"+apiQuery(devSig(t)), "application/json",
				strings.NewReader(`{"Report_Account":"a","Peer_Account":"b"}`))
			if err == nil {
				resp.Body.Close()
			}
			if answered := err == nil && resp.StatusCode == http.StatusOK; answered != tt.answered {
				t.Fatalf("answered %v (err %v), want %v", answered, err, tt.answered)
			}
			if moved := clock.Now().Sub(start); moved != time.Hour {
				t.Errorf("the mock's clock moved %v, want the hour it waited", moved)
			}
		})
	}
}

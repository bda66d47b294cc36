package mockserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/internal/fakeclock"
	"github.com/msgread/msgread/mockserver"
)

// TestProductionTrafficSharesTheCeiling: 100 production calls a second,
// evenly, under a ceiling of 150: when 100 real calls come first in a
// second, the production calls after them take the 50 left and 49 are
// refused, and /mock/stats counts them (no HTTP for production calls).
func TestProductionTrafficSharesTheCeiling(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := fakeclock.New(t0)
	srv := newMock(t, mockserver.Config{Clock: clock, Scenario: mockserver.Scenario{Ceiling: 150,
		Production: &mockserver.Production{Rate: "100", Arrivals: "even"}}})
	sig := devSig(t)
	clock.Advance(time.Millisecond)
	for range 100 {
		if code := markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"b"}`); code != 0 {
			t.Fatalf("a real call within the ceiling answered %d", code)
		}
	}
	clock.Advance(998 * time.Millisecond)
	if code := markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"b"}`); code != 60007 {
		t.Errorf("the 200th call of the second answered %d, want 60007", code)
	}
	st := srv.Stats()
	if st.Production == nil || st.Production.Calls != 99 || st.Production.Refused != 49 {
		t.Errorf("production %+v, want 99 calls (10 ms apart), 49 refused", st.Production)
	}
	// The next second: production alone, under the ceiling.
	clock.Advance(time.Second)
	if st := srv.Stats(); st.Production.Calls != 199 || st.Production.Refused != 49 {
		t.Errorf("production %+v a second later, want 199 calls, none more refused", st.Production)
	}
	if _, err := mockserver.DecodeScenario("p.json", []byte(`{"production":{"rate":"0"}}`)); err == nil {
		t.Error("a production rate of 0 was accepted")
	}
	if _, err := mockserver.DecodeScenario("p.json", []byte(`{"production":{"rate":"60:30s,140:30s","arrivals":"poisson"}}`)); err != nil {
		t.Error(err)
	}
}

// TestProductionRateIsBounded: production's rate in steps has the bound
// of a constant one (1 to 100000 calls/s): a step of 10^8 calls a second
// would hold the ceiling's lock for seconds on every real call (a 3 s
// load took 9 s, with 2 rows done). Its errors speak of production's
// rate, not of ceiling_steps.
func TestProductionRateIsBounded(t *testing.T) {
	for _, rate := range []string{"100000000:1s", "100:10s,100001:10s", "0:10s", "100001"} {
		_, err := mockserver.DecodeScenario("p.json", []byte(`{"production":{"rate":"`+rate+`"}}`))
		if err == nil || !strings.Contains(err.Error(), "production") || strings.Contains(err.Error(), "ceiling_steps") ||
			!strings.Contains(err.Error(), "100000") && !strings.Contains(err.Error(), "at least 1") {
			t.Errorf("production rate %q: %v", rate, err)
		}
	}
	if _, err := mockserver.DecodeScenario("p.json", []byte(`{"production":{"rate":"1:1s,100000:10s"}}`)); err != nil {
		t.Errorf("production steps within the bounds: %v", err)
	}
	if _, err := mockserver.DecodeScenario("c.json", []byte(`{"ceiling_steps":"0:1s"}`)); err == nil || !strings.Contains(err.Error(), "ceiling_steps") {
		t.Errorf("ceiling_steps 0:1s: %v", err)
	}
}

// TestProductionCatchUpJudgesTheLatestCalls: after a long idle spell (the
// mock asked nothing for 20 s while production ran at 100000 calls/s),
// production's calls of the last second still fill the ceiling before the
// real call: the catch-up's bound (a million calls judged) skips the
// oldest, not the newest, so the real call is refused as it would be had
// the mock been asked all along.
func TestProductionCatchUpJudgesTheLatestCalls(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	q, err := mockserver.NewQuota(mockserver.QuotaConfig{Limit: 200, Production: &mockserver.Production{Rate: "100000", Arrivals: "even"}, Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	if q.Allow(t0.Add(20*time.Second + 500*time.Millisecond)) {
		t.Error("a real call half a second into a second that production filled was accepted")
	}
	if p := q.Production(t0.Add(20*time.Second + 500*time.Millisecond)); p.Calls != 2_050_000 {
		t.Errorf("production %+v, want 2050000 calls", p)
	}
}

// TestLeftAtWhenProductionTakesItAll: production at 250 calls/s under a
// ceiling of 200 leaves nothing: LeftAt says 0, not 1 (a load then read
// "took 480.0% of the calls the service had left"); no ceiling stays
// negative, and production under the ceiling leaves the difference.
func TestLeftAtWhenProductionTakesItAll(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ceiling int
		rate    string
		want    int
	}{{200, "250", 0}, {200, "200", 0}, {200, "100", 100}, {-1, "250", -1}} {
		srv := newMock(t, mockserver.Config{Clock: fakeclock.New(t0), Scenario: mockserver.Scenario{Ceiling: tc.ceiling,
			Production: &mockserver.Production{Rate: tc.rate}}})
		if got := srv.LeftAt(t0.Add(time.Second)); got != tc.want {
			t.Errorf("ceiling %d, production %s/s: LeftAt %d, want %d", tc.ceiling, tc.rate, got, tc.want)
		}
	}
}

// TestNewQuotaChecksItsLimiter: NewQuota refuses a limiter kind it does
// not know and a burst out of bounds, as a scenario does, rather than
// judging silently as a fixed window.
func TestNewQuotaChecksItsLimiter(t *testing.T) {
	for _, cfg := range []mockserver.QuotaConfig{
		{Kind: "leaky-bucket", Limit: 200},
		{Kind: "Token-Bucket", Limit: 200},
		{Kind: mockserver.CeilingTokenBucket, Limit: 200, Burst: -1},
		{Kind: mockserver.CeilingTokenBucket, Limit: 200, Burst: mockserver.MaxCeilingBurst + 1},
		{Kind: mockserver.CeilingFixedWindow, Limit: 200, Burst: 5},
	} {
		if _, err := mockserver.NewQuota(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	for _, cfg := range []mockserver.QuotaConfig{{Limit: 200}, {Kind: mockserver.CeilingTokenBucket, Limit: 200, Burst: 1}} {
		if _, err := mockserver.NewQuota(cfg); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

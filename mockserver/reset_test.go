package mockserver_test

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/internal/fakeclock"
	"github.com/msgread/msgread/mockserver"
)

// metricValue reads one series of GET /metrics (name with its labels, as
// the exposition writes them).
func metricValue(t *testing.T, srv *mockserver.Server, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("/metrics has no %s", series)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestResetKeepsMetricsMonotonic: POST /mock/reset zeroes /mock/stats and
// says so in its answer (the resets, when the counts start again, and why
// /metrics does not follow); the Prometheus counters of /metrics go on
// from where they were, production's included, and count the reset.
func TestResetKeepsMetricsMonotonic(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := fakeclock.New(t0)
	srv := newMock(t, mockserver.Config{Clock: clock, Scenario: mockserver.Scenario{Ceiling: 1000,
		Production: &mockserver.Production{Rate: "100", Arrivals: "even"}}})
	sig := devSig(t)
	for range 3 {
		markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"b"}`)
	}
	clock.Advance(2 * time.Second)
	ok := `msgread_mock_answers_total{code="0"}`
	answers, production := metricValue(t, srv, ok), metricValue(t, srv, "msgread_mock_production_calls_total")
	if answers != 3 || production < 100 || metricValue(t, srv, "msgread_mock_resets_total") != 0 {
		t.Fatalf("before the reset: %v answers, %v production calls", answers, production)
	}

	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/mock/reset", nil))
	var answer struct {
		Resets        uint64    `json:"resets"`
		CountingSince time.Time `json:"counting_since"`
		Note          string    `json:"note"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || rec.Code != 200 {
		t.Fatalf("reset answered %d %q: %v", rec.Code, rec.Body, err)
	}
	if answer.Resets != 1 || !answer.CountingSince.Equal(t0.Add(2*time.Second)) ||
		!strings.Contains(answer.Note, "/metrics") || !strings.Contains(answer.Note, "never goes down") {
		t.Errorf("reset's answer %+v: want 1 reset, counting since now, and /metrics explained", answer)
	}

	markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"c"}`)
	clock.Advance(time.Second)
	st := srv.Stats()
	if st.Requests != 1 || st.Resets != 1 || !st.CountingSince.Equal(answer.CountingSince) || st.Production.Calls > 100 {
		t.Errorf("/mock/stats after the reset: %d requests, %d resets, since %v, production %+v; want its counts from the reset",
			st.Requests, st.Resets, st.CountingSince, st.Production)
	}
	if got := metricValue(t, srv, ok); got != answers+1 {
		t.Errorf("%s = %v after the reset and one call, want %v: a counter never goes down", ok, got, answers+1)
	}
	if got := metricValue(t, srv, "msgread_mock_production_calls_total"); got < production+float64(st.Production.Calls) {
		t.Errorf("production calls went from %v to %v over the reset: a counter never goes down", production, got)
	}
	if got := metricValue(t, srv, "msgread_mock_resets_total"); got != 1 {
		t.Errorf("msgread_mock_resets_total = %v, want 1", got)
	}
}

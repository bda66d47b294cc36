package batch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// TestClientSeesFaultsAsARealClientWould sends calls through the real client
// to a mock whose every answer is one fault.
func TestClientSeesFaultsAsARealClientWould(t *testing.T) {
	tests := []struct {
		name  string
		fault mockserver.FaultSpec
		check func(t *testing.T, r batch.Result)
	}{
		{"code", mockserver.FaultSpec{Fault: &mockserver.CodeFault{Code: 70500}}, func(t *testing.T, r batch.Result) {
			if r.Code != 70500 || r.Class != chatapi.ClassRetry || r.Info != chatapi.Lookup(70500).Info {
				t.Errorf("%+v, want 70500 retry with its documented text", r)
			}
		}},
		{"502", mockserver.FaultSpec{Fault: &mockserver.HTTPFault{Status: 502}}, func(t *testing.T, r batch.Result) {
			if r.HTTPStatus != 502 || r.Class != chatapi.ClassRetry || r.Code != 0 {
				t.Errorf("%+v, want HTTP 502, retry", r)
			}
		}},
		{"503", mockserver.FaultSpec{Fault: &mockserver.HTTPFault{Status: 503}}, func(t *testing.T, r batch.Result) {
			if r.HTTPStatus != 503 || r.Class != chatapi.ClassRetry {
				t.Errorf("%+v, want HTTP 503, retry", r)
			}
		}},
		{"reset", mockserver.FaultSpec{Fault: &mockserver.ResetFault{}}, func(t *testing.T, r batch.Result) {
			if r.Class != chatapi.ClassRetry || r.HTTPStatus != 0 || !errors.Is(r.Err, syscall.ECONNRESET) {
				t.Errorf("%+v (err %v), want a connection reset, retry", r, r.Err)
			}
		}},
		{"empty", mockserver.FaultSpec{Fault: &mockserver.EmptyFault{}}, func(t *testing.T, r batch.Result) {
			if r.Class != chatapi.ClassRetry || r.HTTPStatus != 0 || !errors.Is(r.Err, io.EOF) {
				t.Errorf("%+v (err %v), want EOF, retry", r, r.Err)
			}
		}},
		{"malformed", mockserver.FaultSpec{Fault: &mockserver.MalformedFault{}}, func(t *testing.T, r batch.Result) {
			if r.Class != chatapi.ClassRetry || r.HTTPStatus != 200 || !errors.Is(r.Err, batch.ErrMalformedResponse) {
				t.Errorf("%+v, want a malformed 200, retry", r)
			}
		}},
		{"hang", mockserver.FaultSpec{Fault: &mockserver.HangFault{Max: mockserver.Duration(5 * time.Second)}}, func(t *testing.T, r batch.Result) {
			if r.Class != chatapi.ClassRetry || !strings.Contains(fmt.Sprint(r.Err), "timed out") || r.Latency > 2*time.Second {
				t.Errorf("%+v (err %v), want the client's own timeout after ~200ms", r, r.Err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.fault
			spec.Probability = 1
			srv := startMock(t, mockserver.Config{Scenario: mockserver.Scenario{Faults: []mockserver.FaultSpec{spec}}})
			signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Key: mockserver.DevKey})
			c, err := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL(), SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Signer: signer, Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c.MarkRead(context.Background(), pairAB))
			st := srv.Stats()
			if st.ByFault[spec.Fault.Kind()] != 1 || len(srv.Marks()) != 0 {
				t.Errorf("stats %+v, marks %v: want one %s fault and no mark", st, srv.Marks(), spec.Fault.Kind())
			}
			start := time.Now()
			srv.Close()
			if d := time.Since(start); d > time.Second {
				t.Errorf("Close took %v: a faulted handler outlived its client", d)
			}
		})
	}
}

// TestSameSeedSameOutcome runs one input twice against fresh mocks with the
// same scenario and seed: every row must end the same way, and the mocks'
// counters must match.
func TestSameSeedSameOutcome(t *testing.T) {
	t.Parallel() // 1.2 s of real latency and backoff: beside the rest of the package
	cfg := mockserver.Config{Seed: 99, Scenario: mockserver.Scenario{
		Ceiling: -1,
		Latency: mockserver.Latency{Kind: "uniform", Min: 0, Max: mockserver.Duration(time.Millisecond)},
		Faults: []mockserver.FaultSpec{
			{Fault: &mockserver.CodeFault{Code: 70500}, Probability: 0.25},
			{Fault: &mockserver.CodeFault{Code: 70107}, Probability: 0.1},
			{Fault: &mockserver.HTTPFault{Status: 502}, Probability: 0.1},
			{Fault: &mockserver.ResetFault{}, Probability: 0.05},
			{Fault: &mockserver.MalformedFault{}, Probability: 0.05},
		},
	}}
	var lines []string
	for i := range 200 {
		lines = append(lines, fmt.Sprintf("user%d,peer%d,%d", i, i%11, 1600000000+i))
	}
	type outcome struct {
		status   reports.Status
		attempts int
		code     int
	}
	runOnce := func() (map[int]outcome, mockserver.Stats) {
		srv := startMock(t, cfg)
		c := newClient(t, srv, clientOpts{})
		// One worker: whether a reset counts against a row's retries depends
		// on whether another call was answered since it was sent (the outage
		// rule), which with many workers is a matter of timing.
		r, _ := batch.New(batch.Config{Caller: c, Profile: batch.Constant(5000), Workers: 1, Retries: 2, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond})
		out := &memOutput{}
		if _, err := r.Run(context.Background(), input(t, lines...), out); err != nil {
			t.Fatal(err)
		}
		got := map[int]outcome{}
		for _, rec := range out.rows {
			got[rec.Line] = outcome{rec.Status, rec.Attempts, rec.ErrorCode}
		}
		st := srv.Stats()
		srv.Close()
		return got, st
	}
	a, sa := runOnce()
	b, sb := runOnce()
	statuses := map[reports.Status]int{}
	for line, oa := range a {
		statuses[oa.status]++
		if b[line] != oa {
			t.Errorf("line %d: %+v in one run, %+v in the other", line, oa, b[line])
		}
	}
	if len(statuses) < 3 {
		t.Errorf("statuses %v: the scenario should produce ok, failed and gave_up rows", statuses)
	}
	if fmt.Sprint(sa.ByCode, sa.ByFault, sa.Requests) != fmt.Sprint(sb.ByCode, sb.ByFault, sb.Requests) {
		t.Errorf("mock stats differ:\n%v %v %d\n%v %v %d", sa.ByCode, sa.ByFault, sa.Requests, sb.ByCode, sb.ByFault, sb.Requests)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	srv := startMock(t, mockserver.Config{Scenario: mockserver.Scenario{Faults: []mockserver.FaultSpec{{Fault: &mockserver.CodeFault{Code: 70500}, Probability: 1}}}})
	c := newClient(t, srv, clientOpts{})
	c.MarkRead(context.Background(), pairAB)
	resp, err := http.Get(srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`msgread_mock_answers_total{code="70500"} 1`, `msgread_mock_faults_total{kind="code"} 1`, "msgread_mock_injected_latency_seconds_count 1", "msgread_mock_marked_pairs 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

package digest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestDocumentGolden keeps the summary JSON's contract: a change of shape
// shows as a diff of testdata/summary.golden.json (go test -update rewrites
// it; a removed or renamed field needs a new SchemaVersion).
func TestDocumentGolden(t *testing.T) {
	s := digest.NewSummary()
	s.ByStatus[reports.StatusOK], s.ByStatus[reports.StatusFailed], s.ByStatus[reports.StatusGaveUp], s.ByStatus[reports.StatusInvalid] = 2990, 2, 1, 6
	s.ByCode = map[string]int{"0": 2990, "70107": 2, "90995": 1}
	s.Rows, s.InputRows, s.Reported, s.NotFinished, s.BlankLines = 2999, 3000, 2999, 1, 2
	s.Attempts, s.Retries, s.SentNotFinished = 3003, 9, 1
	s.AttemptCodes = map[string]int{"0": 2990, "70107": 2, "90995": 6, "network": 5}
	s.UnknownCodes = map[string]string{"71234": "a new code"}
	s.Wall, s.TargetRate, s.Rate, s.RateRatio, s.Profile, s.PeakWindow = 15*time.Second, 200, 199.5, 0.9975, "200/s", 200
	s.Latency = digest.Latency{P50: 40.1, P90: 80.2, P99: 390.3, Max: 1200.4}
	s.LatencyIntended = digest.Latency{P50: 41.1, P90: 81.2, P99: 391.3, Max: 1201.4}
	s.Late, s.Throttles, s.LowestRate, s.Outages, s.OutageSeconds, s.Resent = 3, 1, 100, 1, 4.5, 7
	s.Callbacks = &digest.Callbacks{URL: "http://127.0.0.1:9000/im?…", Sent: 2990, Answered: 2985, Failed: 3, FailedBy: map[string]uint64{"timeout": 2, "http 503": 1},
		Dropped: 0, Pending: 2, Latency: digest.Latency{P50: 1.2, P90: 2.5, P99: 8.1, Max: 2000.3},
		Alerts: digest.CallbackAlerts{Sent: 15, Answered: 15}}
	p99, rate := 2*time.Second, 0.97
	s.Thresholds = digest.Thresholds{MaxP99: &p99, P99FromIntended: true, MinRate: &rate}.Check(s)
	start := time.Date(2026, 12, 3, 5, 0, 0, 0, time.FixedZone("CST", 8*3600))
	doc := digest.NewDocument(s, digest.RunInfo{Version: "v1.2.3", Command: "load", StartedAt: start, FinishedAt: start.Add(15 * time.Second),
		ExitCode: 3, Stop: &digest.Stop{Code: "interrupted", Message: "interrupted"}, TotalRows: 5000,
		ServerCeiling: 100, Projection: &digest.Projection{Rows: 10_000_000, Hours: 13.9}, Mock: &digest.MockInfo{Scenario: "flaky", Seed: 7}})
	var b bytes.Buffer
	if err := doc.Write(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "summary.golden.json")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("the summary JSON changed shape (go test ./reports -run Golden -update rewrites the golden file):\n%s", b.String())
	}

	// The counts add up as the README promises.
	var got digest.Document
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.InputRows != got.Reported+got.CarriedOver+got.NotFinished {
		t.Errorf("input_rows %d != reported + carried_over + not_finished", got.InputRows)
	}
	if c := got.Calls; c.Attempts != c.RowsSent+c.Retries || c.RowsSent != got.Rows["ok"]+got.Rows["failed"]+got.Rows["gave_up"]+c.SentNotFinished {
		t.Errorf("calls do not add up: %+v, rows %v", c, got.Rows)
	}
	if got.Remaining == nil || *got.Remaining != 5000-3000+1 {
		t.Errorf("remaining %v, want the 2000 unread rows and the 1 not finished", got.Remaining)
	}
}

// TestRemainingLeavesOutDoneLinesNotYetRead: a resumed run interrupted
// while it was still passing over the done lines has nothing remaining
// among them: its report holds them all already.
func TestRemainingLeavesOutDoneLinesNotYetRead(t *testing.T) {
	s := digest.NewSummary()
	s.InputRows, s.CarriedOver = 21756, 21756
	d := digest.NewDocument(s, digest.RunInfo{Command: "run", TotalRows: 220000, DoneAhead: 220000 - 21756})
	if d.Remaining == nil || *d.Remaining != 0 {
		t.Errorf("remaining %v, want 0", d.Remaining)
	}
}

func TestSummaryText(t *testing.T) {
	s := digest.NewSummary()
	s.Add(reports.Record{Status: reports.StatusOK, HasCode: true})
	s.Add(reports.Record{Status: reports.StatusFailed, HasCode: true, ErrorCode: 90003})
	s.Attempts, s.TargetRate, s.Rate, s.RateRatio, s.Wall = 2, 200, 199, 0.995, 10*time.Second
	var b bytes.Buffer
	s.WriteText(&b)
	if strings.Contains(b.String(), "callbacks") {
		t.Errorf("a run without callbacks words them:\n%s", b.String())
	}
	s.Callbacks = &digest.Callbacks{URL: "http://127.0.0.1:9000/im", Sent: 1, Answered: 0, Failed: 1, FailedBy: map[string]uint64{"timeout": 1},
		Dropped: 4, Alerts: digest.CallbackAlerts{Sent: 2, Answered: 2}}
	b.Reset()
	s.WriteText(&b)
	for _, want := range []string{"2 rows", "ok 1", "failed 1", "90003×1", "199.0 calls/s", "99.5%",
		"callbacks to http://127.0.0.1:9000/im: 1 C2C.CallbackAfterMsgReport sent, 0 answered 2xx, 1 failed (timeout 1), 4 dropped (queue full), 0 not delivered by the end\n",
		"over-limit alerts (Alert.RequestOverLimit): 2 sent, 2 answered 2xx"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// TestSummaryTextSlowTarget: a target under 1 call/s (--rate 0.5) reads as
// it was asked, not "a target of 0/s" beside a ratio of 100 %.
func TestSummaryTextSlowTarget(t *testing.T) {
	for target, want := range map[float64]string{0.5: "against a target of 0.5/s", 0.25: "against a target of 0.25/s",
		1.5: "against a target of 1.5/s", 200: "against a target of 200/s", 133.33333333: "against a target of 133/s"} {
		s := digest.NewSummary()
		s.Attempts, s.TargetRate, s.Rate, s.RateRatio, s.Wall = 3, target, target, 1, 6*time.Second
		var b bytes.Buffer
		s.WriteText(&b)
		if !strings.Contains(b.String(), want) {
			t.Errorf("target %v: summary lacks %q:\n%s", target, want, b.String())
		}
	}
}

// TestSummaryTextUnknownTarget: a summary rebuilt from reports without a
// timeline (every run killed in its first second, or its timelines gone)
// knows its calls but not the target, the peak or the throttled share: it
// says so, in the text, the headline and the HTML, not "a target of 0/s
// (0.0%), peak 0" and "throttled: no calls".
func TestSummaryTextUnknownTarget(t *testing.T) {
	s := digest.NewSummary()
	s.Rows, s.ByStatus[reports.StatusOK] = 49, 49
	s.Attempts, s.Rate, s.Wall = 49, 103.6, 473*time.Millisecond
	page := digest.Page{Command: "report", Scenario: "the targets of 1 run(s)", Summary: s}
	var text, html bytes.Buffer
	s.WriteText(&text)
	digest.WriteHeadline(&text, digest.NewHeadline(page))
	if err := digest.WriteHTML(&html, page); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "HTML": html.String()} {
		for _, bad := range []string{"target of 0/s", "of 0.0;", "peak 0 in one second", "no calls"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s says %q:\n%s", name, bad, out)
			}
		}
		if !strings.Contains(out, "target rate is not known") || !strings.Contains(out, "not known (no second of a timeline") {
			t.Errorf("%s does not say the target and the throttled share are not known:\n%.3000s", name, out)
		}
	}
}

// TestHeadlineSaysWhyTheRunStopped: a run stopped early (a fatal answer
// at its first call) has most of its rows not finished; its headline, in
// the text and the HTML, says why, once, marked.
func TestHeadlineSaysWhyTheRunStopped(t *testing.T) {
	s := digest.NewSummary()
	s.Rows, s.ByStatus[reports.StatusFailed], s.NotFinished = 1, 1, 255
	s.Attempts, s.TargetRate, s.Wall = 1, 200, 50*time.Millisecond
	s.Stopped = "stopped: the API answered 70009 (UserSig verification failed) on line 2"
	page := digest.Page{Command: "run", Scenario: "broken-auth", Summary: s}
	items := digest.NewHeadline(page)
	var stopped *digest.HeadlineItem
	for i := range items {
		if items[i].Label == "stopped" {
			stopped = &items[i]
		}
	}
	if stopped == nil || !stopped.Bad || stopped.Text != "the API answered 70009 (UserSig verification failed) on line 2" {
		t.Fatalf("headline %+v: want a marked stopped line saying why", items)
	}
	var html bytes.Buffer
	if err := digest.WriteHTML(&html, page); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "the API answered 70009") {
		t.Errorf("the HTML does not say why the run stopped")
	}
}

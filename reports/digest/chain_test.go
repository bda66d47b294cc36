package digest_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/msgread/msgread/reports/digest"
)

// secondsFrom makes n seconds of a run starting at unix, each sending sent.
func secondsFrom(unix int64, n, sent int) []digest.Second {
	out := make([]digest.Second, n)
	for i := range out {
		out[i] = digest.Second{At: i, Unix: unix + int64(i), Intended: 10, Rate: 10, Sent: sent, OK: sent, P99: float64(sent)}
	}
	return out
}

// TestMergeTimelinesLaysRunsOnOneClock: runs one after the other keep
// every second, with the seconds between them as gaps; runs side by side
// (shards) sum their seconds; a long gap is drawn MaxGapSeconds long.
func TestMergeTimelinesLaysRunsOnOneClock(t *testing.T) {
	t.Run("a chain with a gap", func(t *testing.T) {
		spans := make([]digest.RunSpan, 2)
		tl := digest.MergeTimelines([][]digest.Second{secondsFrom(1000, 5, 3), secondsFrom(1010, 4, 2)}, spans)
		if len(tl) != 14 {
			t.Fatalf("%d seconds, want 5 + 5 of gap + 4", len(tl))
		}
		sent, gaps := 0, 0
		for i, s := range tl {
			sent += s.Sent
			if s.Gap {
				gaps++
			}
			if s.At != i || s.Unix != 1000+int64(i) {
				t.Errorf("second %d: at %d, unix %d", i, s.At, s.Unix)
			}
		}
		if sent != 5*3+4*2 || gaps != 5 {
			t.Errorf("%d calls and %d gap seconds, want 23 and 5", sent, gaps)
		}
		if spans[0].From != 0 || spans[0].To != 5 || spans[1].From != 10 || spans[1].To != 14 || spans[1].Seconds != 4 {
			t.Errorf("spans %+v", spans)
		}
	})
	t.Run("shards side by side", func(t *testing.T) {
		spans := make([]digest.RunSpan, 2)
		tl := digest.MergeTimelines([][]digest.Second{secondsFrom(1000, 4, 3), secondsFrom(1002, 4, 5)}, spans)
		if len(tl) != 6 {
			t.Fatalf("%d seconds, want 6 (two overlap)", len(tl))
		}
		if s := tl[2]; s.Sent != 8 || s.Intended != 20 || s.P99 != 5 || s.Gap {
			t.Errorf("a shared second: %+v, want the sums and the worst p99", s)
		}
	})
	t.Run("a long gap", func(t *testing.T) {
		spans := make([]digest.RunSpan, 2)
		tl := digest.MergeTimelines([][]digest.Second{secondsFrom(0, 2, 1), secondsFrom(10*86400, 2, 1)}, spans)
		if len(tl) != 4+digest.MaxGapSeconds {
			t.Errorf("%d seconds, want 4 + %d", len(tl), digest.MaxGapSeconds)
		}
		if got := tl[len(tl)-1].Unix; got != 10*86400+1 {
			t.Errorf("the last second's clock %d, want its own", got)
		}
	})
	t.Run("a run with no seconds", func(t *testing.T) {
		spans := []digest.RunSpan{{Missing: "timeline gone"}, {}}
		tl := digest.MergeTimelines([][]digest.Second{nil, secondsFrom(50, 3, 1)}, spans)
		if len(tl) != 3 || spans[0].Seconds != 0 || spans[1].From != 0 || spans[1].Seconds != 3 {
			t.Errorf("%d seconds, spans %+v", len(tl), spans)
		}
	})
}

// TestTimelineReadsBackWhatWasWritten: a timeline written second by second
// reads back whole; a torn last line (a kill) is left out; a file that is
// not a timeline is refused naming its line.
func TestTimelineReadsBackWhatWasWritten(t *testing.T) {
	var b bytes.Buffer
	w := digest.NewTimelineWriter(&b)
	want := secondsFrom(1700000000, 3, 7)
	want[1].P50, want[1].P90, want[1].Max, want[1].Late, want[1].Throttled = 1.5, 2.5, 9.5, 1, 2
	for _, s := range want {
		if err := w.Write([]digest.Second{s}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := digest.ReadTimeline(strings.NewReader(b.String() + "3,1700000003,10.0,1")) // torn
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d seconds, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("second %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if got, err := digest.ReadTimeline(strings.NewReader("")); err != nil || len(got) != 0 {
		t.Errorf("an empty file: %v, %v; want no seconds", got, err)
	}
	header := strings.Join(digest.TimelineHeader, ",") + "\n"
	for name, text := range map[string]string{
		"a report":       "line,report_account,peer_account\n",
		"a short row":    header + "0,1700000000,1\n",
		"not a number":   header + "0,1700000000,x,1,1,1,0,0,0,0,0,1,1,1,1\n",
		"not finite":     header + "0,1700000000,NaN,1,1,1,0,0,0,0,0,1,1,1,1\n",
		"negative count": header + "0,1700000000,1,1,-1,1,0,0,0,0,0,1,1,1,1\n",
		"a huge line":    header + strings.Repeat("9", 10000) + "\n",
		"seconds back in time": header + "0,1700000000,1,1,1,1,0,0,0,0,0,1,1,1,1\n1,1700000001,1,1,1,1,0,0,0,0,0,1,1,1,1\n" +
			"2,-100,1,1,1,1,0,0,0,0,0,1,1,1,1\n",
		"a second twice": header + "0,1700000000,1,1,1,1,0,0,0,0,0,1,1,1,1\n0,1700000000,1,1,1,1,0,0,0,0,0,1,1,1,1\n",
	} {
		if _, err := digest.ReadTimeline(strings.NewReader(text)); !errors.Is(err, digest.ErrNotTimeline) {
			t.Errorf("%s: %v, want ErrNotTimeline", name, err)
		}
	}
}

// TestHTMLOfAChainShowsItsGaps: a chain's page lists its runs (a missing
// timeline said so), breaks each line where no run ran, shades that gap
// with its real length, and marks where the second run starts; a run's own
// page has none of it.
func TestHTMLOfAChainShowsItsGaps(t *testing.T) {
	spans := []digest.RunSpan{{Report: "r1.csv", Timeline: "r1.timeline.csv"}, {Report: "r2.csv", Timeline: "r2.timeline.csv"}, {Report: "r3.csv", Missing: "timeline r3.timeline.csv is not there"}}
	tl := digest.MergeTimelines([][]digest.Second{secondsFrom(1000, 5, 3), secondsFrom(1000+3600*9, 4, 2), nil}, spans)
	page := func(runs []digest.RunSpan, tl []digest.Second) string {
		var b bytes.Buffer
		if err := digest.WriteHTML(&b, digest.Page{Title: "t", Summary: digest.NewSummary(), Timeline: tl, Runs: runs}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	html := page(spans, tl)
	pieces := strings.Count(html, "<title>calls sent per second</title></polyline>")
	for _, want := range []string{"<h2>Runs</h2>", "r1.timeline.csv", "timeline r3.timeline.csv is not there: its seconds are not on the charts",
		`class="gap"`, "no run: 8h59m55s between runs", "run 2 starts: r2.csv"} {
		if !strings.Contains(html, want) {
			t.Errorf("the chain's page lacks %q", want)
		}
	}
	if pieces != 2 {
		t.Errorf("the sent line is drawn in %d pieces, want 2 (one a run)", pieces)
	}
	own := page(nil, secondsFrom(1000, 5, 3))
	if strings.Contains(own, "<h2>Runs</h2>") || strings.Contains(own, `class="gap"`) || strings.Count(own, "<title>calls sent per second</title></polyline>") != 1 {
		t.Errorf("a run's own page shows a chain's runs or gaps")
	}
}

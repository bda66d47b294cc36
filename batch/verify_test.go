package batch_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// TestVerifyFindsExactlyTheIgnoredRows: a run against a mock that
// silently ignores some marks ends all ok; verify reads every row back and
// finds unread exactly the pairs the mock did not mark, in calls of at
// most ten peers of one account.
func TestVerifyFindsExactlyTheIgnoredRows(t *testing.T) {
	sc, err := mockserver.DecodeScenario("silent.json", []byte(`{"name":"silent","ceiling":-1,
		"faults":[{"kind":"ignore","probability":0.1}],
		"history":{"messages":3,"days":30,"until":"2025-01-01T00:00:00Z"}}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := mockserver.Config{Seed: 3}
	sc.Apply(&cfg)
	srv := startMock(t, cfg)
	client := newClient(t, srv, clientOpts{})
	var lines []string
	for i := range 300 {
		lines = append(lines, fmt.Sprintf("user%d,peer%d,%d", i%40, i, 1750000000+i)) // 40 accounts, after the history
	}
	r, _ := batch.New(batch.Config{Caller: client, Profile: batch.Constant(5000), Workers: 8})
	var report bytes.Buffer
	w, _ := reports.NewWriter(&report, true)
	out := &writerOutput{w: w}
	if _, err := r.Run(context.Background(), input(t, lines...), out); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	marked := map[string]bool{}
	for _, m := range srv.Marks() {
		marked[m.ReportAccount+","+m.PeerAccount] = true
	}
	if len(marked) == 300 || len(marked) < 200 {
		t.Fatalf("%d of 300 pairs marked: the ignore fault should leave some out", len(marked))
	}
	rows, st, err := batch.SampleReport(bytes.NewReader(report.Bytes()), batch.Sample{All: true}, 1)
	if err != nil || len(rows) != 300 || st.Done != 300 {
		t.Fatalf("sample: %d rows, %+v, %v", len(rows), st, err)
	}
	var verifyReport bytes.Buffer
	sum, err := batch.Verify(context.Background(), batch.VerifyConfig{Runner: batch.Config{Profile: batch.Constant(5000), Workers: 4},
		Counter: client, Rows: rows, Out: &verifyReport})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		want := batch.VerdictRead
		if !marked[row.ReportAccount+","+row.PeerAccount] {
			want = batch.VerdictUnread
		}
		if row.Verdict != want {
			t.Errorf("line %d (%s → %s): %s, want %s", row.Line, row.ReportAccount, row.PeerAccount, row.Verdict, want)
		}
	}
	if sum.Read != len(marked) || sum.Unread != 300-len(marked) || sum.Errors != 0 {
		t.Errorf("summary %v; want %d read, %d unread", sum, len(marked), 300-len(marked))
	}
	// 40 accounts of 7 or 8 rows each: one call each, none over ten peers.
	if calls := sum.Calls.Attempts; calls != 40 {
		t.Errorf("%d calls for 40 accounts of at most 8 peers each, want 40", calls)
	}
	if got := strings.Count(verifyReport.String(), "\n"); got != 301 {
		t.Errorf("verify report: %d lines, want a header and 300 rows", got)
	}
}

// writerOutput is an Output onto a reports.Writer.
type writerOutput struct{ w *reports.Writer }

func (o *writerOutput) Write(r reports.Record) error { return o.w.Write(r) }
func (o *writerOutput) Flush() error                 { return o.w.Flush() }

// TestSampleParsesAndChooses: the sample's forms, the hostile ones refused,
// and a reservoir of N that is N rows, the same for the same seed.
func TestSampleParsesAndChooses(t *testing.T) {
	for _, bad := range []string{"0", "-3", "NaN", "NaN%", "101%", "0%", "abc", "", "1e3"} {
		if _, err := batch.ParseSample(bad); err == nil {
			t.Errorf("ParseSample(%q) accepted", bad)
		}
	}
	for in, want := range map[string]batch.Sample{"1000": {N: 1000}, "5%": {Percent: 5}, "all": {All: true}, "100%": {Percent: 100}} {
		if got, err := batch.ParseSample(in); err != nil || got != want {
			t.Errorf("ParseSample(%q) = %+v, %v", in, got, err)
		}
	}
	var report bytes.Buffer
	w, _ := reports.NewWriter(&report, true)
	for i := range 1000 {
		st := reports.StatusOK
		if i%10 == 0 {
			st = reports.StatusFailed
		}
		w.Write(reports.Record{Line: i + 2, ReportAccount: "a", PeerAccount: fmt.Sprint("p", i), Status: st, FinishedAt: time.Unix(1, 0)})
	}
	w.Flush()
	report.WriteString("5000,torn") // a line still being written
	a, st, err := batch.SampleReport(bytes.NewReader(report.Bytes()), batch.Sample{N: 50}, 7)
	b, _, _ := batch.SampleReport(bytes.NewReader(report.Bytes()), batch.Sample{N: 50}, 7)
	if err != nil || len(a) != 50 || st.Done != 900 || !st.Torn || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("%d rows, %+v, %v; the same seed the same rows: %v", len(a), st, err, fmt.Sprint(a) == fmt.Sprint(b))
	}
	if _, _, err := batch.SampleReport(strings.NewReader("report_account,peer_account\na,b\n"), batch.Sample{All: true}, 1); err == nil {
		t.Error("an input CSV was sampled as a report")
	}
}

package reports_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/internal/memtest"
	"github.com/msgread/msgread/reports"
)

// smallReport writes rows for lines 2..n+1, all ok, with cells that need
// quoting, neutralising and line-break escaping.
func smallReport(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	w, err := reports.NewWriter(&buf, true)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i := range n {
		w.Write(reports.Record{Line: i + 2, ReportAccount: fmt.Sprintf("u%d", i), PeerAccount: fmt.Sprintf("p,\"%d\"", i), MsgReadTime: "=1",
			Status: reports.StatusOK, HasCode: true, ErrorInfo: "said\nmore\r\n", HTTPStatus: 200, Attempts: 1, FinishedAt: at})
	}
	w.Flush()
	return buf.Bytes()
}

// TestTornTailAtEveryOffset cuts a report at every byte and resumes onto
// it: load, append the lines not done, load again. Each line ends in the
// report exactly once, whatever the cut.
func TestTornTailAtEveryOffset(t *testing.T) {
	const n = 6
	full := smallReport(t, n)
	dir := t.TempDir()
	for cut := 0; cut <= len(full); cut++ {
		path := filepath.Join(dir, fmt.Sprintf("r%d.csv", cut))
		os.WriteFile(path, full[:cut], 0o644)
		files, err := reports.Open(reports.Plan{Report: path, Resume: path, NoFailed: true})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		torn := cut > 0 && full[cut-1] != '\n'
		if files.Resume.Torn != torn || !files.Appending {
			t.Fatalf("cut %d: torn %v, appending %v", cut, files.Resume.Torn, files.Appending)
		}
		for line := 2; line <= n+1; line++ {
			skip, err := files.Resume.Skip(line, fmt.Sprintf("u%d", line-2), fmt.Sprintf("p,\"%d\"", line-2), "=1")
			if err != nil {
				t.Fatalf("cut %d: line %d: %v", cut, line, err)
			}
			st := reports.StatusOK
			if skip {
				st = reports.StatusSkipped
			}
			files.Write(reports.Record{Line: line, ReportAccount: fmt.Sprintf("u%d", line-2), Status: st, FinishedAt: time.Now()})
		}
		if err := files.Close(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		if !bytes.HasSuffix(data, []byte("\n")) || bytes.Count(data, []byte("\n")) != n+1 {
			t.Fatalf("cut %d: the report has %d lines, want %d:\n%s", cut, bytes.Count(data, []byte("\n")), n+1, data)
		}
		recs, err := reports.ReadAll(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		seen := map[int]bool{}
		for _, r := range recs {
			if seen[r.Line] || r.Status != reports.StatusOK {
				t.Fatalf("cut %d: line %d again or %s", cut, r.Line, r.Status)
			}
			seen[r.Line] = true
		}
		if len(seen) != n {
			t.Fatalf("cut %d: %d lines, want %d", cut, len(seen), n)
		}
		again, err := reports.LoadResume(bytes.NewReader(data))
		if err != nil || again.Done() != n || again.Torn {
			t.Fatalf("cut %d: reload: %v, %d done, torn %v", cut, err, again.Done(), again.Torn)
		}
	}
}

func TestWriterEscapesLineBreaks(t *testing.T) {
	data := smallReport(t, 3)
	if got := bytes.Count(data, []byte("\n")); got != 4 {
		t.Fatalf("%d lines for a header and 3 rows:\n%s", got, data)
	}
	if !bytes.Contains(data, []byte(`said\nmore\r\n`)) {
		t.Errorf("line breaks not shown as \\n:\n%s", data)
	}
}

func TestResumeLoadRefusesDamage(t *testing.T) {
	head := strings.Join(reports.Header, ",") + "\n"
	row := "2,a,b,,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n"
	for name, text := range map[string]string{
		"not a report":       "report_account,peer_account\na,b\n",
		"a bad middle line":  head + row + "3,a,\"b\n" + row,
		"a bad status":       head + "2,a,b,,done,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
		"line 1":             head + "1,a,b,,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
		"a negative line":    head + "-3,a,b,,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
		"a huge line number": head + "1000000000000000,a,b,,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := reports.LoadResume(strings.NewReader(text)); err == nil {
				t.Fatal("loaded")
			}
		})
	}
	res, err := reports.LoadResume(strings.NewReader("\uFEFF" + head + row))
	if err != nil || res.Done() != 1 {
		t.Fatalf("a BOM: %v", err)
	}
}

func TestResumeSkipChecksEveryDoneLine(t *testing.T) {
	head := strings.Join(reports.Header, ",") + "\n"
	var b strings.Builder
	b.WriteString(head)
	for line := 2; line <= 5000; line++ {
		if line%7 != 0 {
			fmt.Fprintf(&b, "%d,u%d,p%d,,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n", line, line, line)
		}
	}
	res, err := reports.LoadResume(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	// Every done line is compared: a change on any one of them is caught.
	for _, changed := range []int{2, 1500, 3001, 4999} {
		res.Rewind()
		var mm *reports.MismatchError
		for line := 2; line <= 5000; line++ {
			peer := fmt.Sprintf("p%d", line)
			if line == changed {
				peer = "other"
			}
			if _, err := res.Skip(line, fmt.Sprintf("u%d", line), peer, ""); err != nil {
				if !errors.As(err, &mm) || mm.Line != changed {
					t.Fatalf("changed line %d: %v", changed, err)
				}
				break
			}
		}
		if mm == nil {
			t.Errorf("a change on done line %d went unseen", changed)
		}
	}
	// A done line whose read time was edited: skipping it would report a
	// time never sent.
	res.Rewind()
	res.Skip(2, "u2", "p2", "")
	res.Skip(3, "u3", "p3", "")
	var edited *reports.MismatchError
	if _, err := res.Skip(4, "u4", "p4", "1600000000"); !errors.As(err, &edited) || edited.Line != 4 || !strings.Contains(err.Error(), `"1600000000"`) {
		t.Errorf("an edited msg_read_time: %v", err)
	}
	// A done line that is blank in the input, or past its end.
	res.Rewind()
	res.Skip(2, "u2", "p2", "")
	var mm *reports.MismatchError
	if _, err := res.Skip(4, "u4", "p4", ""); !errors.As(err, &mm) || mm.Line != 3 || !mm.Blank {
		t.Errorf("a done line passed over: %v", err)
	}
	var le *reports.LineError
	if err := res.CheckLines(4000); !errors.As(err, &le) || le.Line != 4001 {
		t.Errorf("CheckLines: %v", err)
	}
	res.Rewind()
	res.Skip(2, "u2", "p2", "")
	if err := res.Finish(2); !errors.As(err, &le) || le.Line != 3 {
		t.Errorf("Finish: %v", err)
	}
}

// FuzzLoadResume: any bytes load or fail cleanly; a loaded report's
// complete part ends at a newline, and loading that part again gives the
// same lines, not torn.
func FuzzLoadResume(f *testing.F) {
	f.Add(smallReport(f, 3))
	f.Add(smallReport(f, 2)[:150])
	f.Add([]byte(strings.Join(reports.Header, ",") + "\n2,a,\"b,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := reports.LoadResume(bytes.NewReader(data))
		if err != nil {
			return
		}
		if res.Complete > int64(len(data)) || (res.Complete > 0 && data[res.Complete-1] != '\n') {
			t.Fatalf("complete %d of %d bytes", res.Complete, len(data))
		}
		if res.Torn != (res.Complete < int64(len(data))) {
			t.Fatalf("torn %v with %d of %d bytes complete", res.Torn, res.Complete, len(data))
		}
		again, err := reports.LoadResume(bytes.NewReader(data[:res.Complete]))
		if err != nil || again.Torn || again.Done() != res.Done() || again.Rows != res.Rows {
			t.Fatalf("reloading the complete part: %v", err)
		}
	})
}

// BenchmarkLoadResume loads a report of 10 M lines (MSGREAD_BENCH_LINES
// sets another size), as a resume of a 14-hour run does, and reports lines
// per second, the wall time, and the peak live heap and runtime memory
// while loading (targets: <= 15 s and <= 48 MB at 10 M lines).
func BenchmarkLoadResume(b *testing.B) {
	lines := 10_000_000
	if s := os.Getenv("MSGREAD_BENCH_LINES"); s != "" {
		fmt.Sscan(s, &lines)
	}
	path := filepath.Join(b.TempDir(), "r.csv")
	f, _ := os.Create(path)
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(strings.Join(reports.Header, ",") + "\n")
	for i := range lines {
		st := "ok"
		if i%100 == 3 {
			st = "failed"
		}
		fmt.Fprintf(w, "%d,user%07d,peer%05d,%d,%s,0,,200,1,37,2026-11-25T10:00:00.123Z\n", i+2, i, i%50000, 1600000000+i, st)
	}
	w.Flush()
	f.Close()
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		peak := memtest.Sample()
		f, _ := os.Open(path)
		start := time.Now()
		res, err := reports.LoadResume(f)
		elapsed := time.Since(start)
		f.Close()
		live, total, rss := peak()
		if err != nil || res.Rows != lines {
			b.Fatalf("%v, %d rows", err, res.Rows)
		}
		b.ReportMetric(float64(lines)/elapsed.Seconds(), "lines/s")
		b.ReportMetric(elapsed.Seconds(), "s")
		b.ReportMetric(float64(live)/(1<<20), "peak-live-heap-MB")
		b.ReportMetric(float64(total)/(1<<20), "peak-runtime-MB")
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		runtime.KeepAlive(res)
	}
}

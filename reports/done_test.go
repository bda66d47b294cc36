package reports_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
)

func reportText(rows ...string) string {
	return strings.Join(reports.Header, ",") + "\n" + strings.Join(rows, "")
}

const (
	okRow      = "%d,a,b,1,ok,0,,200,1,3,2026-11-25T10:00:00.000Z\n"
	failedRow  = "%d,a,b,1,failed,90003,x,200,1,3,2026-11-25T10:00:00.000Z\n"
	gaveUpRow  = "%d,a,b,1,gave_up,,reset,,6,3,2026-11-25T10:00:00.000Z\n"
	invalidRow = "%d,,b,1,invalid,,empty,,0,0,2026-11-25T10:00:00.000Z\n"
	skipRow    = "%d,a,b,1,skipped,,,,0,0,2026-11-25T10:00:00.000Z\n"
)

func TestLoadDone(t *testing.T) {
	text := reportText(fmt.Sprintf(okRow, 7), fmt.Sprintf(failedRow, 2), fmt.Sprintf(gaveUpRow, 3), fmt.Sprintf(invalidRow, 4), fmt.Sprintf(skipRow, 5), fmt.Sprintf(okRow, 1000))
	done, info, err := reports.LoadDone(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[int]bool{2: false, 3: false, 4: true, 5: true, 6: false, 7: true, 1000: true, 1001: false} {
		if done.Has(line) != want {
			t.Errorf("line %d done = %v, want %v", line, !want, want)
		}
	}
	if info.Rows != 6 || info.Redo != 2 || info.MaxLine != 1000 || info.Torn || done.Len() != 4 {
		t.Errorf("info %+v, %d done", info, done.Len())
	}
}

func TestLoadDoneTornLastRow(t *testing.T) {
	full := fmt.Sprintf(okRow, 9)
	for cut := 1; cut < len(full)-1; cut++ {
		text := reportText(fmt.Sprintf(okRow, 2), fmt.Sprintf(okRow, 3)) + full[:cut]
		done, info, err := reports.LoadDone(strings.NewReader(text))
		if err != nil {
			t.Fatalf("cut at %d (%q): %v", cut, full[:cut], err)
		}
		if !done.Has(2) || !done.Has(3) || done.Has(9) || !info.Torn || info.Rows != 2 {
			t.Fatalf("cut at %d (%q): done 2:%v 3:%v 9:%v, info %+v", cut, full[:cut], done.Has(2), done.Has(3), done.Has(9), info)
		}
	}
	// A quoted cell cut inside its quotes.
	text := reportText(fmt.Sprintf(okRow, 2)) + `3,a,"b,c`
	if done, info, err := reports.LoadDone(strings.NewReader(text)); err != nil || !info.Torn || !done.Has(2) || done.Has(3) {
		t.Fatalf("torn quote: %v %+v", err, info)
	}
}

func TestLoadDoneRejectsDamage(t *testing.T) {
	for name, text := range map[string]string{
		"not a report":   "line,foo\n1,2\n",
		"damaged middle": reportText(fmt.Sprintf(okRow, 2), "3,a,b\n", fmt.Sprintf(okRow, 4)),
		"bad status":     reportText(strings.Replace(fmt.Sprintf(okRow, 2), ",ok,", ",maybe,", 1), fmt.Sprintf(okRow, 3)),
	} {
		if _, _, err := reports.LoadDone(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if done, _, err := reports.LoadDone(strings.NewReader("")); err != nil || done.Len() != 0 {
		t.Errorf("an empty file (created, nothing written): %v", err)
	}
}

func TestAppendCutsTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	os.WriteFile(path, []byte(reportText(fmt.Sprintf(okRow, 2))+"3,a,b,1,o"), 0o644)
	f, err := reports.Append(path, "")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(reports.Record{Line: 3, ReportAccount: "a", PeerAccount: "b", Status: reports.StatusOK, FinishedAt: time.Unix(0, 0)})
	f.Close()
	data, _ := os.ReadFile(path)
	recs, err := reports.ReadAll(bytes.NewReader(data))
	if err != nil || len(recs) != 2 || recs[1].Line != 3 || strings.Count(string(data), "line,") != 1 {
		t.Fatalf("after append: %v\n%s", err, data)
	}
}

// BenchmarkLoadDone builds the done-set from a 10 M-line report and reports
// lines per second (target >= 2 M) and the bitmap's size.
func BenchmarkLoadDone(b *testing.B) {
	path := writeBenchReport(b)
	for range b.N {
		benchLoad(b, path, func(r io.Reader) (int, error) {
			done, _, err := reports.LoadDone(r)
			if err == nil {
				b.ReportMetric(float64(done.Bytes())/(1<<20), "bitmap-MB")
			}
			return done.Len(), err
		})
	}
}

const benchLines = 10_000_000

func writeBenchReport(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "r.csv")
	f, _ := os.Create(path)
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(strings.Join(reports.Header, ",") + "\n")
	for i := range benchLines {
		fmt.Fprintf(w, "%d,user%07d,peer%05d,1700000000,ok,0,,200,1,12,2026-11-25T10:00:00.123Z\n", i+2, i, i%50000)
	}
	w.Flush()
	f.Close()
	b.ResetTimer()
	return path
}

func benchLoad(b *testing.B, path string, load func(io.Reader) (int, error)) {
	f, _ := os.Open(path)
	defer f.Close()
	start := time.Now()
	n, err := load(f)
	elapsed := time.Since(start)
	if err != nil || n != benchLines {
		b.Fatalf("%v: %d done of %d", err, n, benchLines)
	}
	b.ReportMetric(benchLines/elapsed.Seconds(), "lines/s")
}

func TestDoneMatchesSamples(t *testing.T) {
	text := reportText("2,alice,bob,1,ok,0,,200,1,3,2026-11-25T10:00:00.000Z\n",
		`3,'=x,"c,d",1,ok,0,,200,1,3,2026-11-25T10:00:00.000Z`+"\n",
		"2048,e,f,1,skipped,,,,0,0,2026-11-25T10:00:00.000Z\n",
		"2049,g,h,1,ok,0,,200,1,3,2026-11-25T10:00:00.000Z\n")
	done, _, err := reports.LoadDone(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line         int
		report, peer string
		want         bool
	}{
		{2, "alice", "bob", true}, {2, "bob", "alice", false},
		{3, "=x", "c,d", true}, {3, "'=x", "c,d", false},
		{2048, "e", "f", true}, {2048, "e", "g", false},
		{2049, "anything", "else", true}, // not sampled
	} {
		if got := done.Matches(c.line, c.report, c.peer); got != c.want {
			t.Errorf("Matches(%d, %q, %q) = %v, want %v", c.line, c.report, c.peer, got, c.want)
		}
	}
}

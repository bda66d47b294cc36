package batch_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/msgread/msgread/batch"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/decompress"
	"github.com/msgread/msgread/internal/memtest"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// BenchmarkCeiling runs 4000 rows at 200 calls/s (20 s) through the real
// client against a mock that enforces 200 calls per 1-second window, and
// reports the achieved rate over the ceiling (target >= 0.995), the busiest
// second and the calls the mock throttled (target 0). Run with -benchtime 1x.
func BenchmarkCeiling(b *testing.B) {
	// The service's limiter is not documented: the pacer must hold against
	// a fixed window (the mock's default), a sliding window and a token
	// bucket alike, 20 s at the ceiling's own 200 calls/s each.
	for _, kind := range []string{mockserver.CeilingFixedWindow, mockserver.CeilingSlidingWindow, mockserver.CeilingTokenBucket} {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				benchCeiling(b, kind)
			}
		})
	}
}

// benchClient signs with the development key and calls srv.
func benchClient(srv *mockserver.Server) *batch.Client {
	signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Key: mockserver.DevKey})
	client, _ := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL(), SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Signer: signer})
	return client
}

func benchCeiling(b *testing.B, kind string) {
	srv, err := mockserver.New(mockserver.Config{Scenario: mockserver.Scenario{CeilingKind: kind}})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(""); err != nil {
		b.Fatal(err)
	}
	// Greedy: alone on the mock both modes hold the ceiling, safe once its
	// 10 s start is over; make bench-neighbour measures the sharing modes.
	r, _ := batch.New(batch.Config{Caller: benchClient(srv), Profile: batch.Constant(200), Share: batch.ShareGreedy})
	in, closeIn := benchInput(b, 4000)
	sum, err := r.Run(context.Background(), in, discard{})
	closeIn()
	srv.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(sum.RateRatio, "rate/ceiling")
	b.ReportMetric(float64(sum.PeakWindow), "peak-calls/s")
	b.ReportMetric(float64(srv.Stats().ByCode["60007"]), "throttled")
	b.ReportMetric(sum.Latency.P99, "p99-ms")
}

// BenchmarkRunMemory runs 100 k and 1 M rows from a file through the runner
// (an instant caller, no rate limit) into a report file, and reports the
// peak live heap (as of each GC: what the run retains) and the peak of all
// memory the Go runtime holds from the OS: flat in the input's length is the
// target (< 64 MB at 1 M rows).
func BenchmarkRunMemory(b *testing.B) {
	for _, rows := range benchMemoryRows {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			path := writeBenchInput(b, rows)
			for range b.N {
				runtime.GC()
				peak := memtest.Sample()
				f, _ := os.Open(path)
				in, err := batch.NewInput(bufio.NewReaderSize(f, 64<<10))
				if err != nil {
					b.Fatal(err)
				}
				files, err := reports.Open(reports.Plan{Report: filepath.Join(b.TempDir(), "r.csv"), Failed: filepath.Join(b.TempDir(), "f.csv")})
				if err != nil {
					b.Fatal(err)
				}
				r, _ := batch.New(batch.Config{Caller: instant{}, Profile: batch.Constant(1e9)})
				start := time.Now()
				sum, err := r.Run(context.Background(), in, files)
				elapsed := time.Since(start)
				files.Close()
				f.Close()
				live, total, rss := peak()
				if err != nil || sum.Rows != rows {
					b.Fatalf("%v, %d rows", err, sum.Rows)
				}
				b.ReportMetric(float64(live)/(1<<20), "peak-live-heap-MB")
				b.ReportMetric(float64(total)/(1<<20), "peak-runtime-MB")
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
				b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
			}
		})
	}
}

// BenchmarkResumeMemory resumes a run of 10 M rows (MSGREAD_BENCH_LINES
// sets another size) from a report in which 99 % of the lines are done: the
// fingerprints of 9.9 M lines are held while every line streams through,
// 100 k rows are sent (to an instant caller) and the skipped lines are
// written to the new report. It reports the peak resident set of the
// process (target <= 64 MB at 10 M rows), the live heap and the rows/s.
func BenchmarkResumeMemory(b *testing.B) {
	rows := 10_000_000
	if s := os.Getenv("MSGREAD_BENCH_LINES"); s != "" {
		fmt.Sscan(s, &rows)
	}
	path := writeBenchInput(b, rows)
	old := filepath.Join(b.TempDir(), "old.csv")
	f, _ := os.Create(old)
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, strings.Join(reports.Header, ","))
	for i := range rows {
		if i%100 != 0 {
			fmt.Fprintf(w, "%d,user%07d,peer%05d,%d,ok,0,,200,1,37,2026-11-25T10:00:00.123Z\n", i+2, i, i%50000, 1600000000+i)
		}
	}
	w.Flush()
	f.Close()
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		peak := memtest.Sample()
		start := time.Now()
		files, err := reports.Open(reports.Plan{Report: filepath.Join(b.TempDir(), "r.csv"), Resume: old})
		if err != nil {
			b.Fatal(err)
		}
		in, closeIn := openBenchInput(b, path)
		r, _ := batch.New(batch.Config{Caller: instant{}, Profile: batch.Constant(1e9), Resume: files.Resume})
		sum, err := r.Run(context.Background(), in, files)
		closeIn()
		files.Close()
		elapsed := time.Since(start)
		live, total, rss := peak()
		if err != nil || sum.Rows != rows || sum.ByStatus[reports.StatusSkipped] != rows-rows/100 {
			b.Fatalf("%v, %d rows, %v", err, sum.Rows, sum.ByStatus)
		}
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(live)/(1<<20), "peak-live-heap-MB")
		b.ReportMetric(float64(total)/(1<<20), "peak-runtime-MB")
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	}
}

type instant struct{}

func (instant) MarkRead(context.Context, chatapi.Request) batch.Result {
	return batch.Result{Class: chatapi.ClassOK, HTTPStatus: 200}
}

type discard struct{}

func (discard) Write(reports.Record) error { return nil }
func (discard) Flush() error               { return nil }

func writeBenchInput(b *testing.B, rows int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "in.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "report_account,peer_account,msg_read_time")
	for i := range rows {
		fmt.Fprintf(w, "user%07d,peer%05d,%d\n", i, i%50000, 1600000000+i)
	}
	w.Flush()
	f.Close()
	return path
}

func benchInput(b *testing.B, rows int) (*batch.Input, func()) {
	return openBenchInput(b, writeBenchInput(b, rows))
}

func openBenchInput(b *testing.B, path string) (*batch.Input, func()) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	in, err := batch.NewInput(f)
	if err != nil {
		b.Fatal(err)
	}
	return in, func() { f.Close() }
}

// benchMemoryRows are the input lengths BenchmarkRunMemory compares.
var benchMemoryRows = []int{100_000, 1_000_000, 3_000_000}

// BenchmarkCheckMemory checks a 10 M-row file as msgread gen writes it (10 000
// users: about 480 000 duplicate pairs) and reports the peak resident set
// and the time. Targets (issue 13): at most 128 MB and 15 s.
// MSGREAD_BENCH_LINES changes the row count.
func BenchmarkCheckMemory(b *testing.B) {
	rows := benchCheckRows()
	path := writeGenInput(b, rows, "in.csv", nil)
	open := func() (*batch.Input, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		b.Cleanup(func() { f.Close() })
		return batch.NewInput(f)
	}
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		peak := memtest.Sample()
		start := time.Now()
		res, err := batch.Check(context.Background(), open, rows, func(batch.Finding) {})
		elapsed := time.Since(start)
		_, _, rss := peak()
		if err != nil || res.Rows != rows || res.Duplicates == 0 {
			b.Fatalf("%v: %+v", err, res)
		}
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(elapsed.Seconds(), "s")
		b.ReportMetric(float64(res.Duplicates), "duplicates")
	}
}

// BenchmarkCheckMemoryZstd is BenchmarkCheckMemory for the same rows in a
// .csv.zst made with the largest window msgread decodes (8 MiB, zstd -19's),
// opened as msgread check opens it (OpenInput: the header, the lines
// counted, two passes, each decompressing the file). Target (issue 23):
// at most 128 MB, as for the plain file.
func BenchmarkCheckMemoryZstd(b *testing.B) {
	rows := benchCheckRows()
	path := writeGenInput(b, rows, "in.csv.zst", func(w io.Writer) (io.WriteCloser, error) {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(decompress.MaxWindow))
	})
	debug.FreeOSMemory() // the encoder's memory is not check's
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		peak := memtest.Sample()
		start := time.Now()
		in, err := batch.OpenInput(context.Background(), path, nil)
		if err != nil {
			b.Fatal(err)
		}
		reopen := func() (*batch.Input, error) {
			again, closeAgain, _, err := in.Reopen(context.Background())
			if err == nil {
				b.Cleanup(func() { closeAgain() })
			}
			return again, err
		}
		res, err := batch.CheckOpened(context.Background(), in.Input, reopen, int(in.Rows()), func(batch.Finding) {})
		elapsed := time.Since(start)
		in.Close()
		_, _, rss := peak()
		if err != nil || res.Rows != rows || res.Duplicates == 0 || in.Format != decompress.Zstd {
			b.Fatalf("%v: %+v", err, res)
		}
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(elapsed.Seconds(), "s")
		b.ReportMetric(float64(res.Duplicates), "duplicates")
	}
}

// benchCheckRows is the check benchmarks' row count: 10 M, or
// MSGREAD_BENCH_LINES.
func benchCheckRows() int {
	rows := 10_000_000
	if s := os.Getenv("MSGREAD_BENCH_LINES"); s != "" {
		fmt.Sscan(s, &rows)
	}
	return rows
}

// writeGenInput writes rows as msgread gen does (seed 1) to name in a
// temporary directory, through compress when it is not nil, and returns
// its path.
func writeGenInput(b *testing.B, rows int, name string, compress func(io.Writer) (io.WriteCloser, error)) string {
	path := filepath.Join(b.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var w io.Writer = f
	var c io.WriteCloser
	if compress != nil {
		if c, err = compress(f); err != nil {
			b.Fatal(err)
		}
		w = c
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := batch.Generate(context.Background(), bw, batch.GenConfig{Rows: int64(rows), Seed: 1}); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if c != nil {
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return path
}

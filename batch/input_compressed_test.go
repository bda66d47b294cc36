package batch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/msgread/msgread/internal/compresstest"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/decompress"
	"github.com/msgread/msgread/internal/memtest"
)

// awkward is an input with what makes line numbers hard: a BOM, CRLF line
// ends, blank lines, invalid rows, a stray quote, a repeated header, an
// ignored column, and a last line without a line end.
func awkward(rows int) string {
	var b strings.Builder
	b.WriteString("\uFEFFReport_Account,Peer_Account,MsgReadTime,note\r\n\n")
	for i := range rows {
		switch {
		case i%97 == 5:
			fmt.Fprintf(&b, "u%d,,%d,x\n", i, 1600000000+i) // no peer
		case i%101 == 7:
			fmt.Fprintf(&b, "u%d,\"p%d,%d,x\n", i, i, 1600000000+i) // a stray quote
		case i%103 == 9:
			b.WriteString("\r\n")
		case i == rows/2:
			b.WriteString("report_account,peer_account,msg_read_time,note\n")
		default:
			fmt.Fprintf(&b, "u%d,p%d,%d,\"a, b\"\r\n", i, i%13, 1600000000+i)
		}
	}
	b.WriteString("last,row,1700000000")
	return b.String()
}

// rowsText reads in to its end: each row as text, and the counts.
func rowsText(t *testing.T, in *batch.Input) []string {
	t.Helper()
	var got []string
	for {
		r, err := in.Next()
		if errors.Is(err, io.EOF) {
			lines, rows, blank, ended := in.Counts()
			return append(got, fmt.Sprintf("counts %d %d %d %v", lines, rows, blank, ended))
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		got = append(got, fmt.Sprintf("%d|%s|%s|%s|%s|%s|%q", r.Line, r.ReportAccount, r.PeerAccount, r.MsgReadTime, r.ReadTime, r.Invalid, r.Raw))
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCompressedInputsReadAsThePlainFile: a .csv.gz and a .csv.zst give
// the rows of the CSV they hold, line for line (line numbers, cells, raw
// lines for the failed-rows file, the line count), as a file (and opened
// again, as check's second pass and the resume check do) and on standard
// input; so does a file whose name says another format than it holds, with
// a note that says so.
func TestCompressedInputsReadAsThePlainFile(t *testing.T) {
	csv := awkward(3000)
	plain := writeFile(t, "rows.csv", []byte(csv))
	in, err := batch.OpenInput(context.Background(), plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, lines := rowsText(t, in.Input), in.Lines
	in.Close()
	if lines < 3000 || in.Format != decompress.Plain || in.Note != "" {
		t.Fatalf("plain: %d lines, %v, note %q", lines, in.Format, in.Note)
	}
	gz, zst := compresstest.Gzip(t, csv), compresstest.Zstd(t, csv)
	for _, c := range []struct {
		name   string
		data   []byte
		format decompress.Format
		note   string
	}{
		{"rows.csv.gz", gz, decompress.Gzip, ""},
		{"rows.csv.zst", zst, decompress.Zstd, ""},
		{"rows.csv", gz, decompress.Gzip, "it is gzip-compressed"},
		{"rows.csv.gz", zst, decompress.Zstd, "its name says gzip, but it is zstd-compressed"},
		{"rows.csv.zst", []byte(csv), decompress.Plain, "its name says zstd, but it holds no zstd stream"},
	} {
		path := writeFile(t, c.name, c.data)
		in, err := batch.OpenInput(context.Background(), path, nil)
		if err != nil {
			t.Fatalf("%s (%v): %v", c.name, c.format, err)
		}
		if in.Format != c.format || in.Lines != lines || (c.note == "") != (in.Note == "") || !strings.Contains(in.Note, c.note) {
			t.Errorf("%s (%v): %v, %d lines, note %q; want %d lines, a note saying %q", c.name, c.format, in.Format, in.Lines, in.Note, lines, c.note)
		}
		if got := rowsText(t, in.Input); !slices.Equal(got, want) {
			t.Errorf("%s (%v): rows differ from the plain file's", c.name, c.format)
		}
		again, closeAgain, ok, err := in.Reopen(context.Background())
		if !ok || err != nil {
			t.Fatalf("%s: Reopen: %v %v", c.name, ok, err)
		}
		if got := rowsText(t, again); !slices.Equal(got, want) {
			t.Errorf("%s (%v) opened again: rows differ from the plain file's", c.name, c.format)
		}
		closeAgain()
		in.Close()
	}
	for name, data := range map[string][]byte{"gzip": gz, "zstd": zst} {
		in, err := batch.OpenInput(context.Background(), "-", bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s on standard input: %v", name, err)
		}
		if got := rowsText(t, in.Input); in.Lines != -1 || !slices.Equal(got, want) {
			t.Errorf("%s on standard input: %d lines; rows differ from the plain file's", name, in.Lines)
		}
	}
}

// lineReached is the line an error says was reached ("after line N").
var lineReached = regexp.MustCompile(`after line (\d+)`)

// TestCompressedInputCutShortNamesTheLine: a .csv.gz or .csv.zst cut short
// (a copy that stopped, a compressor still writing), damaged, or followed
// by garbage is refused when its lines are counted, before any row is
// sent, with an error naming the file, what is wrong and the line reached;
// on standard input, the rows before the damage are read and then the
// error names the line.
func TestCompressedInputCutShortNamesTheLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_account,peer_account\n")
	for i := range 60_000 {
		fmt.Fprintf(&b, "user%d,peer%d\n", i, i*7919%60_000)
	}
	csv := b.String()
	gz, zst := compresstest.Gzip(t, csv), compresstest.Zstd(t, csv)
	damaged := bytes.Clone(gz)
	for i := len(gz) / 2; i < len(gz)/2+64; i++ {
		damaged[i] ^= 0xa5
	}
	for _, c := range []struct {
		name, file, want string
		data             []byte
	}{
		{"a .csv.gz cut in half", "rows.csv.gz", "truncated", gz[:len(gz)/2]},
		{"a .csv.zst cut in half", "rows.csv.zst", "truncated", zst[:len(zst)/2]},
		{"a .csv.gz damaged in the middle", "rows.csv.gz", "damaged", damaged},
		{"a .csv.gz with garbage after its end", "rows.csv.gz", "followed by bytes", append(bytes.Clone(gz), "PK\x03\x04 more"...)},
		{"a .csv.zst with garbage after its end", "rows.csv.zst", "followed by bytes", append(bytes.Clone(zst), 0, 0, 0, 0, 0, 0, 0, 0)},
	} {
		path := writeFile(t, c.file, c.data)
		_, err := batch.OpenInput(context.Background(), path, nil)
		var ie *batch.InputError
		if !errors.As(err, &ie) || ie.Phase != "counting the lines" || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an input error naming %s, counting the lines, saying %q", c.name, err, c.file, c.want)
			continue
		}
		m := lineReached.FindStringSubmatch(err.Error())
		if m == nil {
			t.Errorf("%s: %v: no line reached", c.name, err)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); strings.Contains(c.name, "garbage") != (n == 60_001) || n < 2 {
			t.Errorf("%s: line %d reached (the file has 60 001 lines): %v", c.name, n, err)
		}

		in, err := batch.OpenInput(context.Background(), "-", bytes.NewReader(c.data))
		if err != nil {
			t.Fatalf("%s on standard input: %v", c.name, err)
		}
		last := 0
		for {
			r, err := in.Next()
			if err == nil {
				last = r.Line
				continue
			}
			if errors.Is(err, io.EOF) || !errors.Is(err, batch.ErrBadInput) || !strings.Contains(err.Error(), c.want) ||
				!strings.Contains(err.Error(), fmt.Sprintf("standard input: after line %d", last)) {
				t.Errorf("%s on standard input: %v after line %d; want an input error naming that line", c.name, err, last)
			}
			break
		}
	}
}

// TestCompressedInputsRefusedAtTheHeader: an archive msgread does not read,
// a zstd window larger than it decodes, a file named .csv.gz that is
// no CSV and no gzip, a file compressed twice (gzip -c rows.csv.gz >
// x.csv.gz: it decompressed to binary refused as "NUL bytes", and zstd in
// zstd as "a lone CR"), an archive compressed, and a zstd frame made with a
// dictionary (refused as "damaged") are refused before anything is
// counted, saying what they are.
func TestCompressedInputsRefusedAtTheHeader(t *testing.T) {
	csv := "report_account,peer_account\na,b\n"
	big := compresstest.Zstd(t, strings.Repeat(csv, 200_000), zstd.WithWindowSize(4*decompress.MaxWindow), zstd.WithSingleSegment(false))
	// A single-segment frame with dictionary ID 7, one raw block "a,b\n".
	withDict := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x21, 7, 4, 0x21, 0, 0, 'a', ',', 'b', '\n'}
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"rows.zip", "a zip archive, which msgread does not read", []byte("PK\x03\x04\x14\x00\x00\x00")},
		{"rows.csv.xz", "xz-compressed", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0}},
		{"rows.csv.zst", "the zstd window is too large", big},
		{"rows.csv.gz", "its name says gzip, but it holds no gzip stream", []byte("\x00\x01\x02\x03binary\n")},
		{"rows.csv.gz", "gzip-compressed again (it was compressed twice)", compresstest.Gzip(t, string(compresstest.Gzip(t, csv)))},
		{"rows.csv.zst", "zstd-compressed again (it was compressed twice)", compresstest.Zstd(t, string(compresstest.Zstd(t, csv)))},
		{"rows.csv.zst", "what it decompresses to is a zip archive", compresstest.Zstd(t, "PK\x03\x04\x14\x00\x00\x00rows.csv")},
		{"rows.csv.zst", "it was compressed with zstd -D", withDict},
	} {
		path := writeFile(t, c.name, c.data)
		_, err := batch.OpenInput(context.Background(), path, nil)
		var ie *batch.InputError
		if !errors.As(err, &ie) || ie.Phase != "reading the header" || !errors.Is(err, batch.ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a header error saying %q", c.name, err, c.want)
		}
	}
}

// TestCompressedStdinGivesWayToCancel: a compressed stream on standard
// input that stops in the middle of its first block (a writer that went
// idle) gives way to an interrupt, as a plain one does.
func TestCompressedStdinGivesWayToCancel(t *testing.T) {
	for name, data := range map[string][]byte{"gzip": compresstest.Gzip(t, "report_account,peer_account\na,b\n"), "zstd": compresstest.Zstd(t, "report_account,peer_account\na,b\n")} {
		r, w := io.Pipe()
		go w.Write(data[:len(data)/2])
		t.Cleanup(func() { w.Close() })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := batch.OpenInput(ctx, "-", r); done <- err }()
		cancel()
		if err := within(t, func() error { return <-done }); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
	}
}

// TestCompressedBombStreamsInBoundedMemory: a few hundred kilobytes of
// zstd that hold 200 MB of rows are counted and read in a few megabytes of
// heap, a buffer at a time, as a plain file is.
func TestCompressedBombStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 200 MB three times")
	}
	const rows, width = 200_000, 1000
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("report_account,peer_account,padding\n"))
	line := []byte("alice,bob," + strings.Repeat("x", width) + "\n")
	for range rows {
		w.Write(line)
	}
	w.Close()
	if b.Len() > 2<<20 {
		t.Fatalf("the bomb is %d bytes compressed", b.Len())
	}
	path := writeFile(t, "bomb.csv.zst", b.Bytes())
	runtime.GC()
	peak := memtest.Sample()
	in, err := batch.OpenInput(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := in.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	in.Close()
	live, _, _ := peak()
	t.Logf("%d bytes of zstd, %d MB of rows: peak live heap %.1f MB", b.Len(), rows*len(line)>>20, float64(live)/(1<<20))
	if n != rows || in.Lines != rows+1 {
		t.Errorf("%d rows read, %d lines counted; want %d and %d", n, in.Lines, rows, rows+1)
	}
	if live > 32<<20 {
		t.Errorf("peak live heap %d MB reading %d MB of rows: not streamed", live>>20, rows*len(line)>>20)
	}
}

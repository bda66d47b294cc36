package decompress_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/msgread/msgread/internal/compresstest"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/msgread/msgread/internal/decompress"
)

const text = "report_account,peer_account,msg_read_time\nu1,p1,1700000000\nu2,p2,\n"

// readAll opens data (Open: the format from its first bytes) and reads it
// whole.
func readAll(t *testing.T, data []byte) (decompress.Format, string, error) {
	t.Helper()
	d, err := decompress.Open(context.Background(), bytes.NewReader(data))
	if err != nil {
		return decompress.Plain, "", err
	}
	defer d.Close()
	out, err := io.ReadAll(d)
	return d.Format, string(out), err
}

func TestOpenTellsTheFormatByItsFirstBytes(t *testing.T) {
	two := append(compresstest.Gzip(t, "a,b\n"), compresstest.Gzip(t, "c,d\n")...) // gzip -c a >> f; gzip -c b >> f
	frames := append(compresstest.Zstd(t, "a,b\n"), compresstest.Zstd(t, "c,d\n")...)
	skippable := append([]byte{0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 'h', 'i'}, compresstest.Zstd(t, "a,b\n")...)
	for _, c := range []struct {
		name   string
		data   []byte
		format decompress.Format
		want   string
	}{
		{"plain", []byte(text), decompress.Plain, text},
		{"gzip", compresstest.Gzip(t, text), decompress.Gzip, text},
		{"zstd", compresstest.Zstd(t, text), decompress.Zstd, text},
		{"gzip members one after another", two, decompress.Gzip, "a,b\nc,d\n"},
		{"zstd frames one after another", frames, decompress.Zstd, "a,b\nc,d\n"},
		{"zstd after a skippable frame", skippable, decompress.Zstd, "a,b\n"},
		{"empty", nil, decompress.Plain, ""},
		{"one byte", []byte("a"), decompress.Plain, "a"},
		{"gzip of nothing", compresstest.Gzip(t, ""), decompress.Gzip, ""},
	} {
		format, got, err := readAll(t, c.data)
		if err != nil || format != c.format || got != c.want {
			t.Errorf("%s: %v %q, %v; want %v %q", c.name, format, got, err, c.format, c.want)
		}
	}
}

// TestTextIsNeverTakenForAnArchive: bzip2's magic starts with the text
// "BZh": a CSV whose first column name starts so is a CSV (it was refused as
// bzip2-compressed).
func TestTextIsNeverTakenForAnArchive(t *testing.T) {
	for _, csv := range []string{"BZh_id,report_account,peer_account\n1,a,b\n", "BZh9,report_account,peer_account\n", "BZh"} {
		format, got, err := readAll(t, []byte(csv))
		if err != nil || format != decompress.Plain || got != csv {
			t.Errorf("%q: %v %q, %v; want it read as plain text", csv, format, got, err)
		}
	}
}

func TestOpenRefusesArchivesByName(t *testing.T) {
	for _, c := range []struct {
		head []byte
		what string
	}{
		{[]byte("PK\x03\x04rest"), "zip"},
		{[]byte{0xfd, '7', 'z', 'X', 'Z', 0, 0}, "xz"},
		{[]byte("BZh91AY&SY"), "bzip2"},
		{[]byte("BZh1\x17\x72\x45\x38\x50\x90\x00\x00\x00\x00"), "bzip2"}, // bzip2 of nothing
		{[]byte{0x04, 0x22, 0x4d, 0x18, 0}, "lz4"},
	} {
		_, _, err := readAll(t, c.head)
		var u *decompress.UnsupportedError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), c.what) || !strings.Contains(err.Error(), ".csv.gz") {
			t.Errorf("%s: %v; want an UnsupportedError naming it and what is read", c.what, err)
		}
	}
}

// streamError reads data whole and returns its *StreamError, failing the
// test when there is none.
func streamError(t *testing.T, name string, data []byte) *decompress.StreamError {
	t.Helper()
	_, _, err := readAll(t, data)
	var se *decompress.StreamError
	if !errors.As(err, &se) {
		t.Fatalf("%s: %v; want a StreamError", name, err)
	}
	return se
}

func TestDamagedStreamsAreErrorsThatSayWhat(t *testing.T) {
	long := strings.Repeat(text, 2000)
	g, z := compresstest.Gzip(t, long), compresstest.Zstd(t, long)
	flipped := func(b []byte) []byte {
		c := bytes.Clone(b)
		for i := len(c) / 2; i < len(c)/2+16; i++ {
			c[i] ^= 0x5a
		}
		return c
	}
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"gzip cut in half", "truncated", g[:len(g)/2]},
		{"zstd cut in half", "truncated", z[:len(z)/2]},
		{"gzip cut before its checksum", "truncated", g[:len(g)-4]},
		{"gzip header alone", "truncated", g[:10]},
		{"zstd magic alone", "truncated", z[:4]},
		{"gzip with garbage after it", "followed by bytes that are no gzip stream", append(bytes.Clone(g), "garbage, not gzip"...)},
		{"zstd with garbage after it", "followed by bytes that are no zstd stream", append(bytes.Clone(z), "garbage, not zstd"...)},
		{"gzip damaged in the middle", "the gzip stream is damaged", flipped(g)},
		{"zstd damaged in the middle", "the zstd stream is damaged", flipped(z)},
		{"gzip magic, then garbage", "the gzip stream", []byte("\x1f\x8bnot gzip at all, but text\n")},
		{"zstd magic, then garbage", "the zstd stream", []byte("\x28\xb5\x2f\xfdnot zstd at all, but text\n")},
	} {
		if se := streamError(t, c.name, c.data); !strings.Contains(se.Error(), c.want) {
			t.Errorf("%s: %q; want it to say %q", c.name, se, c.want)
		}
	}
}

// TestHugeZstdWindowsAreRefused: a frame that asks for more history than
// MaxWindow (zstd --long, --ultra, or a hostile header asking for 2 GiB)
// is refused at its header, before anything is allocated for it; one of
// MaxWindow (zstd -19's) is read.
func TestHugeZstdWindowsAreRefused(t *testing.T) {
	long := strings.Repeat(text, 50_000) // 3.3 MB: more than a block
	ok := compresstest.Zstd(t, long, zstd.WithWindowSize(decompress.MaxWindow), zstd.WithSingleSegment(false))
	if _, got, err := readAll(t, ok); err != nil || got != long {
		t.Fatalf("a %d MiB window: %v (%d bytes read)", decompress.MaxWindow>>20, err, len(got))
	}
	big := compresstest.Zstd(t, long, zstd.WithWindowSize(2*decompress.MaxWindow), zstd.WithSingleSegment(false))
	if se := streamError(t, "a window of twice MaxWindow", big); !errors.Is(se, decompress.ErrWindowTooLarge) || !strings.Contains(se.Error(), "--long") {
		t.Errorf("a window of twice MaxWindow: %v", se)
	}
	// A hand-made frame header: no content size, not single segment, a
	// window descriptor of exponent 21 (2 GiB), then a raw block.
	hostile := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x21, 0x00, 0x00, 'a', 'b', 'c', 'd'}
	if se := streamError(t, "a 2 GiB window", hostile); !errors.Is(se, decompress.ErrWindowTooLarge) {
		t.Errorf("a 2 GiB window: %v", se)
	}
	// A single-segment frame's window is its content size.
	enc, err := zstd.NewWriter(nil, zstd.WithSingleSegment(true))
	if err != nil {
		t.Fatal(err)
	}
	single := enc.EncodeAll([]byte(long+strings.Repeat("x", 2*decompress.MaxWindow)), nil)
	if se := streamError(t, "a 19 MB single segment", single); !errors.Is(se, decompress.ErrWindowTooLarge) {
		t.Errorf("a single segment larger than MaxWindow: %v", se)
	}
}

// failing returns its bytes, then err.
type failing struct {
	r   io.Reader
	err error
}

func (f *failing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestErrorsBeneathPassAsTheyAre: an error of the reader beneath (an
// interrupt, a file cut under the reader) is that error, not a damaged
// stream, though the decoder met it mid-stream.
func TestErrorsBeneathPassAsTheyAre(t *testing.T) {
	beneath := errors.New("the file was cut")
	long := strings.Repeat(text, 5000)
	for name, data := range map[string][]byte{"gzip": compresstest.Gzip(t, long), "zstd": compresstest.Zstd(t, long), "plain": []byte(long)} {
		d, err := decompress.Open(context.Background(), &failing{r: bytes.NewReader(data[:len(data)/2]), err: beneath})
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(d)
		var se *decompress.StreamError
		if !errors.Is(err, beneath) || errors.As(err, &se) {
			t.Errorf("%s: %v; want the error beneath as it is", name, err)
		}
		d.Close()
	}
}

func TestNamesAndContentThatDisagreeAreSaid(t *testing.T) {
	for _, c := range []struct {
		name    string
		content decompress.Format
		want    string
	}{
		{"rows.csv", decompress.Plain, ""},
		{"rows.csv.gz", decompress.Gzip, ""},
		{"ROWS.CSV.ZST", decompress.Zstd, ""},
		{"rows.csv.zstd", decompress.Zstd, ""},
		{"rows.csv", decompress.Gzip, "it is gzip-compressed"},
		{"rows.csv.gz", decompress.Plain, "its name says gzip, but it holds no gzip stream"},
		{"rows.csv.gz", decompress.Zstd, "its name says gzip, but it is zstd-compressed"},
	} {
		if got := decompress.Mismatch(c.name, c.content); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("Mismatch(%q, %v) = %q, want %q", c.name, c.content, got, c.want)
		}
	}
	for in, want := range map[string]string{"r.csv.gz": "r.csv", "r.csv.ZST": "r.csv", "r.csv": "r.csv", "r.gzip": "r"} {
		if got := decompress.TrimExt(in); got != want {
			t.Errorf("TrimExt(%q) = %q, want %q", in, got, want)
		}
	}
}

// counting counts the reads of the reader beneath.
type counting struct {
	r     io.Reader
	reads int
}

func (c *counting) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// TestManySmallFramesAreReadInLargeReads: a stream of a frame or member a
// line (a tool that flushes each line as a frame, or a hostile file) is
// read from beneath in buffers, not a few bytes at a time: each read of a
// regular input costs several system calls, and a file of 200,000 one-line
// zstd frames took 20 s to check, against 0.3 s for the plain file.
func TestManySmallFramesAreReadInLargeReads(t *testing.T) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	var zs []byte
	var gs bytes.Buffer
	gw := gzip.NewWriter(&gs)
	var want strings.Builder
	for i := range 5000 {
		line := fmt.Sprintf("u%d,p%d,\n", i, i)
		want.WriteString(line)
		zs = enc.EncodeAll([]byte(line), zs)
		gw.Reset(&gs)
		gw.Write([]byte(line))
		gw.Close()
	}
	for _, c := range []struct {
		format decompress.Format
		data   []byte
	}{{decompress.Zstd, zs}, {decompress.Gzip, gs.Bytes()}} {
		name, data := c.format.String(), c.data
		src := &counting{r: bytes.NewReader(data)}
		d, err := decompress.NewReader(context.Background(), src, c.format) // as a regular input file is read
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d)
		if err != nil || string(got) != want.String() {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
		if most := len(data)/4096 + 10; src.reads > most {
			t.Errorf("%s: %d frames of %d bytes read in %d reads beneath; want at most %d", name, 5000, len(data), src.reads, most)
		}
	}
}

// TestCancelStopsReadingThroughEmptyFrames: a stream of a great many frames
// or members holding nothing is crossed within one Read of the decoder's
// (30 M empty zstd frames, 270 MB: 2.7 s); once ctx is done, the Reader
// reads no more of its source and returns ctx's error, so an interrupt
// does not wait for the decoder to cross them.
func TestCancelStopsReadingThroughEmptyFrames(t *testing.T) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	emptyGzip, emptyZstd := compresstest.Gzip(t, ""), enc.EncodeAll(nil, nil)
	gs, zs := compresstest.Gzip(t, "a,b\n"), compresstest.Zstd(t, "a,b\n")
	for range 20_000 {
		gs, zs = append(gs, emptyGzip...), append(zs, emptyZstd...)
	}
	gs, zs = append(gs, compresstest.Gzip(t, "c,d\n")...), append(zs, compresstest.Zstd(t, "c,d\n")...)
	for name, data := range map[string][]byte{"gzip": gs, "zstd": zs} {
		ctx, cancel := context.WithCancel(context.Background())
		src := &counting{r: bytes.NewReader(data)}
		d, err := decompress.Open(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		first := make([]byte, 4)
		if n, err := io.ReadFull(d, first); err != nil || string(first[:n]) != "a,b\n" {
			t.Fatalf("%s: the first line: %q, %v", name, first[:n], err)
		}
		cancel()
		before := src.reads
		rest, err := io.ReadAll(d)
		if !errors.Is(err, context.Canceled) || len(rest) > 0 || src.reads != before {
			t.Errorf("%s: after the cancel, %q, %v, %d reads beneath; want nothing read and context.Canceled", name, rest, err, src.reads-before)
		}
		d.Close()
	}
}

// gzipMember is a gzip member of s made by hand, its header with flags flg
// and the extra field, file name and comment given (a header CRC when flg
// asks for one; a wrong one when badCRC).
func gzipMember(t *testing.T, s string, flg byte, extra []byte, name, comment string, badCRC bool) []byte {
	t.Helper()
	h := []byte{0x1f, 0x8b, 8, flg, 0, 0, 0, 0, 0, 0xff}
	if flg&4 != 0 {
		h = binary.LittleEndian.AppendUint16(h, uint16(len(extra)))
		h = append(h, extra...)
	}
	if flg&8 != 0 {
		h = append(append(h, name...), 0)
	}
	if flg&16 != 0 {
		h = append(append(h, comment...), 0)
	}
	if flg&2 != 0 {
		sum := uint16(crc32.ChecksumIEEE(h))
		if badCRC {
			sum++
		}
		h = binary.LittleEndian.AppendUint16(h, sum)
	}
	var body bytes.Buffer
	fw, err := flate.NewWriter(&body, flate.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(s))
	fw.Close()
	h = append(h, body.Bytes()...)
	h = binary.LittleEndian.AppendUint32(h, crc32.ChecksumIEEE([]byte(s)))
	return binary.LittleEndian.AppendUint32(h, uint32(len(s)))
}

// TestGzipHeadersOfAnyLengthAreRead: a gzip member whose header holds a
// file name or comment of 512 bytes or more (gzip(1) reads any; the
// decoder refused them as "damaged: invalid header") is read, its header
// CRC checked; the members after it are read as ever.
func TestGzipHeadersOfAnyLengthAreRead(t *testing.T) {
	longName, longComment := strings.Repeat("n", 1000), strings.Repeat("c", 64<<10)
	extra := []byte("AB\x02\x00xy")
	both := gzipMember(t, text, 2|4|8|16, extra, longName, longComment, false)
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"a 64 KB comment", text, gzipMember(t, text, 16, nil, "", longComment, false)},
		{"a 1000-byte name", text, gzipMember(t, text, 8, nil, longName, "", false)},
		{"a 10 MB comment", text, gzipMember(t, text, 16, nil, "", strings.Repeat("c", 10<<20), false)},
		{"extra, name, comment and header CRC", text, both},
		{"then a plain member", text + "a,b\n", append(bytes.Clone(both), compresstest.Gzip(t, "a,b\n")...)},
		{"after a plain member", "a,b\n" + text, append(compresstest.Gzip(t, "a,b\n"), both...)},
		{"a short name and comment", text, gzipMember(t, text, 2|8|16, nil, "rows.csv", "hi", false)},
	} {
		format, got, err := readAll(t, c.data)
		if err != nil || format != decompress.Gzip || got != c.want {
			t.Errorf("%s: %v %d bytes, %v; want %d bytes", c.name, format, len(got), err, len(c.want))
		}
	}
	if se := streamError(t, "a wrong header CRC", gzipMember(t, text, 2|16, nil, "", longComment, true)); !strings.Contains(se.Error(), "damaged") {
		t.Errorf("a wrong header CRC: %v", se)
	}
	if se := streamError(t, "cut in its comment", both[:40_000]); !strings.Contains(se.Error(), "truncated") {
		t.Errorf("cut in its comment: %v", se)
	}
}

// FuzzOpen: any bytes are read, or refused with an error, without a panic
// and without reading past a bounded output (a header of any length, a
// member cut anywhere).
func FuzzOpen(f *testing.F) {
	f.Add([]byte(text))
	f.Add(compresstest.Gzip(f, text))
	f.Add(compresstest.Zstd(f, text))
	f.Add(append(compresstest.Gzip(f, "a,b\n"), compresstest.Gzip(f, "c,d\n")...))
	for _, flg := range []byte{2 | 16, 4 | 8, 2 | 4 | 8 | 16} {
		h := []byte{0x1f, 0x8b, 8, flg, 0, 0, 0, 0, 0, 0xff, 2, 0, 'x', 'y'}
		f.Add(append(h, strings.Repeat("c", 600)+"\x00name\x00\x01\x02"...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decompress.Open(context.Background(), bytes.NewReader(data))
		if err != nil {
			return
		}
		defer d.Close()
		io.Copy(io.Discard, io.LimitReader(d, 64<<20))
	})
}

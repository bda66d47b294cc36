// Package decompress reads an input that may be compressed: gzip or zstd,
// told by the stream's first bytes (its magic number), not by its name.
//
// A plain text file can never be taken for a compressed one: gzip's magic
// (1f 8b) and zstd's (28 b5 2f fd) are no UTF-8 text, and a CSV is. So the
// content decides, and a name that says otherwise (a .csv that is really
// gzip, a .csv.gz that is plain) is read as what it holds: FromName tells
// the caller what the name claims, to say so.
//
// The decoders stream with bounded memory whatever the stream says: gzip's
// window is 32 KB by design, and a zstd frame asking for a window larger
// than MaxWindow is refused (ErrWindowTooLarge) before anything is
// allocated for it. A stream that decompresses to a great deal (a "zip
// bomb") is read as any long input is, a buffer at a time.
package decompress

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Format is how an input's bytes are stored.
type Format int

// The formats read.
const (
	Plain Format = iota
	Gzip
	Zstd
)

func (f Format) String() string {
	switch f {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "plain"
}

// MaxWindow is the largest zstd window decoded: 8 MiB, what zstd's levels
// 1 to 19 use at most. A frame made with --long or --ultra -20 and above
// asks for up to 128 MiB (or far more, from a hostile stream) of history
// held in memory, and is refused.
const MaxWindow = 8 << 20

// Magic numbers. A zstd stream may also start with a skippable frame
// (magic 0x184D2A50 to 0x184D2A5F, little endian).
var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// others are compressed or archive formats that are not read: named, so
// that the refusal says what the file is.
var others = []struct {
	magic []byte
	what  string
}{
	{[]byte("PK\x03\x04"), "a zip archive"},
	{[]byte("PK\x05\x06"), "an empty zip archive"},
	{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, "xz-compressed"},
	{[]byte{0x04, 0x22, 0x4d, 0x18}, "lz4-compressed"},
	{[]byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}, "a 7-Zip archive"},
	{[]byte{0x1f, 0x9d}, "compressed with Unix compress (.Z)"},
}

// HeadLen is how many of a stream's first bytes Sniff wants (fewer when
// the stream is shorter).
const HeadLen = 10

// UnsupportedError is a stream in a compressed or archive format that is
// not read (zip, xz, bzip2...).
type UnsupportedError struct{ What string }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("it is %s, which msgread does not read: give it the CSV itself, or the CSV compressed with gzip (.csv.gz) or zstd (.csv.zst)", e.What)
}

// Sniff returns the format of a stream that starts with head (HeadLen
// bytes, or the whole stream when it is shorter). Anything that is not
// gzip or zstd is Plain, but for the formats it knows and does not read
// (an *UnsupportedError).
func Sniff(head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return Gzip, nil
	case bytes.HasPrefix(head, magicZstd), skippable(head):
		return Zstd, nil
	}
	for _, o := range others {
		if bytes.HasPrefix(head, o.magic) {
			return Plain, &UnsupportedError{What: o.what}
		}
	}
	if bzip2(head) {
		return Plain, &UnsupportedError{What: "bzip2-compressed"}
	}
	return Plain, nil
}

// bzip2 says whether head starts a bzip2 stream: "BZh", a block size from
// 1 to 9, then the magic of a block (pi's digits, 1AY&SY) or of the end of
// an empty stream. "BZh" alone is text, the start of a CSV's first column
// name as well.
func bzip2(head []byte) bool {
	if len(head) < 10 || !bytes.HasPrefix(head, []byte("BZh")) || head[3] < '1' || head[3] > '9' {
		return false
	}
	return bytes.Equal(head[4:10], []byte("1AY&SY")) || bytes.Equal(head[4:10], []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90})
}

// Inside words what a decompressed stream that starts with head holds when
// it is no text: a compressed stream or an archive again (a .csv.gz.gz
// named .csv.gz, a .zip compressed), "" otherwise. Only what was
// decompressed can start so: a file that does was read as its format.
func Inside(head []byte) string {
	format, err := Sniff(head)
	var unsupported *UnsupportedError
	switch {
	case errors.As(err, &unsupported):
		return fmt.Sprintf("what it decompresses to is %s, not a CSV: give msgread the CSV itself, compressed once", unsupported.What)
	case format != Plain:
		return fmt.Sprintf("what it decompresses to is %s-compressed again (it was compressed twice): decompress it once and give msgread the result", format)
	}
	return ""
}

// skippable says whether head starts with a zstd skippable frame's magic.
func skippable(head []byte) bool {
	return len(head) >= 4 && head[0]&0xf0 == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18
}

// FromName is the format a file's name claims: .gz (or .gzip) gzip, .zst
// (or .zstd) zstd, else Plain.
func FromName(name string) Format {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".gz"), strings.HasSuffix(lower, ".gzip"):
		return Gzip
	case strings.HasSuffix(lower, ".zst"), strings.HasSuffix(lower, ".zstd"):
		return Zstd
	}
	return Plain
}

// TrimExt returns name without the extension of a compressed file (.gz,
// .gzip, .zst, .zstd), if it has one: rows.csv.gz gives rows.csv.
func TrimExt(name string) string {
	lower := strings.ToLower(name)
	for _, ext := range []string{".gz", ".gzip", ".zst", ".zstd"} {
		if strings.HasSuffix(lower, ext) {
			return name[:len(name)-len(ext)]
		}
	}
	return name
}

// Mismatch words a name that claims another format than the content's, or
// "" when they agree.
func Mismatch(name string, content Format) string {
	claimed := FromName(name)
	switch {
	case claimed == content:
		return ""
	case content == Plain:
		return fmt.Sprintf("its name says %s, but it holds no %s stream: it is read as a plain CSV", claimed, claimed)
	case claimed == Plain:
		return fmt.Sprintf("it is %s-compressed (its first bytes say so, whatever its name): it is read decompressed", content)
	}
	return fmt.Sprintf("its name says %s, but it is %s-compressed (its first bytes say so): it is read as %s", claimed, content, content)
}

// Reader reads a stream decompressed. Its errors from the stream's
// content are *StreamError; an error of the reader beneath (a context's,
// a file's) is passed on as it is.
type Reader struct {
	Format Format
	src    *source
	r      io.Reader
	close  func()
	out    int64 // bytes given out
	err    error
}

// source is the reader beneath a decoder, keeping its first error that is
// not io.EOF: an error the decoder meets there is the source's, not the
// stream's, whatever the decoder makes of it. Once ctx is done, it reads
// no more and returns ctx's error: a decoder may read on for a long time
// within one Read of its own, through thousands of frames or members that
// hold nothing, and an interrupt must not wait for it.
type source struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (s *source) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		if s.err == nil {
			s.err = err
		}
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// Open reads r's first bytes to tell its format (Sniff) and returns a
// Reader of it. r is read through a small buffer: nothing it held is lost.
// Once ctx is done, the Reader reads no more of r and returns ctx's error
// (a read of r already blocked is not cut short: that is r's to do).
func Open(ctx context.Context, r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(HeadLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	format, err := Sniff(head)
	if err != nil {
		return nil, err
	}
	return NewReader(ctx, br, format)
}

// srcBuffer is how much of a compressed stream is read at a time.
const srcBuffer = 32 << 10

// NewReader returns a Reader of r as format. For gzip and zstd, the
// stream's header is read when Read first is. ctx is as for Open.
func NewReader(ctx context.Context, r io.Reader, format Format) (*Reader, error) {
	src := &source{ctx: ctx, r: r}
	d := &Reader{Format: format, src: src, close: func() {}}
	switch format {
	case Plain:
		d.r = src
	case Gzip:
		d.r = &gzipStream{br: bufio.NewReaderSize(src, srcBuffer)}
	case Zstd:
		// The decoder reads its source a header or block at a time,
		// a few bytes for a small frame: buffered, so that a file of
		// many small frames is not read in as many reads (each a few
		// system calls under a file's size checks).
		z, err := zstd.NewReader(bufio.NewReaderSize(src, srcBuffer), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(MaxWindow), zstd.WithDecoderMaxMemory(MaxWindow))
		if err != nil {
			return nil, err
		}
		d.r, d.close = z, z.Close
	}
	return d, nil
}

// gzipStream reads a gzip stream member after member (gzip -c a >> f;
// gzip -c b >> f makes two), its first header read at the first Read so
// that its error comes as the stream's others do. What follows a member
// must be another member, told by its magic, or nothing: anything else is
// errTrailing, not a member cut short.
type gzipStream struct {
	br *bufio.Reader
	z  *gzip.Reader
}

// errTrailing is bytes after the end of a stream that are not another.
var errTrailing = errors.New("bytes after the end of the stream are not another stream")

func (g *gzipStream) Read(p []byte) (int, error) {
	if g.z == nil {
		src, err := memberReader(g.br)
		if err != nil {
			return 0, err
		}
		z, err := gzip.NewReader(src)
		if err != nil {
			return 0, err
		}
		z.Multistream(false)
		g.z = z
	}
	for {
		n, err := g.z.Read(p)
		if !errors.Is(err, io.EOF) {
			return n, err
		}
		head, perr := g.br.Peek(len(magicGzip))
		switch {
		case len(head) == 0 && errors.Is(perr, io.EOF):
			return n, io.EOF
		case !bytes.Equal(head, magicGzip) && (perr == nil || errors.Is(perr, io.EOF)):
			return n, errTrailing
		case perr != nil:
			return n, perr
		}
		src, err := memberReader(g.br)
		if err != nil {
			return n, err
		}
		if err := g.z.Reset(src); err != nil {
			return n, err
		}
		g.z.Multistream(false)
		if n > 0 {
			return n, nil
		}
	}
}

// Read reads decompressed bytes. Once the stream ends (or fails), its
// decoder is released: a reader kept after its end (a first pass of
// check, while the second runs) holds no window.
func (d *Reader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	d.out += int64(n)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF) && d.src.err == nil:
		d.err = err
	case d.src.err != nil:
		d.err = d.src.err
	case d.Format == Plain:
		d.err = err
	default:
		d.err = &StreamError{Format: d.Format, Err: err, After: d.out}
	}
	d.Close()
	return n, d.err
}

// Close releases the decoder (not the reader beneath); Read then returns
// its error, or io.EOF.
func (d *Reader) Close() error {
	d.close()
	d.close, d.r = func() {}, nil
	if d.err == nil {
		d.err = io.EOF
	}
	return nil
}

// StreamError is a compressed stream that cannot be decoded: cut short,
// damaged, followed by something else, or too costly to decode. After is
// how many decompressed bytes were read before it.
type StreamError struct {
	Format Format
	Err    error
	After  int64
}

// ErrWindowTooLarge is wrapped by the StreamError of a zstd frame whose
// window is larger than MaxWindow.
var ErrWindowTooLarge = errors.New("the zstd window is too large")

func (e *StreamError) Error() string {
	f := e.Format.String()
	switch {
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("the %s stream ends in the middle: the file is truncated (cut short while it was copied, or still being written?)", f)
	case errors.Is(e.Err, zstd.ErrWindowSizeExceeded), errors.Is(e.Err, zstd.ErrDecoderSizeExceeded):
		return fmt.Sprintf("%v: a frame asks for more than %d MiB of history (made with zstd --long or --ultra?); msgread decodes windows up to %d MiB to keep its memory bounded: "+
			"recompress it with zstd -19 or a lower level, without --long", ErrWindowTooLarge, MaxWindow>>20, MaxWindow>>20)
	case errors.Is(e.Err, errTrailing), errors.Is(e.Err, zstd.ErrMagicMismatch) && e.After > 0:
		return fmt.Sprintf("the %s stream is followed by bytes that are no %s stream (garbage after its end, or a damaged file)", f, f)
	case errors.Is(e.Err, zstd.ErrUnknownDictionary):
		return "the zstd stream needs a dictionary (it was compressed with zstd -D), which msgread does not have: recompress it without -D"
	case errors.Is(e.Err, gzip.ErrChecksum), errors.Is(e.Err, zstd.ErrCRCMismatch):
		return fmt.Sprintf("the %s stream is damaged: its checksum does not match its data", f)
	}
	return fmt.Sprintf("the %s stream is damaged: %v", f, e.Err)
}

func (e *StreamError) Unwrap() []error {
	if errors.Is(e.Err, zstd.ErrWindowSizeExceeded) || errors.Is(e.Err, zstd.ErrDecoderSizeExceeded) {
		return []error{e.Err, ErrWindowTooLarge}
	}
	return []error{e.Err}
}

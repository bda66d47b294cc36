package decompress

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/gzip"
)

// gzip's header flags (RFC 1952, 2.3.1).
const (
	flagHdrCRC  = 1 << 1
	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4
)

// maxGzipString is the longest file name or comment, its NUL included,
// that the gzip decoder reads in a member's header: it refuses a longer one
// as an invalid header, though gzip(1) reads any (a 64 KB comment, say).
const maxGzipString = 512

// memberReader returns what the gzip decoder is to read the member at the
// start of br from: br itself, or, when the member's header holds a file
// name or comment longer than the decoder reads, br past that header, read
// here (its header CRC checked, if it has one), with a header before it
// that says the same less the name and comment.
func memberReader(br *bufio.Reader) (io.Reader, error) {
	if !longStrings(br) {
		return br, nil
	}
	head, err := readGzipHeader(br)
	if err != nil {
		return nil, err
	}
	return &prefixed{head: head, br: br}, nil
}

// longStrings says whether the gzip header at the start of br holds a file
// name or comment of maxGzipString bytes or more. It is false for anything
// it cannot tell (a stream cut short, not gzip): the decoder says what is
// wrong with it.
func longStrings(br *bufio.Reader) bool {
	fixed, err := br.Peek(10)
	if err != nil || fixed[3]&(flagName|flagComment) == 0 {
		return false
	}
	flg, off := fixed[3], 10
	if flg&flagExtra != 0 {
		x, err := br.Peek(off + 2)
		if err != nil {
			return false
		}
		off += 2 + int(binary.LittleEndian.Uint16(x[off:]))
	}
	for _, f := range []byte{flagName, flagComment} {
		if flg&f == 0 {
			continue
		}
		b, err := br.Peek(off + maxGzipString)
		if errors.Is(err, bufio.ErrBufferFull) {
			return true // a header larger than the buffer: read here
		}
		if len(b) <= off {
			return false
		}
		i := bytes.IndexByte(b[off:], 0)
		if i < 0 {
			return len(b) == off+maxGzipString // else cut short
		}
		off += i + 1
	}
	return false
}

// readGzipHeader reads the header of a member from br and returns it less
// its file name, comment and header CRC (which it checks).
func readGzipHeader(br *bufio.Reader) ([]byte, error) {
	crc := crc32.NewIEEE()
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, cutShort(err)
		}
		crc.Write(b)
		return b, nil
	}
	out, err := read(10)
	if err != nil {
		return nil, err
	}
	flg := out[3]
	out[3] = flg &^ (flagName | flagComment | flagHdrCRC)
	if flg&flagExtra != 0 {
		x, err := read(2)
		if err != nil {
			return nil, err
		}
		extra, err := read(int(binary.LittleEndian.Uint16(x)))
		if err != nil {
			return nil, err
		}
		out = append(append(out, x...), extra...)
	}
	for _, f := range []byte{flagName, flagComment} {
		if flg&f != 0 {
			if err := skipString(br, crc); err != nil {
				return nil, err
			}
		}
	}
	if flg&flagHdrCRC != 0 {
		want := uint16(crc.Sum32())
		sum, err := read(2)
		if err != nil {
			return nil, err
		}
		if binary.LittleEndian.Uint16(sum) != want {
			return nil, gzip.ErrHeader
		}
	}
	return out, nil
}

// skipString reads a NUL-terminated string of any length from br, adding
// it to crc.
func skipString(br *bufio.Reader, crc hash.Hash32) error {
	for {
		chunk, err := br.ReadSlice(0)
		crc.Write(chunk)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return cutShort(err)
		}
	}
}

// cutShort is err, io.EOF in the middle of a header being a stream cut
// short.
func cutShort(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// prefixed reads head, then br: a member's header rewritten, then the rest
// of the member and what follows it, byte by byte as the decoder reads
// (it is a flate.Reader, so the decoder reads no further than it needs).
type prefixed struct {
	head []byte
	br   *bufio.Reader
}

func (p *prefixed) Read(b []byte) (int, error) {
	if len(p.head) == 0 {
		return p.br.Read(b)
	}
	n := copy(b, p.head)
	p.head = p.head[n:]
	return n, nil
}

func (p *prefixed) ReadByte() (byte, error) {
	if len(p.head) == 0 {
		return p.br.ReadByte()
	}
	c := p.head[0]
	p.head = p.head[1:]
	return c, nil
}

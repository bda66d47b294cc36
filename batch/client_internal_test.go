package batch

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestReadBodyReadsAllOrTheCap(t *testing.T) {
	for _, size := range []int{0, 52, 256, 257, 1000, maxResponseBytes, maxResponseBytes + 1, 3 * maxResponseBytes} {
		body := bytes.Repeat([]byte{'x'}, size)
		// One byte a read: the buffer's growth is exercised too.
		data, ended, err := readBody(iotest.OneByteReader(bytes.NewReader(body)), make([]byte, 0, 256))
		wantLen, wantEnded := min(size, maxResponseBytes), size < maxResponseBytes
		if err != nil || len(data) != wantLen || ended != wantEnded || !bytes.Equal(data, body[:wantLen]) {
			t.Errorf("%d bytes: read %d, ended %v, err %v; want %d, %v", size, len(data), ended, err, wantLen, wantEnded)
		}
	}
	_, _, err := readBody(iotest.TimeoutReader(iotest.HalfReader(bytes.NewReader(make([]byte, 10)))), nil)
	if err == nil || errors.Is(err, io.EOF) {
		t.Errorf("a failing body: %v, want its error", err)
	}
}

package batch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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

// TestClientKeepsTheLastFewUserSigs: after renewals the client still cuts
// the UserSigs of the few calls before out of the server's text (an answer
// to a call signed before a renewal may come after it), the one in use
// first; older ones are let go.
func TestClientKeepsTheLastFewUserSigs(t *testing.T) {
	c := &Client{cfg: ClientConfig{SDKAppID: 1400000000, Admin: "admin"}}
	sig := func(i int) string { return fmt.Sprintf("eAEA%03d", i) + strings.Repeat(string(rune('a'+i)), 252) }
	var q *sigQuery
	for i := range 6 {
		q = c.nextQuery(q, sig(i))
		q = c.nextQuery(q, sig(i)) // the same UserSig again is no new one
	}
	want := []string{sig(5), sig(4), sig(3), sig(2)}
	if got := q.sent.Sigs(); !slices.Equal(got, want) {
		t.Fatalf("kept %d UserSigs %.12q, want %.12q", len(got), got, want)
	}
	if got := q.sent.Redact("expired: " + sig(2)); got != "expired: REDACTED" {
		t.Errorf("the UserSig of three renewals ago: %q", got)
	}
	if q.sig != sig(5) || !strings.Contains(q.prefix, "usersig="+sig(5)) {
		t.Errorf("the query is not the newest UserSig's: %q", q.prefix)
	}
}

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

	"github.com/msgread/msgread/batch/chatapi"
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

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct{ endpoint, want, refused string }{
		{endpoint: "https://console.tim.qq.com", want: "https://console.tim.qq.com"},
		{endpoint: "http://127.0.0.1:8080/prefix?x=1#top", want: "http://127.0.0.1:8080/prefix"},
		{endpoint: "console.tim.qq.com", refused: "is not an http(s) URL"},
		{endpoint: "ftp://x", refused: "is not an http(s) URL"},
		{endpoint: "http://", refused: "is not an http(s) URL"},
		{endpoint: "https://h" + chatapi.Path, refused: "holds the API's path: give the service's base URL, such as https://h"},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			u, err := baseURL(tc.endpoint)
			switch {
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Errorf("baseURL(%q) = %v, %v; want it refused as %q", tc.endpoint, u, err, tc.refused)
			case tc.refused == "" && (err != nil || u.String() != tc.want):
				t.Errorf("baseURL(%q) = %v, %v; want %s", tc.endpoint, u, err, tc.want)
			}
		})
	}
}

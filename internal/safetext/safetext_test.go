package safetext_test

import (
	"testing"

	"github.com/msgread/msgread/internal/safetext"
)

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"alice", "alice"},
		{"a b,c→d", "a b,c→d"},
		{"", `""`},
		{"\x1b[2Jx", `"\x1b[2Jx"`},
		{"\x1b]0;title\a", `"\x1b]0;title\a"`},
		{"a\x00b", `"a\x00b"`},
		{"zero\u200bwidth", `"zero\u200bwidth"`},
		{"\xff\xfer", `"\xff\xfer"`},
		{"tab\there", `"tab\there"`},
	} {
		if got := safetext.Quote(c.in); got != c.want {
			t.Errorf("Quote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := safetext.QuoteCut("abc\x1bdef", 4); got != `"abc\x1b"…` {
		t.Errorf("QuoteCut: %s", got)
	}
}

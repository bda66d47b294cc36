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

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain text: ok\nnext\tline":     "plain text: ok\nnext\tline",
		"rep\x1b[31m.csv already exists": `rep\x1b[31m.csv already exists`,
		"evil\x1b]0;T\a.csv":             `evil\x1b]0;T\a.csv`,
		"nul\x00 and bad \xff byte":      `nul\x00 and bad \xff byte`,
		"ünïcode → fine":                 "ünïcode → fine",
	} {
		if got := safetext.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

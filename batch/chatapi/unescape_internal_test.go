package chatapi

import "testing"

func TestUnescapeTakesOffOneLayer(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"white space goes", "a b\tc\r\nd\v\fe", "abcde"},
		{"percent", "%41%62", "Ab"},
		{"percent u", "%u0041%U0062", "Ab"},
		{"percent cut by a line break is whole for the next layer", "%4\n1", "%41"},
		{"backslash cut by a line break", "\\u00\n41", "A"},
		{"percent too short stays", "%4", "%4"},
		{"percent u too short stays", "%u004", "%u004"},
		{"HTML references", "&#65;&#x62;&amp;", "Ab&"},
		{"backslash u", `\u0041\U0062`, "Ab"},
		{"backslash x", `\x41\X62`, "Ab"},
		{"control escapes are spaces", `a\nb\rc\td\be\ff\vg`, "a b c d e f g"},
		{"quoted characters", `\\\/\"\'`, `\/"'`},
		{"unknown escape stays", `\q`, `\q`},
		{"trailing backslash stays", `a\`, `a\`},
		{"backslash u too short stays", `\u004`, `\u004`},
		{"one layer only", "%2541", "%41"},
		{"percent before backslash", `%5Cx41`, "A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unescape(tc.in); got != tc.want {
				t.Errorf("unescape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWithoutBreaksMapsBack(t *testing.T) {
	text := "ab \\ncd\n\\q"
	view, at := withoutBreaks(text)
	if string(view) != `abcd\q` {
		t.Fatalf("view = %q, want %q", view, `abcd\q`)
	}
	for i := range view {
		if text[at[i]] != view[i] {
			t.Errorf("at[%d] = %d: text has %q there, view %q", i, at[i], text[at[i]], view[i])
		}
	}
}

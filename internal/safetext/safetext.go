// Package safetext makes text from outside (an input's cells, its header)
// safe to print on a terminal: an escape sequence, a NUL or an invisible
// character in an error message could clear the screen, retitle the window
// or hide what the message says.
package safetext

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Quote returns s as it is when it is valid UTF-8 made of printable
// characters (letters, marks, numbers, punctuation, symbols and the ASCII
// space), and otherwise quoted as Go quotes it (strconv.Quote), every
// control, format or invalid byte escaped. The empty string is quoted, so
// that it is seen.
func Quote(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	return s
}

// QuoteCut is Quote of s's first max bytes, marked "…" when s was longer.
func QuoteCut(s string, max int) string {
	if len(s) <= max {
		return Quote(s)
	}
	return Quote(s[:max]) + "…"
}

// Clean returns s with every character that is not printable escaped as Go
// escapes it in a quoted string (ESC as \x1b, BEL as \a), line breaks and
// tabs kept: for whole messages that may carry outside text (a path, a
// cell) in the middle of msgread's own words.
func Clean(s string) string {
	clean := true
	for _, c := range s {
		if c == utf8.RuneError || (!unicode.IsPrint(c) && c != '\n' && c != '\t') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b []byte
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && n <= 1:
			b = append(b, `\x`...)
			b = append(b, "0123456789abcdef"[s[i]>>4], "0123456789abcdef"[s[i]&15])
		case unicode.IsPrint(c) || c == '\n' || c == '\t':
			b = append(b, s[i:i+n]...)
		default:
			q := strconv.QuoteRune(c)
			b = append(b, q[1:len(q)-1]...)
		}
		i += n
	}
	return string(b)
}

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

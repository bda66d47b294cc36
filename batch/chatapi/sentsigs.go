package chatapi

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"
)

// MinEcho is the shortest run of a UserSig's characters that SentSigs cuts
// out of the server's text: shorter runs occur by chance in any text and
// give away too little of a signature of ~256 characters to matter.
const MinEcho = 16

// Withheld is what Redact returns in place of server text that echoes a
// UserSig in a disguise it cannot cut out precisely (reversed, base64,
// escaped character by character, in pieces): the whole text goes.
const Withheld = "[server text withheld: it echoed the UserSig]"

// SentSigs are the UserSigs a client sent, for keeping them out of the
// server's text by value, whatever form the server echoes them in. Plain
// echoes (raw, after "usersig: " or "sig=", quoted, URL-escaped once or
// twice, cut by a line break) are cut out; disguised ones (see Redact)
// withhold the whole text. Each UserSig is decoded too (once, on the first
// Redact): the TLS.sig value of its JSON, from which the UserSig can be
// rebuilt, is kept out as the UserSig is. RedactURL finds only "usersig=" and its
// escapes. Its zero value and nil know no UserSig and redact nothing; it is
// safe for concurrent use.
type SentSigs struct {
	sigs []string
	once sync.Once
	// grams holds every run of MinEcho characters of each UserSig as sent
	// and as escaped; folded every run of MinEcho characters of each
	// UserSig's disguises, folded (see fold). Both are built on the first
	// Redact: most runs never need them.
	grams, folded map[string]struct{}
}

// NewSentSigs returns the set of sigs; empty ones are left out.
func NewSentSigs(sigs ...string) *SentSigs {
	s := &SentSigs{}
	for _, sig := range sigs {
		if sig != "" {
			s.sigs = append(s.sigs, sig)
		}
	}
	return s
}

// Sigs returns the UserSigs of the set, for building the next one.
func (s *SentSigs) Sigs() []string {
	if s == nil {
		return nil
	}
	return s.sigs
}

func (s *SentSigs) build() {
	s.grams = map[string]struct{}{}
	s.folded = map[string]struct{}{}
	for _, sig := range s.sigs {
		// The secrets are the UserSig itself and the HMAC inside it
		// (TLS.sig of its JSON), which with the JSON's public fields
		// rebuilds the UserSig: a server that echoes the UserSig decoded
		// gives that away.
		secrets := []string{sig}
		var raws [][]byte
		if inner, raw := innerSig(sig); inner != "" {
			secrets = append(secrets, innerForms(inner, raw)...)
			if raw != nil {
				raws = append(raws, raw)
			}
		}
		for _, secret := range secrets {
			once := url.QueryEscape(secret)
			for _, form := range []string{secret, once, lowerEscapes(once), url.QueryEscape(once), lowerEscapes(url.QueryEscape(once)), strings.ReplaceAll(secret, "/", `\/`)} {
				for i := 0; i+MinEcho <= len(form); i++ {
					s.grams[form[i:i+MinEcho]] = struct{}{}
				}
			}
			for _, form := range disguises(secret) {
				s.addFolded(form)
			}
		}
		for _, raw := range raws {
			s.addFolded(hex.EncodeToString(raw))
		}
	}
}

// addFolded adds every run of MinEcho characters of form, folded, and of
// its reverse, to s.folded.
func (s *SentSigs) addFolded(form string) {
	f := fold(nil, form)
	r := []byte(reverse(string(f)))
	for i := 0; i+MinEcho <= len(f); i++ {
		s.folded[string(f[i:i+MinEcho])] = struct{}{}
		s.folded[string(r[i:i+MinEcho])] = struct{}{}
	}
}

// maxInflated bounds what innerSig inflates: a UserSig's JSON is a few
// hundred bytes.
const maxInflated = 64 << 10

// innerSig decodes sig as a UserSig of tls-sig-api-v2 (the base64 of
// zlib-compressed JSON, "+/=" written "*-_") and returns the value of its
// "TLS.sig" field as the JSON has it (the base64 of an HMAC-SHA256) and,
// when that is standard base64, the HMAC; "" and nil if sig does not
// decode so or the value is shorter than MinEcho.
func innerSig(sig string) (string, []byte) {
	b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("*", "+", "-", "/", "_", "=").Replace(sig))
	if err != nil {
		return "", nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", nil
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, maxInflated))
	if err != nil {
		return "", nil
	}
	var doc struct {
		Sig string `json:"TLS.sig"`
	}
	if json.Unmarshal(data, &doc) != nil || len(doc.Sig) < MinEcho {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(doc.Sig)
	if err != nil {
		raw = nil
	}
	return doc.Sig, raw
}

// innerForms returns the forms of a UserSig's TLS.sig value that Redact
// looks for: as the JSON has it and, when it is the base64 of raw, that
// base64 in the standard, URL and UserSig alphabets (a run without the
// padding is a run of the padded form too).
func innerForms(inner string, raw []byte) []string {
	forms := []string{inner}
	if raw == nil {
		return forms
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding,
		base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-").WithPadding('_'),
	} {
		if e := enc.EncodeToString(raw); e != inner {
			forms = append(forms, e)
		}
	}
	return forms
}

// disguises returns the forms of sig that Redact looks for in folded
// text, each also reversed: sig itself; its base64 (standard and URL
// alphabets) as it stands alone and as it reads inside the base64 of a
// longer text (after 1 or 2 bytes, less the characters that depend on the
// bytes around it); and its hex.
func disguises(sig string) []string {
	forms := []string{sig, hex.EncodeToString([]byte(sig))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for k := 0; k < 3; k++ {
			e := enc.EncodeToString(append(make([]byte, k, k+len(sig)), sig...))
			from := 0
			if k > 0 {
				from = 4
			}
			if len(e) >= from+4 {
				forms = append(forms, e[from:len(e)-4])
			}
		}
	}
	return forms
}

// reverse returns s's bytes in reverse order (s is ASCII here).
func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// isSigChar reports whether c is in the UserSig alphabet [A-Za-z0-9*_-].
func isSigChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '*' || c == '_' || c == '-'
}

// fold appends to dst the characters of text in the UserSig alphabet,
// upper case made lower, and drops every other: what is left of a UserSig
// joined by separators, spaces or line breaks is the UserSig again. Full
// width forms (U+FF01 to U+FF5E) count as the ASCII they stand for.
func fold(dst []byte, text string) []byte {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
		} else {
			r, n := utf8.DecodeRuneInString(text[i:])
			i += n
			if r < 0xFF01 || r > 0xFF5E {
				continue
			}
			c = byte(r - 0xFEE0)
		}
		if isSigChar(c) {
			dst = append(dst, lower(c))
		}
	}
	return dst
}

// maxLayers bounds how many layers of escapes echoes takes off: each is a
// pass over the text, so the cost stays linear in it.
const maxLayers = 32

// echoes reports whether text, with up to maxLayers layers of escapes
// taken off, holds a run of MinEcho characters of a UserSig disguise once
// folded. Every layer is looked at, not only the last.
func (s *SentSigs) echoes(text string) bool {
	buf := make([]byte, 0, len(text))
	for layer := 0; ; layer++ {
		buf = fold(buf[:0], text)
		for i := 0; i+MinEcho <= len(buf); i++ {
			if _, ok := s.folded[string(buf[i:i+MinEcho])]; ok {
				return true
			}
		}
		next := unescape(text)
		if next == text || layer == maxLayers {
			return false
		}
		text = next
	}
}

// unescape takes one layer of escapes off text: ASCII white space goes
// (so that an escape cut by a line break is whole again); then percent
// escapes (%65, %u0065); then HTML character references (&#101;, &#x65;,
// &amp;); then backslash escapes (\u0065, \x65, \n, \\, \/, \").
func unescape(text string) string {
	return unescapeBackslashes(html.UnescapeString(unescapePercents(text)))
}

// unescapePercents drops text's ASCII white space and decodes its percent
// escapes (%65, %u0065).
func unescapePercents(text string) string {
	b := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		if isSpace(c) {
			continue
		}
		if c == '%' {
			if out, n := appendPercent(b, text[i:]); n > 0 {
				b, i = out, i+n-1
				continue
			}
		}
		b = append(b, c)
	}
	return string(b)
}

// appendPercent appends to b what the percent escape that s starts with
// (%65 or %u0065) stands for, and returns the bytes of s it took; b and 0
// when s does not start with one.
func appendPercent(b []byte, s string) ([]byte, int) {
	switch {
	case len(s) >= 3 && ishex(s[1]) && ishex(s[2]):
		return append(b, unhex(s[1])<<4|unhex(s[2])), 3
	case len(s) >= 6 && (s[1] == 'u' || s[1] == 'U') && allHex(s[2:6]):
		return utf8.AppendRune(b, rune(hexValue(s[2:6]))), 6
	}
	return b, 0
}

// unescapeBackslashes decodes text's backslash escapes (\u0065, \x65, \n,
// \\, \/, \"); a backslash that starts none stays.
func unescapeBackslashes(text string) string {
	b := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		if text[i] == '\\' {
			if out, n := appendBackslash(b, text[i:]); n > 0 {
				b, i = out, i+n-1
				continue
			}
		}
		b = append(b, text[i])
	}
	return string(b)
}

// appendBackslash appends to b what the backslash escape that s starts
// with stands for (a control character such as \n as a space), and
// returns the bytes of s it took; b and 0 when s does not start with one.
func appendBackslash(b []byte, s string) ([]byte, int) {
	if len(s) < 2 {
		return b, 0
	}
	switch e := s[1]; {
	case (e == 'u' || e == 'U') && len(s) >= 6 && allHex(s[2:6]):
		return utf8.AppendRune(b, rune(hexValue(s[2:6]))), 6
	case (e == 'x' || e == 'X') && len(s) >= 4 && allHex(s[2:4]):
		return append(b, byte(hexValue(s[2:4]))), 4
	case strings.IndexByte("nrtbfv", e) >= 0:
		return append(b, ' '), 2
	case strings.IndexByte(`\/"'`, e) >= 0:
		return append(b, e), 2
	}
	return b, 0
}

// isSpace reports whether c is ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !ishex(s[i]) {
			return false
		}
	}
	return true
}

func hexValue(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v<<4 | int(unhex(s[i]))
	}
	return v
}

// lowerEscapes writes the hex digits of s's percent escapes in lower case.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lower(b[i+1]), lower(b[i+2])
		}
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Redact returns text fit to report: plain echoes of the UserSigs cut
// out, or Withheld when a disguised one is left.
//
// The secrets are each UserSig and, when it decodes as a tls-sig-api-v2
// UserSig (base64 in the alphabet "*-_" of zlib-compressed JSON), the
// TLS.sig value of its JSON (the base64 of an HMAC-SHA256: with the JSON's
// public fields it rebuilds the UserSig), in the standard, URL and UserSig
// base64 alphabets. So a server that echoes the UserSig decoded, its JSON
// raw or pretty-printed or only its TLS.sig, gives nothing away.
//
// First every run of MinEcho or more characters of any of the secrets (as
// sent or URL-escaped; TLS.sig also with "/" escaped as "\/") is replaced
// by "REDACTED", whatever surrounds it. Line breaks, spaces and tabs, and
// their backslash escapes (\n, \r, \t as two characters), do not end a
// run: a UserSig cut across lines is found whole, and the breaks inside it
// go with it.
//
// Then, if what is left still echoes a secret in disguise, the whole text
// is Withheld. The text is looked at as it stands and after each of up to
// 32 layers of escapes is taken off (white space dropped, percent escapes,
// HTML character references, JSON and Go backslash escapes), each time
// folded: only the characters of the UserSig alphabet [A-Za-z0-9*_-] kept,
// in lower case. It echoes a secret if it then holds MinEcho characters in
// a row of the secret, of its base64 (standard or URL alphabet, alone or
// inside the base64 of a longer text) or of its hex, or of the hex of the
// HMAC in TLS.sig, forwards or reversed, all folded alike. So upper case,
// reversal, base64, escaping every character, and pieces shorter than
// MinEcho joined by any characters outside the alphabet are all caught.
// Not caught: pieces joined by characters of the alphabet, ROT13 and other
// letter substitutions, base32, splitting into even and odd characters,
// decimal character codes, and any other encoding.
//
// It costs a few passes over text; call it on the server text that is
// reported, not on every answer.
func (s *SentSigs) Redact(text string) string {
	if s == nil || len(s.sigs) == 0 || len(text) < MinEcho {
		return text
	}
	s.once.Do(s.build)
	// Each pass shortens the text; another may find a run that the
	// marker's own letters complete.
	for {
		out := s.redactOnce(text)
		if out == text {
			break
		}
		text = out
	}
	if s.echoes(text) {
		return Withheld
	}
	return text
}

// redactOnce replaces each run of text that s.grams covers, breaks inside
// it included, by "REDACTED".
func (s *SentSigs) redactOnce(text string) string {
	view, at := withoutBreaks(text)
	spans := s.echoSpans(view)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		b.WriteString(text[prev:at[sp.from]])
		b.WriteString("REDACTED")
		prev = at[sp.to-1] + 1
	}
	b.WriteString(text[prev:])
	return b.String()
}

// withoutBreaks returns text without its spaces, tabs and line breaks and
// their escapes \n, \r and \t (view), and for each byte of view where it
// stands in text (at).
func withoutBreaks(text string) (view []byte, at []int) {
	view = make([]byte, 0, len(text))
	at = make([]int, 0, len(text))
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case c == '\\' && i+1 < len(text) && (text[i+1] == 'n' || text[i+1] == 'r' || text[i+1] == 't'):
			i++
			continue
		default:
			view = append(view, c)
			at = append(at, i)
		}
	}
	return view, at
}

// span is the bytes [from, to) of a text.
type span struct{ from, to int }

// echoSpans returns the runs of view made of MinEcho-character runs that
// s.grams holds, overlapping or touching ones joined, in order.
func (s *SentSigs) echoSpans(view []byte) []span {
	var spans []span
	for i := 0; i+MinEcho <= len(view); i++ {
		if _, ok := s.grams[string(view[i:i+MinEcho])]; !ok {
			continue
		}
		if n := len(spans); n > 0 && i <= spans[n-1].to {
			spans[n-1].to = i + MinEcho
		} else {
			spans = append(spans, span{i, i + MinEcho})
		}
	}
	return spans
}

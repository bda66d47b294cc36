package chatapi

import (
	"net/url"
	"strings"
	"sync"
)

// MinEcho is the shortest run of a UserSig's characters that SentSigs cuts
// out of the server's text: shorter runs occur by chance in any text and
// give away too little of a signature of ~256 characters to matter.
const MinEcho = 16

// SentSigs are the UserSigs a client sent, for cutting them out of the
// server's text by value, whatever form the server echoes them in: raw,
// after "usersig: " or "sig=", quoted, URL-escaped once or twice, cut by a
// line break. RedactURL finds only "usersig=" and its escapes. Its zero
// value and nil know no UserSig and redact nothing; it is safe for
// concurrent use.
type SentSigs struct {
	sigs []string
	once sync.Once
	// grams holds every run of MinEcho characters of each UserSig as sent
	// and as escaped, built on the first Redact: most runs never need it.
	grams map[string]struct{}
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
	for _, sig := range s.sigs {
		once := url.QueryEscape(sig)
		for _, form := range []string{sig, once, lowerEscapes(once), url.QueryEscape(once), lowerEscapes(url.QueryEscape(once))} {
			for i := 0; i+MinEcho <= len(form); i++ {
				s.grams[form[i:i+MinEcho]] = struct{}{}
			}
		}
	}
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

// Redact returns text with every run of MinEcho or more characters of any
// of the UserSigs (as sent or escaped) replaced by "REDACTED", whatever
// surrounds it. Line breaks, spaces and tabs, and their backslash escapes
// (\n, \r, \t as two characters), do not end a run: a UserSig cut across
// lines is found whole, and the breaks inside it go with it. It costs a
// pass over text per cut; call it on the server text that is reported, not
// on every answer.
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
			return out
		}
		text = out
	}
}

func (s *SentSigs) redactOnce(text string) string {
	// view is text without its breaks; at maps view's bytes back to text.
	view := make([]byte, 0, len(text))
	at := make([]int, 0, len(text))
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
	type span struct{ from, to int } // in view
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

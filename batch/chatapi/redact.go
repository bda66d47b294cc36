package chatapi

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// RedactURL returns rawURL with the value of its usersig parameter replaced by
// "REDACTED", for logs and error messages. It works on text that is not a
// valid URL too, by cutting the value up to the next '&' or space.
func RedactURL(rawURL string) string {
	var b strings.Builder
	rest := rawURL
	for {
		i := strings.Index(rest, ParamUserSig+"=")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		if i > 0 && rest[i-1] != '?' && rest[i-1] != '&' {
			b.WriteString(rest[:i+len(ParamUserSig)+1])
			rest = rest[i+len(ParamUserSig)+1:]
			continue
		}
		b.WriteString(rest[:i+len(ParamUserSig)+1])
		b.WriteString("REDACTED")
		rest = rest[i+len(ParamUserSig)+1:]
		end := strings.IndexAny(rest, "&# \t\"")
		if end < 0 {
			return b.String()
		}
		rest = rest[end:]
	}
}

// BuildURL returns the request URL for endpoint (a base such as
// "https://console.tim.qq.com", optionally with a path prefix) with the query
// parameters escaped.
func BuildURL(endpoint *url.URL, sdkappid uint64, identifier, usersig string, random uint32) string {
	u := *endpoint
	u.Path = strings.TrimSuffix(u.Path, "/") + Path
	u.RawPath = ""
	q := url.Values{}
	q.Set(ParamSDKAppID, formatUint(sdkappid))
	q.Set(ParamIdentifier, identifier)
	q.Set(ParamUserSig, usersig)
	q.Set(ParamRandom, formatUint(uint64(random)))
	q.Set(ParamContentType, ContentTypeJSON)
	u.RawQuery = q.Encode()
	return u.String()
}

// sigInText finds a usersig parameter anywhere in free text, whatever
// precedes it and however its value is escaped.
var sigInText = regexp.MustCompile(`(?i)(usersig(?:=|%3D|":\s*"))[A-Za-z0-9*_\-+/=%.]+`)

// RedactText returns text from the service (an ErrorInfo, a body) made fit
// for reports and logs: any UserSig it echoes is redacted, line breaks are
// spaces, and it is cut to at most max bytes (on a rune boundary).
func RedactText(text string, max int) string {
	text = sigInText.ReplaceAllString(text, "${1}REDACTED")
	text = strings.Join(strings.Fields(text), " ")
	if len(text) <= max {
		return text
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

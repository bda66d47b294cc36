package chatapi

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// sigParam finds a usersig parameter and its value anywhere in text: in a
// URL's query (after ? or &), escaped (%3D), as a JSON field, or in free
// prose; but not inside a longer name such as "xusersig".
var sigParam = regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_])(usersig(?:=|%3D|":\s*"))[A-Za-z0-9*_\-+/=%.]+`)

// RedactURL returns rawURL with the value of its usersig parameter replaced by
// "REDACTED", for logs and error messages. It works on text that is not a
// valid URL too.
func RedactURL(rawURL string) string { return sigParam.ReplaceAllString(rawURL, "${1}${2}REDACTED") }

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

// RedactText returns text from the service (an ErrorInfo, a body) made fit
// for reports and logs: any UserSig it echoes is redacted, line breaks are
// spaces, and it is cut to at most max bytes (on a rune boundary).
func RedactText(text string, max int) string {
	text = RedactURL(text)
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

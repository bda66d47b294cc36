package chatapi

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// sigParam finds a usersig parameter and its value anywhere in text: in a
// URL's query (after ? or &, or their escapes %3F and %26), escaped (%3D),
// as a JSON field, or in free prose; but not inside a longer name such as
// "xusersig".
var sigParam = regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_]|%3F|%26)(usersig(?:=|%3D|":\s*"))[A-Za-z0-9*_\-+/=%.]+`)

// RedactURL returns rawURL with the value of its usersig parameter replaced by
// "REDACTED", for logs and error messages. It works on text that is not a
// valid URL too.
func RedactURL(rawURL string) string { return sigParam.ReplaceAllString(rawURL, "${1}${2}REDACTED") }

// RequestURL returns endpoint (a base such as "https://console.tim.qq.com",
// optionally with a path prefix) with the API's path and no query; a
// request's query is QueryPrefix and then its random number.
func RequestURL(endpoint *url.URL) *url.URL {
	u := *endpoint
	u.Path = strings.TrimSuffix(u.Path, "/") + Path
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return &u
}

// QueryPrefix returns a request's query string up to the random number,
// which the caller appends: the part that stays the same while the UserSig
// does, escaped as url.Values escapes it.
func QueryPrefix(sdkappid uint64, identifier, usersig string) string {
	return ParamSDKAppID + "=" + formatUint(sdkappid) + "&" + ParamIdentifier + "=" + url.QueryEscape(identifier) +
		"&" + ParamUserSig + "=" + url.QueryEscape(usersig) + "&" + ParamContentType + "=" + ContentTypeJSON + "&" + ParamRandom + "="
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

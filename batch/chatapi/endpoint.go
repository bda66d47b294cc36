package chatapi

import (
	"net/url"
	"regexp"
	"strings"
)

// secretName matches the names of query parameters whose values may be
// secret: a UserSig, a key, a token, a password.
var secretName = regexp.MustCompile(`(?i)sig|key|secret|token|pass|pwd|auth|cred`)

// RedactEndpoint renders an endpoint (or any URL) for output: reports,
// summaries, logs and errors all show an endpoint through it. Its userinfo,
// user name too, becomes "xxxxx"; the values of query parameters whose
// names look secret (usersig, sig, key, token, password, ...) and the
// fragment become "REDACTED", and any UserSig left is redacted as RedactURL
// does. It works on text that is not a valid URL too: when the text does
// not parse, everything between "://" and its last "@" is taken for
// userinfo, for a password holding "/", "?" or "#" unescaped breaks the
// parse.
func RedactEndpoint(endpoint string) string {
	start := 0
	if i := strings.Index(endpoint, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(endpoint) // the end of the text that may hold userinfo
	if _, err := url.Parse(endpoint); err == nil {
		// The '@' of a parsed URL's query or fragment is data (an e-mail
		// address), unless something before it is suspect: see redactQuery.
		end = start + strings.IndexAny(endpoint[start:]+"?", "?#")
	}
	if at := strings.LastIndex(endpoint[start:end], "@"); at >= 0 {
		endpoint = endpoint[:start] + "xxxxx" + endpoint[start+at:]
	}
	if i := strings.IndexAny(endpoint, "?#"); i >= 0 {
		endpoint = endpoint[:i] + redactQuery(endpoint[i:])
	}
	return RedactURL(endpoint)
}

// redactQuery redacts a URL's "?query#fragment" (either may be missing):
// the values of parameters with secret names, a parameter with no "=" but
// an "@" (the rest of a password that held a "?"), and the fragment.
func redactQuery(tail string) string {
	query, fragment, hasFragment := tail, "", false
	if i := strings.IndexByte(tail, '#'); i >= 0 {
		query, fragment, hasFragment = tail[:i], tail[i+1:], true
	}
	if strings.HasPrefix(query, "?") {
		params := strings.Split(query[1:], "&")
		for i, p := range params {
			name, _, hasValue := strings.Cut(p, "=")
			switch {
			case hasValue && secretName.MatchString(name):
				params[i] = name + "=REDACTED"
			case !hasValue && strings.Contains(p, "@"):
				params[i] = "REDACTED"
			}
		}
		query = "?" + strings.Join(params, "&")
	}
	if hasFragment && fragment != "" {
		fragment = "REDACTED"
	}
	if hasFragment {
		return query + "#" + fragment
	}
	return query
}

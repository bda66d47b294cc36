// Package chatapi is the wire contract of Tencent Cloud Chat's
// v4/openim/admin_set_msg_read: the request and response bodies, the query
// parameters, the region domains and the error-code table with each code's
// class. The client in package batch and the mock in package mockserver both
// build on it, so the two cannot disagree.
package chatapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Path is the URL path of the API.
const Path = "/v4/openim/admin_set_msg_read"

// Query parameter names. Names and values are case-sensitive.
const (
	ParamSDKAppID    = "sdkappid"
	ParamIdentifier  = "identifier"
	ParamUserSig     = "usersig"
	ParamRandom      = "random"
	ParamContentType = "contenttype"

	// ContentTypeJSON is the only value of ParamContentType.
	ContentTypeJSON = "json"
)

// Request is the JSON body of one call.
type Request struct {
	// ReportAccount is the user whose view of the conversation is marked read.
	ReportAccount string `json:"Report_Account"`
	// PeerAccount is the other user of the one-to-one conversation.
	PeerAccount string `json:"Peer_Account"`
	// MsgReadTime is a Unix time in decimal seconds; messages before it are
	// marked read. Empty means "now" and is omitted from the body.
	MsgReadTime string `json:"MsgReadTime,omitempty"`
	// TimeAsString sends MsgReadTime as a JSON string ("1700000000"), as
	// the international reference page types it; by default it goes as a
	// JSON number (1700000000), as the Chinese page revised 2025-12 and the
	// most used server SDK have it.
	TimeAsString bool `json:"-"`
}

// MarshalJSON writes the body as the service takes it: MsgReadTime a
// JSON number, or a string with TimeAsString (or when it is no decimal,
// which the client never sends).
func (r Request) MarshalJSON() ([]byte, error) {
	body := struct {
		ReportAccount string `json:"Report_Account"`
		PeerAccount   string `json:"Peer_Account"`
		MsgReadTime   any    `json:"MsgReadTime,omitempty"`
	}{ReportAccount: r.ReportAccount, PeerAccount: r.PeerAccount}
	switch {
	case r.MsgReadTime == "":
	case r.TimeAsString || !IsDecimal(r.MsgReadTime):
		body.MsgReadTime = r.MsgReadTime
	default:
		body.MsgReadTime = json.Number(r.MsgReadTime)
	}
	return json.Marshal(body)
}

// AppendJSON appends the request's JSON body to dst, byte for byte as
// MarshalJSON writes it, without reflection when its strings need no
// escaping (as valid UserIDs and times do not).
func (r Request) AppendJSON(dst []byte) []byte {
	if !jsonPlain(r.ReportAccount) || !jsonPlain(r.PeerAccount) || !jsonPlain(r.MsgReadTime) {
		b, _ := r.MarshalJSON() // three strings: it cannot fail
		return append(dst, b...)
	}
	dst = append(dst, `{"Report_Account":"`...)
	dst = append(dst, r.ReportAccount...)
	dst = append(dst, `","Peer_Account":"`...)
	dst = append(dst, r.PeerAccount...)
	switch {
	case r.MsgReadTime == "":
		return append(dst, `"}`...)
	case r.TimeAsString || !IsDecimal(r.MsgReadTime):
		dst = append(dst, `","MsgReadTime":"`...)
		dst = append(dst, r.MsgReadTime...)
		return append(dst, `"}`...)
	}
	dst = append(dst, `","MsgReadTime":`...)
	dst = append(dst, r.MsgReadTime...)
	return append(dst, '}')
}

// jsonPlain reports whether json.Marshal writes s as it is: printable
// ASCII, without the quote, the backslash and the characters it escapes
// for HTML (<, >, &).
func jsonPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// OKEnvelope is the service's answer to a call that succeeded, as it sends
// it; a decoder may take it without parsing.
var OKEnvelope = []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)

// Action statuses of a Response.
const (
	StatusOK   = "OK"
	StatusFail = "FAIL"
)

// Response is the JSON envelope of every answer. Decoders must tolerate extra
// fields: newer endpoints add RequestId.
type Response struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorInfo    string `json:"ErrorInfo"`
	ErrorCode    int    `json:"ErrorCode"`
}

// NewResponse returns the envelope the service sends for code, with the
// code's documented ErrorInfo.
func NewResponse(code int) Response {
	if code == CodeOK {
		return Response{ActionStatus: StatusOK, ErrorCode: CodeOK}
	}
	return Response{ActionStatus: StatusFail, ErrorCode: code, ErrorInfo: Lookup(code).Info}
}

// ParseSeconds reads a MsgReadTime as the wire carries it: decimal digits
// only (no sign, no spaces), within int64. ok is false for anything else.
func ParseSeconds(s string) (seconds int64, ok bool) {
	if !IsDecimal(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// IsDecimal reports whether s is a non-empty run of the digits 0-9.
func IsDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func formatUint(n uint64) string { return strconv.FormatUint(n, 10) }

// MaxUserIDBytes is the longest UserID the service accepts.
const MaxUserIDBytes = 32

// CheckUserID returns why id is not a usable UserID, or "" when it is: it
// must be 1 to 32 bytes of valid UTF-8 with no whitespace, control or
// invisible format characters (zero-width, bidirectional overrides), which
// make two different IDs look alike. The client refuses such rows before
// sending; the mock answers them as unknown accounts and stores nothing.
func CheckUserID(id string) string {
	switch {
	case id == "":
		return "is empty"
	case len(id) > MaxUserIDBytes:
		return fmt.Sprintf("is %d bytes, more than %d", len(id), MaxUserIDBytes)
	case !utf8.ValidString(id):
		return "is not valid UTF-8"
	}
	for _, c := range id {
		switch {
		case unicode.IsSpace(c):
			return fmt.Sprintf("contains whitespace (%q)", c)
		case unicode.IsControl(c):
			return fmt.Sprintf("contains a control character (%U)", c)
		case unicode.Is(unicode.Cf, c):
			return fmt.Sprintf("contains an invisible format character (%U)", c)
		}
	}
	return ""
}

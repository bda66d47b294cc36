package chatapi

import (
	"fmt"
	"sort"
)

// Class says what a caller should do with an answer.
type Class int

// The classes of API.md. The zero value is ClassOK.
const (
	// ClassOK: the row is done.
	ClassOK Class = iota
	// ClassRetry: transient; back off and try again, taking a token from the
	// same rate ceiling. Codes that also mean "slow down" have Throttle set.
	ClassRetry
	// ClassPerRow: the API refused this row for good; the run goes on.
	ClassPerRow
	// ClassRenew: the UserSig expired; sign a new one once and retry.
	ClassRenew
	// ClassFatal: every later call would fail the same way; stop the run.
	ClassFatal
)

var classNames = [...]string{"ok", "retry", "per-row", "renew", "fatal"}

// String returns the class's name as used in reports and summaries.
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("class(%d)", int(c))
	}
	return classNames[c]
}

// Code describes one error code.
type Code struct {
	Code  int
	Class Class
	// Throttle is set on retry codes that ask the caller to slow down.
	Throttle bool
	// Info is the documented ErrorInfo the service sends with the code.
	Info string
	// Hint tells an operator what to check when the code stops a run.
	Hint string
}

// Error codes that the client and the mock name directly.
const (
	CodeOK                = 0
	CodeHTTPParse         = 60002
	CodeJSONParse         = 60003
	CodeIdentifierWrong   = 60004
	CodeUserSigWrong      = 60005
	CodeSDKAppIDInvalid   = 60006
	CodeRateLimited       = 60007
	CodeServiceTimeout    = 60008
	CodeBadPath           = 60009
	CodeNotAdmin          = 60010
	CodeAppRateLimited    = 60011
	CodeSDKAppIDMissing   = 60012
	CodeSwitchTimeout     = 60014
	CodeAppDisabled       = 60016
	CodeTooManyRequests   = 60018
	CodeTooManyRequests2  = 60019
	CodePackageExpired    = 60020
	CodeIPNotAllowed      = 60021
	CodeSigExpired        = 70001
	CodeSigEmpty          = 70002
	CodeSigMalformed      = 70003
	CodeSigVerifyFailed   = 70005
	CodeSigOtherAppKey    = 70009
	CodeSigIdentifierDiff = 70013
	CodeSigAppIDDiff      = 70014
	CodeKeyNotFound       = 70016
	CodeAppIDNotFound     = 70020
	CodeSigLocked         = 70050
	CodeSigExpired2       = 70052
	CodeAccountNotFound   = 70107
	CodeInternalTimeout   = 70169
	CodeInternalTimeout2  = 70202
	CodeInvalidParameter  = 70402
	CodeRequiresAdmin     = 70403
	CodeInternalError     = 70500
	CodeBodyParse         = 90001
	CodeUnknownPeer       = 90003
	CodeUnknownReport     = 90008
)

// The documentation of 90003 and 90008 names "To_Account" and "From_Account"
// (its text was copied from the send-message API). This project assumes they
// mean the body's Peer_Account and Report_Account: this is the one place that
// mapping lives. UnknownAccountCode gives the code for a missing or unknown
// account in the named body field.
func UnknownAccountCode(field string) int {
	if field == "Peer_Account" {
		return CodeUnknownPeer
	}
	return CodeUnknownReport
}

const (
	hintKey    = "check the secret key (MSGREAD_SECRET_KEY or --secret-key-file) belongs to this SDKAppID"
	hintAdmin  = "check --admin names an app admin account of this SDKAppID"
	hintRegion = "check --region/--endpoint: the app lives in another region, or --sdkappid is wrong"
	hintApp    = "check --sdkappid and the app's status in the console"
	hintClient = "msgread built a request the service cannot parse: please report this as a bug"
)

var codes = map[int]Code{
	CodeOK:                {Class: ClassOK, Info: ""},
	CodeHTTPParse:         {Class: ClassFatal, Info: "HTTP parse error, please check the URL format", Hint: hintClient},
	CodeJSONParse:         {Class: ClassFatal, Info: "JSON parse error, please check the request body format", Hint: hintClient},
	CodeIdentifierWrong:   {Class: ClassFatal, Info: "identifier in URL is incorrect", Hint: hintAdmin},
	CodeUserSigWrong:      {Class: ClassFatal, Info: "UserSig in URL is incorrect", Hint: hintKey},
	CodeSDKAppIDInvalid:   {Class: ClassFatal, Info: "SDKAppID is invalid", Hint: hintApp},
	CodeRateLimited:       {Class: ClassRetry, Throttle: true, Info: "REST API call frequency limit exceeded, please reduce the request rate"},
	CodeServiceTimeout:    {Class: ClassRetry, Info: "service timeout or request format error, please try again later"},
	CodeBadPath:           {Class: ClassFatal, Info: "request resource error, please check the request URL", Hint: hintClient},
	CodeNotAdmin:          {Class: ClassFatal, Info: "the identifier is not an app admin", Hint: hintAdmin},
	CodeAppRateLimited:    {Class: ClassRetry, Throttle: true, Info: "SDKAppID request frequency limit exceeded, please reduce the request rate"},
	CodeSDKAppIDMissing:   {Class: ClassFatal, Info: "SDKAppID is missing from the REST API call", Hint: hintApp},
	CodeSwitchTimeout:     {Class: ClassRetry, Info: "account switching timeout"},
	CodeAppDisabled:       {Class: ClassFatal, Info: "SDKAppID has been disabled", Hint: hintApp},
	CodeTooManyRequests:   {Class: ClassRetry, Throttle: true, Info: "too many requests, please try again later"},
	CodeTooManyRequests2:  {Class: ClassRetry, Throttle: true, Info: "too many requests, please try again later"},
	CodePackageExpired:    {Class: ClassFatal, Info: "the package has expired or is not yet in effect", Hint: hintApp},
	CodeIPNotAllowed:      {Class: ClassFatal, Info: "the source IP address is not allowed", Hint: "check the app's IP allowlist in the console"},
	CodeSigExpired:        {Class: ClassRenew, Info: "UserSig has expired, please generate a new one", Hint: "check the clock of this machine, and --usersig-ttl"},
	CodeSigEmpty:          {Class: ClassFatal, Info: "UserSig is empty", Hint: hintKey},
	CodeSigMalformed:      {Class: ClassFatal, Info: "UserSig is invalid", Hint: hintKey},
	CodeSigVerifyFailed:   {Class: ClassFatal, Info: "UserSig verification failed", Hint: hintKey},
	CodeSigOtherAppKey:    {Class: ClassFatal, Info: "UserSig verification failed: signed with another key", Hint: hintKey},
	CodeSigIdentifierDiff: {Class: ClassFatal, Info: "identifier in the URL does not match the UserSig", Hint: hintAdmin},
	CodeSigAppIDDiff:      {Class: ClassFatal, Info: "SDKAppID in the URL does not match the UserSig", Hint: hintApp},
	CodeKeyNotFound:       {Class: ClassFatal, Info: "the key for this SDKAppID was not found", Hint: hintRegion},
	CodeAppIDNotFound:     {Class: ClassFatal, Info: "SDKAppID not found", Hint: hintRegion},
	CodeSigLocked:         {Class: ClassFatal, Info: "UserSig verification locked after too many failures, retry after 60 seconds", Hint: hintKey + "; then wait 60 s before the next run"},
	CodeSigExpired2:       {Class: ClassRenew, Info: "UserSig has expired, please generate a new one", Hint: "check the clock of this machine, and --usersig-ttl"},
	CodeAccountNotFound:   {Class: ClassPerRow, Info: "the account does not exist"},
	CodeInternalTimeout:   {Class: ClassRetry, Info: "server internal timeout, please try again later"},
	CodeInternalTimeout2:  {Class: ClassRetry, Info: "server internal timeout, please try again later"},
	CodeInvalidParameter:  {Class: ClassPerRow, Info: "invalid parameter"},
	CodeRequiresAdmin:     {Class: ClassFatal, Info: "this operation requires an app admin", Hint: hintAdmin},
	CodeInternalError:     {Class: ClassRetry, Info: "internal server error, please try again later"},
	CodeBodyParse:         {Class: ClassFatal, Info: "JSON request cannot be parsed", Hint: hintClient},
	CodeUnknownPeer:       {Class: ClassPerRow, Info: "Peer_Account is missing or does not exist"},
	CodeUnknownReport:     {Class: ClassPerRow, Info: "Report_Account is missing or does not exist"},
}

func init() {
	for n, c := range codes {
		c.Code = n
		codes[n] = c
	}
}

// Lookup returns the description of code. A code the table does not know is
// ClassPerRow: its row fails and the run goes on, so an unexpected answer can
// neither be retried forever nor stop a run on its own (the failure-rate
// limit still catches a flood of them).
func Lookup(code int) Code {
	if c, ok := codes[code]; ok {
		return c
	}
	return Code{Code: code, Class: ClassPerRow, Info: "unknown error code"}
}

// Known reports whether code is in the table.
func Known(code int) bool {
	_, ok := codes[code]
	return ok
}

// Codes returns every documented code, ascending.
func Codes() []Code {
	out := make([]Code, 0, len(codes))
	for _, c := range codes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

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
	// Check says what an operator should check when the code stops a run.
	Check Check
	// PerRowAfterProbe is set on a fatal code that, after the run's first
	// call was answered, says something about one row only (90001: the
	// client always sends well-formed JSON, so the service disliked that
	// row's content).
	PerRowAfterProbe bool
}

// Check names what an operator should look at when a code stops a run. Its
// String is prose that names no flag: a CLI adds its own flags by Check.
type Check int

// The checks of the fatal codes.
const (
	CheckNone      Check = iota
	CheckKey             // the secret key
	CheckAdmin           // the admin account
	CheckRegion          // the region or endpoint (and the SDKAppID)
	CheckApp             // the SDKAppID and the app's status
	CheckClient          // msgread itself built a bad request
	CheckClock           // the machine's clock and the UserSig lifetime
	CheckAllowlist       // the app's IP allowlist
	CheckEndpoint        // the endpoint's URL
)

var checkText = [...]string{
	CheckNone:      "",
	CheckKey:       "check that the secret key belongs to this SDKAppID",
	CheckAdmin:     "check that the admin account is an app admin of this SDKAppID",
	CheckRegion:    "check the region or endpoint: the app lives in another region, or the SDKAppID is wrong",
	CheckApp:       "check the SDKAppID and the app's status in the console",
	CheckClient:    "the service cannot parse msgread's request: if MsgReadTime's JSON type is the cause, send the other type; else please report this as a bug",
	CheckClock:     "check the clock of this machine and the UserSig lifetime",
	CheckAllowlist: "check the app's IP allowlist in the console",
	CheckEndpoint:  "check the endpoint: give the service's base URL (https://host), not the API's path",
}

// String returns what to check, in words.
func (c Check) String() string {
	if c < 0 || int(c) >= len(checkText) {
		return ""
	}
	return checkText[c]
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

	// Codes of the public REST error table (API.md's addendum).
	CodeSigExpiredA2     = 20002
	CodeNetworkError     = 20004
	CodeServerError      = 20005
	CodeResponseJSON     = 60013
	CodeUserIDNotString  = 60015
	CodeRequestDisabled  = 60017
	CodeAccountBlacklist = 70051
	CodeNeedsAdmin       = 90009
	CodeInternal90992    = 90992
	CodeInternal90994    = 90994
	CodeInternal90995    = 90995
	CodeInternal91000    = 91000
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

var codes = map[int]Code{
	CodeOK:                {Class: ClassOK, Info: ""},
	CodeHTTPParse:         {Class: ClassFatal, Info: "HTTP parse error, please check the URL format", Check: CheckClient},
	CodeJSONParse:         {Class: ClassFatal, Info: "JSON parse error, please check the request body format", Check: CheckClient},
	CodeIdentifierWrong:   {Class: ClassFatal, Info: "identifier in URL is incorrect", Check: CheckAdmin},
	CodeUserSigWrong:      {Class: ClassFatal, Info: "UserSig in URL is incorrect", Check: CheckKey},
	CodeSDKAppIDInvalid:   {Class: ClassFatal, Info: "SDKAppID is invalid", Check: CheckApp},
	CodeRateLimited:       {Class: ClassRetry, Throttle: true, Info: "REST API call frequency limit exceeded, please reduce the request rate"},
	CodeServiceTimeout:    {Class: ClassRetry, Info: "service timeout or request format error, please try again later"},
	CodeBadPath:           {Class: ClassFatal, Info: "request resource error, please check the request URL", Check: CheckClient},
	CodeNotAdmin:          {Class: ClassFatal, Info: "the identifier is not an app admin", Check: CheckAdmin},
	CodeAppRateLimited:    {Class: ClassRetry, Throttle: true, Info: "SDKAppID request frequency limit exceeded, please reduce the request rate"},
	CodeSDKAppIDMissing:   {Class: ClassFatal, Info: "SDKAppID is missing from the REST API call", Check: CheckApp},
	CodeSwitchTimeout:     {Class: ClassRetry, Info: "account switching timeout"},
	CodeAppDisabled:       {Class: ClassFatal, Info: "SDKAppID has been disabled", Check: CheckApp},
	CodeTooManyRequests:   {Class: ClassRetry, Throttle: true, Info: "too many requests, please try again later"},
	CodeTooManyRequests2:  {Class: ClassRetry, Throttle: true, Info: "too many requests, please try again later"},
	CodePackageExpired:    {Class: ClassFatal, Info: "the package has expired or is not yet in effect", Check: CheckApp},
	CodeIPNotAllowed:      {Class: ClassFatal, Info: "the source IP address is not allowed", Check: CheckAllowlist},
	CodeSigExpired:        {Class: ClassRenew, Info: "UserSig has expired, please generate a new one", Check: CheckClock},
	CodeSigEmpty:          {Class: ClassFatal, Info: "UserSig is empty", Check: CheckKey},
	CodeSigMalformed:      {Class: ClassFatal, Info: "UserSig is invalid", Check: CheckKey},
	CodeSigVerifyFailed:   {Class: ClassFatal, Info: "UserSig verification failed", Check: CheckKey},
	CodeSigOtherAppKey:    {Class: ClassFatal, Info: "UserSig verification failed: signed with another key", Check: CheckKey},
	CodeSigIdentifierDiff: {Class: ClassFatal, Info: "identifier in the URL does not match the UserSig", Check: CheckAdmin},
	CodeSigAppIDDiff:      {Class: ClassFatal, Info: "SDKAppID in the URL does not match the UserSig", Check: CheckApp},
	CodeKeyNotFound:       {Class: ClassFatal, Info: "the key for this SDKAppID was not found", Check: CheckRegion},
	CodeAppIDNotFound:     {Class: ClassFatal, Info: "SDKAppID not found", Check: CheckRegion},
	CodeSigLocked:         {Class: ClassFatal, Info: "UserSig verification locked after too many failures, retry after 60 seconds", Check: CheckKey},
	CodeSigExpired2:       {Class: ClassRenew, Info: "UserSig has expired, please generate a new one", Check: CheckClock},
	CodeAccountNotFound:   {Class: ClassPerRow, Info: "the account does not exist"},
	CodeInternalTimeout:   {Class: ClassRetry, Info: "server internal timeout, please try again later"},
	CodeInternalTimeout2:  {Class: ClassRetry, Info: "server internal timeout, please try again later"},
	CodeInvalidParameter:  {Class: ClassPerRow, Info: "invalid parameter"},
	CodeRequiresAdmin:     {Class: ClassFatal, Info: "this operation requires an app admin", Check: CheckAdmin},
	CodeInternalError:     {Class: ClassRetry, Info: "internal server error, please try again later"},
	CodeBodyParse:         {Class: ClassFatal, Info: "JSON request cannot be parsed", Check: CheckClient, PerRowAfterProbe: true},
	CodeSigExpiredA2:      {Class: ClassRenew, Info: "UserSig or A2 has expired", Check: CheckClock},
	CodeNetworkError:      {Class: ClassRetry, Info: "network error, please try again"},
	CodeServerError:       {Class: ClassRetry, Info: "internal server error, please try again"},
	CodeResponseJSON:      {Class: ClassRetry, Info: "response JSON error"},
	CodeUserIDNotString:   {Class: ClassPerRow, Info: "a UserID must be a string"},
	CodeRequestDisabled:   {Class: ClassFatal, Info: "the request is disabled", Check: CheckApp},
	CodeAccountBlacklist:  {Class: ClassPerRow, Info: "the account is blacklisted"},
	CodeNeedsAdmin:        {Class: ClassFatal, Info: "the request requires an app admin", Check: CheckAdmin},
	CodeInternal90992:     {Class: ClassRetry, Info: "internal error, please try again"},
	CodeInternal90994:     {Class: ClassRetry, Info: "internal error, please try again"},
	CodeInternal90995:     {Class: ClassRetry, Info: "internal error, please try again"},
	CodeInternal91000:     {Class: ClassRetry, Info: "internal error, please try again"},
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

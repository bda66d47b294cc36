package mockserver

import "net/http"

// CodeFault answers HTTP 200 with an API error code and its documented
// ErrorInfo, as the service does when it fails a request.
type CodeFault struct {
	Code int `json:"code"`
}

// Kind returns "code".
func (CodeFault) Kind() string { return FaultCode }

// Serve writes the envelope of f.Code.
func (f CodeFault) Serve(w http.ResponseWriter, _ *http.Request) { writeEnvelope(w, f.Code) }

package mockserver

import (
	"net/http"
	"strconv"
)

// truncatedEnvelope is a success envelope cut short.
const truncatedEnvelope = `{"ActionStatus":"OK","ErrorInfo":"","Err`

// MalformedFault answers HTTP 200 with JSON cut short, as a proxy that
// drops the end of a body does.
type MalformedFault struct{}

// Kind returns "malformed".
func (MalformedFault) Kind() string { return FaultMalformed }

// Serve writes the truncated envelope.
func (MalformedFault) Serve(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(truncatedEnvelope)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(truncatedEnvelope))
}

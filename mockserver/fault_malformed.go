package mockserver

import (
	"net/http"
	"strconv"
)

func init() { RegisterFault("malformed", func() Fault { return &MalformedFault{} }) }

// truncatedEnvelope is a success envelope cut short.
const truncatedEnvelope = `{"ActionStatus":"OK","ErrorInfo":"","Err`

// MalformedFault answers HTTP 200 with JSON cut short, as a proxy that
// drops the end of a body does.
type MalformedFault struct{}

// Kind returns "malformed".
func (*MalformedFault) Kind() string { return "malformed" }

// Validate accepts any MalformedFault.
func (*MalformedFault) Validate() error { return nil }

// Serve writes the truncated envelope.
func (*MalformedFault) Serve(w http.ResponseWriter, _ *http.Request) (int, bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(truncatedEnvelope)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(truncatedEnvelope))
	return 0, false
}

package mockserver

import (
	"net/http"
	"time"
)

// HangFault never answers: it waits until the client gives up (its request
// context ends), or until Max, then drops the connection. The cap keeps a
// client without a timeout from pinning the mock's goroutines forever.
type HangFault struct {
	Max time.Duration `json:"max"`
}

// Kind returns "hang".
func (HangFault) Kind() string { return FaultHang }

// Serve waits, then closes the connection without an answer.
func (f HangFault) Serve(w http.ResponseWriter, r *http.Request) {
	wait(r.Context(), f.Max)
	closeConn(w, false)
}

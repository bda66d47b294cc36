package mockserver

import (
	"errors"
	"net/http"
	"time"
)

func init() { RegisterFault("hang", func() Fault { return &HangFault{} }) }

// DefaultHangMax caps a hang when its Max is zero.
const DefaultHangMax = 60 * time.Second

// HangFault never answers: it waits until the client gives up (its request
// context ends), or until Max, then drops the connection. The cap keeps a
// client without a timeout from pinning the mock's goroutines forever.
type HangFault struct {
	// Max is DefaultHangMax when zero.
	Max Duration `json:"max,omitempty"`
}

// Kind returns "hang".
func (*HangFault) Kind() string { return "hang" }

// Validate refuses a negative cap.
func (f *HangFault) Validate() error {
	if f.Max < 0 {
		return errors.New("max must not be negative")
	}
	return nil
}

// Serve waits, on the server's clock, then closes the connection without
// an answer.
func (f *HangFault) Serve(w http.ResponseWriter, r *http.Request) (int, bool) {
	limit := time.Duration(f.Max)
	if limit == 0 {
		limit = DefaultHangMax
	}
	wait(r.Context(), clockOf(r), limit)
	closeConn(w, false)
	return 0, false
}

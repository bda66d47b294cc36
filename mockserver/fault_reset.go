package mockserver

import "net/http"

func init() { RegisterFault("reset", func() Fault { return &ResetFault{} }) }

// ResetFault drops the connection with a TCP RST and no answer: the client
// sees "connection reset by peer".
type ResetFault struct{}

// Kind returns "reset".
func (*ResetFault) Kind() string { return "reset" }

// Validate accepts any ResetFault.
func (*ResetFault) Validate() error { return nil }

// Serve hijacks the connection and closes it with linger 0.
func (*ResetFault) Serve(w http.ResponseWriter, _ *http.Request) (int, bool) {
	closeConn(w, true)
	return 0, false
}

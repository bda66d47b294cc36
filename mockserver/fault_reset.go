package mockserver

import "net/http"

// ResetFault drops the connection with a TCP RST and no answer: the client
// sees "connection reset by peer".
type ResetFault struct{}

// Kind returns "reset".
func (ResetFault) Kind() string { return FaultReset }

// Serve hijacks the connection and closes it with linger 0.
func (ResetFault) Serve(w http.ResponseWriter, _ *http.Request) { closeConn(w, true) }

package mockserver

import "net/http"

// EmptyFault closes the connection without an answer: the client sees an
// unexpected EOF.
type EmptyFault struct{}

// Kind returns "empty".
func (EmptyFault) Kind() string { return FaultEmpty }

// Serve hijacks the connection and closes it.
func (EmptyFault) Serve(w http.ResponseWriter, _ *http.Request) { closeConn(w, false) }

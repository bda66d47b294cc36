package mockserver

import "net/http"

func init() { RegisterFault("empty", func() Fault { return &EmptyFault{} }) }

// EmptyFault closes the connection without an answer: the client sees an
// unexpected EOF.
type EmptyFault struct{}

// Kind returns "empty".
func (*EmptyFault) Kind() string { return "empty" }

// Validate accepts any EmptyFault.
func (*EmptyFault) Validate() error { return nil }

// Serve hijacks the connection and closes it.
func (*EmptyFault) Serve(w http.ResponseWriter, _ *http.Request) (int, bool) {
	closeConn(w, false)
	return 0, false
}

package mockserver

import (
	"net/http"

	"github.com/msgread/msgread/batch/chatapi"
)

func init() { RegisterFault("ignore", func() Fault { return &IgnoreFault{} }) }

// IgnoreFault answers a mark-read call OK and marks nothing: the silent
// failure that only reading the counts back (msgread verify) can catch.
// It applies to admin_set_msg_read only; other APIs answer as usual.
type IgnoreFault struct{}

// Kind returns "ignore".
func (*IgnoreFault) Kind() string { return "ignore" }

// Validate accepts any IgnoreFault.
func (*IgnoreFault) Validate() error { return nil }

// Serve answers OK, as a mark would, without marking.
func (*IgnoreFault) Serve(w http.ResponseWriter, _ *http.Request) (int, bool) {
	writeEnvelope(w, chatapi.CodeOK)
	return chatapi.CodeOK, true
}

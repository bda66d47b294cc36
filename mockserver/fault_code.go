package mockserver

import (
	"fmt"
	"net/http"

	"github.com/msgread/msgread/batch/chatapi"
)

func init() { RegisterFault("code", func() Fault { return &CodeFault{} }) }

// CodeFault answers HTTP 200 with an API error code and its documented
// ErrorInfo, as the service does when it fails a request.
type CodeFault struct {
	Code int `json:"code"`
}

// Kind returns "code".
func (*CodeFault) Kind() string { return "code" }

// Validate accepts a documented, non-zero code.
func (f *CodeFault) Validate() error {
	if f.Code == 0 || !chatapi.Known(f.Code) {
		return fmt.Errorf("%d is not a documented error code", f.Code)
	}
	return nil
}

// Serve writes the envelope of f.Code.
func (f *CodeFault) Serve(w http.ResponseWriter, _ *http.Request) (int, bool) {
	writeEnvelope(w, f.Code)
	return f.Code, true
}

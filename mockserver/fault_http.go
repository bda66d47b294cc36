package mockserver

import (
	"fmt"
	"net/http"
	"strconv"
)

func init() { RegisterFault("http", func() Fault { return &HTTPFault{} }) }

// HTTPFault answers with a 5xx status and an HTML body, as a gateway in
// front of the service does when the service is unreachable.
type HTTPFault struct {
	// Status is 502 when zero.
	Status int `json:"status,omitempty"`
}

// Kind returns "http".
func (*HTTPFault) Kind() string { return "http" }

// Validate accepts a 5xx status.
func (f *HTTPFault) Validate() error {
	if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
		return fmt.Errorf("status %d is not a 5xx", f.Status)
	}
	return nil
}

// Serve writes the gateway's error page.
func (f *HTTPFault) Serve(w http.ResponseWriter, _ *http.Request) (int, bool) {
	status := f.Status
	if status == 0 {
		status = http.StatusBadGateway
	}
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	body := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
	return 0, false
}

package mockserver

import (
	"fmt"
	"net/http"
	"strconv"
)

// HTTPFault answers with a 5xx status and an HTML body, as a gateway in
// front of the service does when the service is unreachable.
type HTTPFault struct {
	Status int `json:"status"`
}

// Kind returns "http".
func (HTTPFault) Kind() string { return FaultHTTP }

// Serve writes the gateway's error page.
func (f HTTPFault) Serve(w http.ResponseWriter, _ *http.Request) {
	text := fmt.Sprintf("%d %s", f.Status, http.StatusText(f.Status))
	body := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
}

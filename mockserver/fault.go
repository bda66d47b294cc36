package mockserver

import (
	"fmt"
	"net/http"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// Fault replaces the service's answer to one request, the way a failing
// service or network would answer it.
type Fault interface {
	// Kind names the fault in stats and metrics.
	Kind() string
	// Serve answers r in the fault's way. It returns when it has answered, or
	// when r's context is done.
	Serve(w http.ResponseWriter, r *http.Request)
}

// Fault kinds, as FaultSpec.Kind names them.
const (
	FaultCode      = "code"
	FaultHTTP      = "http"
	FaultReset     = "reset"
	FaultEmpty     = "empty"
	FaultMalformed = "malformed"
	FaultHang      = "hang"
)

// FaultSpec describes a fault and how often it strikes, as scenarios write
// it in JSON: {"kind": "code", "code": 70500, "probability": 0.01}.
type FaultSpec struct {
	// Kind is one of code, http, reset, empty, malformed, hang.
	Kind string `json:"kind"`
	// Probability is the chance, per request, that this fault answers it.
	Probability float64 `json:"probability"`
	// Code is the API error code a "code" fault answers with.
	Code int `json:"code,omitempty"`
	// Status is the HTTP status of an "http" fault: 502 (default) or 503.
	Status int `json:"status,omitempty"`
	// Max caps how long a "hang" waits for the client to give up
	// (default DefaultHangMax).
	Max Duration `json:"max,omitempty"`
}

// DefaultHangMax caps a hang when its spec gives no Max.
const DefaultHangMax = 60 * time.Second

// Fault builds the fault the spec describes.
func (s FaultSpec) Fault() (Fault, error) {
	if s.Probability < 0 || s.Probability > 1 {
		return nil, fmt.Errorf("mockserver: fault %s: probability %v is not in [0, 1]", s.Kind, s.Probability)
	}
	switch s.Kind {
	case FaultCode:
		if s.Code == 0 || !chatapi.Known(s.Code) {
			return nil, fmt.Errorf("mockserver: fault code: %d is not a documented error code", s.Code)
		}
		return CodeFault{Code: s.Code}, nil
	case FaultHTTP:
		status := s.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		if status < 500 || status > 599 {
			return nil, fmt.Errorf("mockserver: fault http: status %d is not a 5xx", status)
		}
		return HTTPFault{Status: status}, nil
	case FaultReset:
		return ResetFault{}, nil
	case FaultEmpty:
		return EmptyFault{}, nil
	case FaultMalformed:
		return MalformedFault{}, nil
	case FaultHang:
		limit := time.Duration(s.Max)
		if limit == 0 {
			limit = DefaultHangMax
		}
		if limit < 0 {
			return nil, fmt.Errorf("mockserver: fault hang: max %v is negative", limit)
		}
		return HangFault{Max: limit}, nil
	}
	return nil, fmt.Errorf("mockserver: unknown fault kind %q (code, http, reset, empty, malformed, hang)", s.Kind)
}

// closeConn takes the connection from the server and closes it. With linger
// 0 the close sends a TCP RST instead of a FIN.
func closeConn(w http.ResponseWriter, linger0 bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// Not a real connection (httptest.ResponseRecorder): abort the handler
		// the way net/http documents for that.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok && linger0 {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Fault replaces the service's answer to one request, the way a failing
// service or network would answer it. Each kind is a small type in a file
// of its own with its JSON fields, and registers itself with RegisterFault.
type Fault interface {
	// Kind names the fault in scenarios, stats and metrics.
	Kind() string
	// Validate checks the fault's own settings.
	Validate() error
	// Serve answers r in the fault's way and returns the API code it
	// answered with, or ok false when it sent no envelope. It returns when
	// it has answered, or when r's context is done.
	Serve(w http.ResponseWriter, r *http.Request) (code int, ok bool)
}

var faultKinds = map[string]func() Fault{}

// RegisterFault makes a fault kind known to scenarios: newFault returns an
// empty fault (a pointer) for JSON to fill. Each fault's file calls it from
// init.
func RegisterFault(kind string, newFault func() Fault) { faultKinds[kind] = newFault }

// FaultKinds returns the registered kinds, sorted.
func FaultKinds() []string {
	kinds := make([]string, 0, len(faultKinds))
	for k := range faultKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// FaultSpec is one fault of a scenario with the chance, per request, that
// it answers. In JSON the fault's own fields stand beside its kind and
// probability: {"kind": "code", "code": 70500, "probability": 0.01}.
type FaultSpec struct {
	Fault       Fault
	Probability float64
}

// Validate checks the probability and the fault.
func (s FaultSpec) Validate() error {
	if s.Fault == nil {
		return errors.New("mockserver: a fault spec has no fault")
	}
	if !(s.Probability >= 0 && s.Probability <= 1) {
		return fmt.Errorf("mockserver: fault %s: probability %v is not in [0, 1]", s.Fault.Kind(), s.Probability)
	}
	if err := s.Fault.Validate(); err != nil {
		return fmt.Errorf("mockserver: fault %s: %w", s.Fault.Kind(), err)
	}
	return nil
}

// MarshalJSON writes the fault's fields with its kind and probability.
func (s FaultSpec) MarshalJSON() ([]byte, error) {
	fields := map[string]any{}
	if s.Fault != nil {
		own, err := json.Marshal(s.Fault)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(own, &fields); err != nil {
			return nil, err
		}
		fields["kind"] = s.Fault.Kind()
	}
	fields["probability"] = s.Probability
	return json.Marshal(fields)
}

// UnmarshalJSON reads a fault of a registered kind. A field the kind does
// not have is an error, so that a typo does not silently drop a setting.
func (s *FaultSpec) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	var kind string
	var probability float64
	if err := json.Unmarshal(fields["kind"], &kind); err != nil {
		return errors.New("mockserver: a fault needs a \"kind\"")
	}
	if raw, ok := fields["probability"]; ok {
		if err := json.Unmarshal(raw, &probability); err != nil {
			return fmt.Errorf("mockserver: fault %s: probability: %w", kind, err)
		}
	}
	delete(fields, "kind")
	delete(fields, "probability")
	newFault, ok := faultKinds[kind]
	if !ok {
		return fmt.Errorf("mockserver: unknown fault kind %q (%s)", kind, strings.Join(FaultKinds(), ", "))
	}
	own, _ := json.Marshal(fields)
	f := newFault()
	dec := json.NewDecoder(bytes.NewReader(own))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return fmt.Errorf("mockserver: fault %s: %w", kind, err)
	}
	s.Fault, s.Probability = f, probability
	return nil
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

package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// Scenario combines the mock's latency, faults and ceiling into a named
// rehearsal. It is written in JSON:
//
//	{"name": "flaky", "latency": {"kind": "lognormal", "p50": "40ms", "p99": "400ms"},
//	 "faults": [{"kind": "code", "code": 70500, "probability": 0.01}], "ceiling": 200}
type Scenario struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Latency     Latency     `json:"latency,omitempty"`
	Faults      []FaultSpec `json:"faults,omitempty"`
	// Ceiling is calls per 1-second window: 0 means DefaultCeiling, a
	// negative value none.
	Ceiling int `json:"ceiling,omitempty"`
	// CeilingCode is the answer over the ceiling: 60007 (default), 60018 or
	// 60019.
	CeilingCode int `json:"ceiling_code,omitempty"`
	// CeilingSteps makes the ceiling change over time, as what other
	// traffic on the app leaves does: "200:20s,120:20s,60:20s" is 200
	// calls a second for 20 s, then 120, then 60, repeating from the first
	// call. It replaces Ceiling.
	CeilingSteps string `json:"ceiling_steps,omitempty"`
	// CeilingKind is the limiter the ceiling is: "fixed-window" (the
	// default, per clock second), "sliding-window" (any one-second span) or
	// "token-bucket" (the ceiling's rate, up to CeilingBurst tokens; zero
	// means one second's worth).
	CeilingKind string `json:"ceiling_kind,omitempty"`
	// CeilingBurst is at most MaxCeilingBurst: a bucket that starts fuller
	// is no ceiling for hours.
	CeilingBurst int `json:"ceiling_burst,omitempty"`
	// Production is the app's own traffic on the same API, generated
	// inside the mock under the same ceiling; nil means none.
	Production *Production `json:"production,omitempty"`
	// History is each conversation's messages before the mock started,
	// which get_c2c_unread_msg_num counts; nil means DefaultHistory.
	History *History `json:"history,omitempty"`
	// Callback makes the mock call the app's webhooks at a URL; nil
	// means none.
	Callback *Callback `json:"callback,omitempty"`
}

// MaxCeilingBurst bounds a token-bucket ceiling's burst.
const MaxCeilingBurst = 1_000_000

// Validate checks the scenario's parts and that its fault probabilities add
// up to at most 1.
func (s Scenario) Validate() error {
	if s.Name == "" {
		s.Name = "(unnamed)"
	}
	if err := s.Latency.Validate(); err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	sum := 0.0
	for _, f := range s.Faults {
		if err := f.Validate(); err != nil {
			return fmt.Errorf("scenario %s: %w", s.Name, err)
		}
		sum += f.Probability
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("scenario %s: fault probabilities add up to %v, more than 1", s.Name, sum)
	}
	if s.CeilingSteps != "" {
		if _, err := ParseCeilingSteps(s.CeilingSteps); err != nil {
			return fmt.Errorf("scenario %s: %w", s.Name, err)
		}
	}
	if err := validateLimiter(s.CeilingKind, s.CeilingBurst); err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	if err := s.validateParts(); err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	switch s.CeilingCode {
	case 0, chatapi.CodeRateLimited, chatapi.CodeTooManyRequests, chatapi.CodeTooManyRequests2, chatapi.CodeAppRateLimited:
	default:
		return fmt.Errorf("scenario %s: ceiling_code %d is not a throttling code (60007, 60011, 60018, 60019)", s.Name, s.CeilingCode)
	}
	return nil
}

// validateLimiter checks a ceiling's kind and token-bucket burst.
func validateLimiter(kind string, burst int) error {
	switch kind {
	case "", CeilingFixedWindow, CeilingSlidingWindow, CeilingTokenBucket:
	default:
		return fmt.Errorf("ceiling_kind %q is not %s, %s or %s", kind, CeilingFixedWindow, CeilingSlidingWindow, CeilingTokenBucket)
	}
	if burst < 0 || burst > MaxCeilingBurst || (burst > 0 && kind != CeilingTokenBucket) {
		return fmt.Errorf("ceiling_burst %d is for a token-bucket ceiling, from 1 to %d", burst, MaxCeilingBurst)
	}
	return nil
}

// validateParts checks the parts a scenario may leave out: production
// traffic, history and callbacks.
func (s Scenario) validateParts() error {
	if s.Production != nil {
		if err := s.Production.Validate(); err != nil {
			return err
		}
	}
	if s.History != nil {
		if err := s.History.Validate(); err != nil {
			return err
		}
	}
	if s.Callback != nil {
		return s.Callback.Validate()
	}
	return nil
}

// Apply makes the scenario cfg's.
func (s Scenario) Apply(cfg *Config) { cfg.Scenario = s }

// Builtins are the scenarios available by name.
var Builtins = map[string]Scenario{
	"clean": {Name: "clean", Description: "the documented ceiling, no latency, no faults"},
	"flaky": {
		Name:        "flaky",
		Description: "about 2% retryable codes, 0.5% HTTP 502, 0.1% connection resets, lognormal latency 40 ms p50 / 400 ms p99",
		Latency:     Latency{Kind: LatencyLognormal, P50: Duration(40 * time.Millisecond), P99: Duration(400 * time.Millisecond)},
		Faults: []FaultSpec{
			{Fault: &CodeFault{Code: chatapi.CodeInternalError}, Probability: 0.008},
			{Fault: &CodeFault{Code: chatapi.CodeServiceTimeout}, Probability: 0.006},
			{Fault: &CodeFault{Code: chatapi.CodeInternalTimeout}, Probability: 0.006},
			{Fault: &HTTPFault{Status: 502}, Probability: 0.005},
			{Fault: &ResetFault{}, Probability: 0.001},
		},
	},
	"slow": {
		Name:        "slow",
		Description: "lognormal latency 300 ms p50 / 2.5 s p99",
		Latency:     Latency{Kind: LatencyLognormal, P50: Duration(300 * time.Millisecond), P99: Duration(2500 * time.Millisecond)},
	},
	"throttled": {Name: "throttled", Description: "a ceiling of 100 calls/s: a client at 200/s meets 60007", Ceiling: 100},
	"shared": {
		Name: "shared",
		Description: "the app's 200 calls/s shared with its production traffic, a day in miniature: production " +
			"at 10, 50, 90, 120, 70 and 30 calls/s (Poisson), 15 s each, repeating",
		Production: &Production{Rate: "10:15s,50:15s,90:15s,120:15s,70:15s,30:15s", Arrivals: "poisson"},
	},
	"broken-auth": {
		Name:        "broken-auth",
		Description: "every call answers 70009, as with a wrong key",
		Faults:      []FaultSpec{{Fault: &CodeFault{Code: chatapi.CodeSigOtherAppKey}, Probability: 1}},
	},
}

// BuiltinNames returns the built-in scenarios' names, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(Builtins))
	for n := range Builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LoadScenario returns the built-in scenario of that name, or reads the JSON
// file at that path. Unknown fields in the file are an error, so a typo does
// not silently drop a fault.
func LoadScenario(nameOrPath string) (Scenario, error) {
	if s, ok := Builtins[nameOrPath]; ok {
		return s, nil
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return Scenario{}, fmt.Errorf("mockserver: scenario %q is neither built in (%s) nor a readable file: %w", nameOrPath, strings.Join(BuiltinNames(), ", "), err)
	}
	return DecodeScenario(nameOrPath, data)
}

// DecodeScenario decodes a scenario file's JSON, data, read from path by
// the caller, under LoadScenario's rules.
func DecodeScenario(path string, data []byte) (Scenario, error) {
	nameOrPath := path
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("mockserver: scenario %s: %w", nameOrPath, err)
	}
	if s.Name == "" {
		s.Name = nameOrPath
	}
	return s, s.Validate()
}

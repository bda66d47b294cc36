package digest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Baseline is the summary JSON of an earlier green run, read back to
// compare a run with (--baseline): its p99, achieved rate and failure
// share are the marks a later run may not fall behind by more than a
// regression.
type Baseline struct {
	// Command is the baseline run's command ("run" or "load"), Mock its
	// bundled mock (nil: another target), ExitCode its exit.
	Command  string
	Mock     *MockInfo
	ExitCode int
	// P99 and P99Intended are its p99 latencies in milliseconds, from the
	// send and from the intended send; Rate its send rate (rows a second
	// up to its last first try; the achieved calls per second of an older
	// msgread's summary, which has none, and then RateIsAchieved is set),
	// TargetRate the rate it asked for; Failed the share of its rows sent
	// that failed or gave up; Sent those rows.
	P99, P99Intended   float64
	Rate, TargetRate   float64
	RateIsAchieved     bool
	Failed             float64
	Sent               int
	StartedAt, Version string
}

// ErrBaseline is wrapped by every refusal of a baseline file.
var ErrBaseline = errors.New("not a usable baseline")

// MaxBaselineSize bounds a baseline file: a summary JSON is a few KB.
const MaxBaselineSize = 1 << 20

// baselineDoc is what ReadBaseline needs of a summary JSON, with pointers
// for the fields that must be there.
type baselineDoc struct {
	SchemaVersion       *int           `json:"schema_version"`
	Version             string         `json:"version"`
	Command             *string        `json:"command"`
	StartedAt           string         `json:"started_at"`
	ExitCode            int            `json:"exit_code"`
	Stop                *Stop          `json:"stop"`
	Rows                map[string]int `json:"rows"`
	Calls               *Calls         `json:"calls"`
	AchievedRate        *float64       `json:"achieved_rate"`
	SendRate            *float64       `json:"send_rate"`
	TargetRate          float64        `json:"target_rate"`
	Latency             *Latency       `json:"latency"`
	LatencyFromIntended *Latency       `json:"latency_from_intended"`
	Mock                *MockInfo      `json:"mock"`
}

// ReadBaseline reads a summary JSON (Document) as a baseline. It refuses,
// wrapping ErrBaseline, what is not one: not JSON, another schema, a
// verify summary, a run that stopped early (its numbers are of part of a
// run) or that sent nothing (nothing to compare with), numbers that are
// not finite or out of range.
func ReadBaseline(r io.Reader) (Baseline, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBaselineSize+1))
	if err != nil {
		return Baseline{}, err
	}
	if len(data) > MaxBaselineSize {
		return Baseline{}, fmt.Errorf("%w: larger than %d bytes, not a summary JSON", ErrBaseline, MaxBaselineSize)
	}
	var d baselineDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return Baseline{}, fmt.Errorf("%w: not a summary JSON (%v)", ErrBaseline, err)
	}
	if err := d.check(); err != nil {
		return Baseline{}, fmt.Errorf("%w: %v", ErrBaseline, err)
	}
	sent := d.Rows["ok"] + d.Rows["failed"] + d.Rows["gave_up"]
	b := Baseline{Command: *d.Command, Mock: d.Mock, ExitCode: d.ExitCode, P99: d.Latency.P99, P99Intended: d.LatencyFromIntended.P99,
		Rate: *d.AchievedRate, TargetRate: d.TargetRate, Sent: sent, StartedAt: d.StartedAt, Version: d.Version}
	b.Failed = float64(d.Rows["failed"]+d.Rows["gave_up"]) / float64(sent)
	if d.SendRate != nil {
		b.Rate = *d.SendRate
	} else {
		b.RateIsAchieved = true
	}
	return b, nil
}

// maxBaselineValue bounds a baseline's latency (ms) and rate (calls/s):
// beyond it a number is not a measurement, and a limit made from it
// could overflow to infinity (which JSON cannot carry).
const maxBaselineValue = 1e9

// maxBaselineRows bounds a baseline's row counts: far past any migration,
// and far from the sum that would overflow (which made a negative share
// failed, and every run a regression).
const maxBaselineRows = 1e15

// minBaselineLatency is the least latency msgread measures, in
// milliseconds (1 µs): a p99 between it and 0 grows by an infinite share.
const minBaselineLatency = 1e-3

// check says what makes d no baseline; nil when it is one.
func (d baselineDoc) check() error {
	switch {
	case d.SchemaVersion == nil || d.Command == nil:
		return errors.New("not a msgread summary JSON (no schema_version or command)")
	case *d.SchemaVersion != SchemaVersion:
		return fmt.Errorf("summary schema version %d; this msgread reads version %d", *d.SchemaVersion, SchemaVersion)
	case *d.Command != "run" && *d.Command != "load" && *d.Command != "report":
		return fmt.Errorf("the summary of msgread %s, not of a run, a load test or a report", *d.Command)
	case d.Stop != nil:
		return fmt.Errorf("its %s stopped early (%s: %s): its numbers are of part of a run; give a summary of a run that ran to its end",
			*d.Command, d.Stop.Code, d.Stop.Message)
	case d.Calls == nil || d.AchievedRate == nil || d.Latency == nil || d.LatencyFromIntended == nil || d.Rows == nil:
		return errors.New("a summary JSON without its rows, calls, achieved_rate or latency")
	}
	for _, n := range []int{d.Rows["ok"], d.Rows["failed"], d.Rows["gave_up"]} {
		if n < 0 {
			return errors.New("a negative row count")
		}
		if n > maxBaselineRows {
			return fmt.Errorf("a row count of %d is not a count of rows (their sum would overflow)", n)
		}
	}
	if d.Rows["ok"]+d.Rows["failed"]+d.Rows["gave_up"] == 0 {
		return errors.New("its run sent no row (0 ok, failed or gave up): it measured nothing to compare with")
	}
	for name, v := range map[string]float64{"latency.p99_ms": d.Latency.P99, "latency_from_intended.p99_ms": d.LatencyFromIntended.P99,
		"achieved_rate": *d.AchievedRate, "target_rate": d.TargetRate, "send_rate": value(d.SendRate)} {
		if !(v >= 0 && v <= maxBaselineValue) {
			return fmt.Errorf("%s %v is not a measurement", name, v)
		}
		if strings.HasSuffix(name, "_ms") && v > 0 && v < minBaselineLatency {
			return fmt.Errorf("%s %v is below the microsecond latencies are measured to: not a measurement", name, v)
		}
	}
	return nil
}

func value(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// Compare says whether a run of command against mock (nil: not the
// bundled mock) at targetRate (0: unknown, a rate that changes) may be
// compared with b: err when not (another
// command measures latency another way; another scenario or target is
// another experiment), warnings for what differs but still compares.
func (b Baseline) Compare(command string, mock *MockInfo, targetRate float64) (warnings []string, err error) {
	switch {
	case b.Command != command:
		return nil, fmt.Errorf("%w: the summary of a %s, and this is a %s: their latencies are measured differently", ErrBaseline, b.Command, command)
	case (b.Mock == nil) != (mock == nil):
		return nil, fmt.Errorf("%w: its run called %s, and this one calls %s: another target is another experiment", ErrBaseline, mockName(b.Mock), mockName(mock))
	case b.Mock != nil && b.Mock.Scenario != mock.Scenario:
		return nil, fmt.Errorf("%w: its run had the mock's scenario %q, and this one has %q: another scenario is another experiment",
			ErrBaseline, b.Mock.Scenario, mock.Scenario)
	}
	if b.Mock != nil && b.Mock.Seed != mock.Seed {
		warnings = append(warnings, fmt.Sprintf("the baseline's mock had seed %d, this one seed %d: other draws of the same scenario, compared all the same", b.Mock.Seed, mock.Seed))
	}
	if targetRate > 0 && math.Abs(b.TargetRate-targetRate) > 0.01*max(b.TargetRate, targetRate) {
		warnings = append(warnings, fmt.Sprintf("the baseline's target rate was %.1f calls/s, this run's %.1f: the rates are compared all the same", b.TargetRate, targetRate))
	}
	if b.RateIsAchieved {
		warnings = append(warnings, "an older msgread's summary, without send_rate: this run's achieved rate is compared with its achieved rate, which the tail of retries blurs on a short run")
	}
	if b.ExitCode != 0 {
		warnings = append(warnings, fmt.Sprintf("the baseline's %s exited %d, not a green run: compared all the same", b.Command, b.ExitCode))
	}
	return warnings, nil
}

func mockName(m *MockInfo) string {
	if m == nil {
		return "another target than the bundled mock"
	}
	return fmt.Sprintf("the mock's scenario %q", m.Scenario)
}

// Regression is how much worse than a baseline a run may be, each as a
// fraction (0.1 for 10 %): its p99 higher, its send rate lower, its share
// of rows failed higher. A negative one is not compared.
type Regression struct {
	P99, Rate, Failed float64
}

// Uniform is a Regression of r for all three.
func Uniform(r float64) Regression { return Regression{P99: r, Rate: r, Failed: r} }

// BaselineCheck is a comparison with a baseline.
type BaselineCheck struct {
	Baseline      Baseline
	MaxRegression Regression
}

// verdicts compares s with the baseline: baseline_p99, baseline_rate (the
// send rate: rows a second up to the last first try) and baseline_failed,
// those compared. A baseline p99 of 0 is no mark (a p99 cannot grow by a
// share of nothing): its verdict is left out. A baseline with no failures
// makes any failure a regression.
func (c BaselineCheck) verdicts(s Summary, fromIntended bool) []Verdict {
	b, r := c.Baseline, c.MaxRegression
	var out []Verdict
	p99, base, from := s.Latency.P99, b.P99, "the send"
	if fromIntended {
		p99, base, from = s.LatencyIntended.P99, b.P99Intended, "the intended send"
	}
	if base > 0 && r.P99 >= 0 {
		limit := base * (1 + r.P99)
		out = append(out, Verdict{Name: "baseline_p99", Limit: limit, Actual: p99, OK: p99 <= limit, Baseline: ptr(base), LimitText: PercentText(r.P99),
			Text: fmt.Sprintf("p99 latency from %s was %.1f ms, %s the baseline's %.1f ms (at most %.1f ms)", from, p99, change(p99, base), base, limit)})
	}
	if r.Rate >= 0 && b.Rate > 0 { // none known (a rebuilt report's): no mark
		limit := b.Rate * (1 - r.Rate)
		rate, what := s.SendRate(), "the send rate (rows a second up to the last first try)"
		if b.RateIsAchieved {
			rate, what = s.Rate, "the achieved rate (calls a second)"
		}
		out = append(out, Verdict{Name: "baseline_rate", Limit: limit, Actual: rate, OK: rate >= limit, Baseline: ptr(b.Rate), LimitText: PercentText(r.Rate),
			Text: fmt.Sprintf("%s was %.1f, %s the baseline's %.1f (at least %.1f)", what, rate, change(rate, b.Rate), b.Rate, limit)})
	}
	if r.Failed >= 0 {
		sent, bad := s.Sent()
		share := 0.0
		if sent > 0 {
			share = float64(bad) / float64(sent)
		}
		limit := b.Failed * (1 + r.Failed)
		out = append(out, Verdict{Name: "baseline_failed", Limit: limit, Actual: share, OK: share <= limit, Baseline: ptr(b.Failed), LimitText: PercentText(r.Failed),
			Text: fmt.Sprintf("%d of %d rows sent failed or gave up (%.4f), %s the baseline's %.4f (at most %.4f)", bad, sent, share, change(share, b.Failed), b.Failed, limit)})
	}
	return out
}

func ptr(v float64) *float64 { return &v }

// change words v against base: "12.3% above", "4.0% below", "equal to";
// "above" when base is 0 (no share of nothing).
func change(v, base float64) string {
	switch {
	case v == base:
		return "equal to"
	case base == 0:
		return "above"
	case v > base:
		return PercentText((v-base)/base) + " above"
	}
	return PercentText((base-v)/base) + " below"
}

// PercentText words a fraction as a percentage, to a tenth: 0.1 is
// "10%", 0.125 "12.5%".
func PercentText(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", 100*f), "0"), ".") + "%"
}

// BaselineText is the baseline's value of a comparison with one, in its
// unit, for the HTML's side-by-side column; "" for another threshold.
func (v Verdict) BaselineText() string {
	if v.Baseline == nil {
		return ""
	}
	switch v.Name {
	case "baseline_p99":
		return fmt.Sprintf("%.1f ms", *v.Baseline)
	case "baseline_rate":
		return fmt.Sprintf("%.1f/s", *v.Baseline) // rows (send rate) or calls (an older summary's achieved rate)
	}
	return fmt.Sprintf("%.4f", *v.Baseline)
}

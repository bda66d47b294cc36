package digest

import (
	"encoding/json"
	"github.com/msgread/msgread/reports"
	"io"
	"time"
)

// SchemaVersion is the version of the summary JSON's contract (Document).
// It changes when a field is removed, renamed or changes meaning; fields
// may be added within a version, so readers should ignore unknown ones.
const SchemaVersion = 1

// Document is the summary JSON (--summary-json): the contract CI pipelines
// and dashboards read, documented in docs/report.md; a golden
// file test keeps its shape.
type Document struct {
	Head

	// InputRows counts the rows this run read (one a line, the header
	// and blank lines aside); InputRowsTotal the rows the input has: exact
	// when it was read to its end, else the file's lines after the header,
	// null when unknown (a stream not read to its end, or synthetic rows).
	InputRows      int    `json:"input_rows"`
	InputRowsTotal *int64 `json:"input_rows_total"`
	BlankLines     int    `json:"blank_lines"`
	// Rows counts the report's rows by status (every status present).
	Rows map[reports.Status]int `json:"rows"`
	// Reported + CarriedOver + NotFinished = InputRows: every row read is
	// in the report, or was done earlier and is already in the appended
	// report, or was not finished.
	Reported    int `json:"reported"`
	CarriedOver int `json:"carried_over"`
	NotFinished int `json:"not_finished"`
	// Remaining counts the input's rows with no final status from this
	// run (not finished, or never read); a resume sends them. Null when
	// the input's size is unknown and it was not read to its end.
	Remaining       *int64         `json:"remaining"`
	RowsByErrorCode map[string]int `json:"rows_by_error_code"`

	Calls Calls `json:"calls"`

	// TargetRate is the rate asked for (the profile's mean over the run),
	// AchievedRate the calls per second over the span of the calls, and
	// RateRatio their ratio. ServerCeiling is the service's own limit when
	// known (the bundled mock's), else null.
	TargetRate   float64 `json:"target_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	// SendRate is the rows sent a second from the start to the last
	// first try: the pace that the tail of retries after it does not blur
	// (a short run's AchievedRate moves with it); --baseline compares it.
	SendRate      float64  `json:"send_rate"`
	RateRatio     float64  `json:"rate_ratio"`
	Profile       string   `json:"profile"`
	ServerCeiling *float64 `json:"server_ceiling"`
	// PeakInOneSecond is the most calls started within one clock second.
	PeakInOneSecond int `json:"peak_calls_in_one_second"`
	// Throttles counts the "slow down" answers that lowered the pacer's
	// rate; LowestRate is the lowest rate it used.
	Throttles  int     `json:"throttles"`
	LowestRate float64 `json:"lowest_rate"`
	// Share is how the run shared the app's quota: safe or greedy.
	Share string `json:"share,omitempty"`
	// Quota is how much of what the service had left the run took, when
	// its ceiling is known (the bundled mock's), else null.
	Quota *QuotaUse `json:"quota"`
	// Callbacks is what the bundled mock's webhooks did (run or load
	// with --callback-url), else null.
	Callbacks *Callbacks `json:"callbacks"`
	// Latency is measured from each call's send; LatencyFromIntended
	// from its intended send time (the coordinated-omission correction).
	// LateCalls were sent more than 10 ms after their intended time.
	Latency             Latency `json:"latency"`
	LatencyFromIntended Latency `json:"latency_from_intended"`
	LateCalls           int     `json:"late_calls"`
	// Outages counts the pauses while the service could not be reached,
	// OutageSeconds their length in all.
	Outages       int     `json:"outages"`
	OutageSeconds float64 `json:"outage_seconds"`
	// Resent counts rows a resumed run sent that may have reached the API
	// before.
	Resent int `json:"resent"`
	// Thresholds lists every threshold set, held or not; empty when none.
	Thresholds []Verdict `json:"thresholds"`
	// Projection scales the run to a migration's size (load only).
	Projection *Projection `json:"projection"`
	// Mock names the bundled mock's scenario and seed when it was the
	// target, else null.
	Mock *MockInfo `json:"mock"`
	// Verify is what reading a sample of the run's ok rows back found
	// (run or load with --verify), else null.
	Verify *VerifyResult `json:"verify"`
	// Runs are the runs a summary rebuilt by msgread report covers (a
	// resume chain's, or several shards'), oldest first; absent from a
	// run's own summary.
	Runs []RunSpan `json:"runs,omitempty"`
}

// VerifyResult is the "verified" part of a run's summary: a sample of its
// ok rows read back with get_c2c_unread_msg_num.
type VerifyResult struct {
	Sample                  string `json:"sample"`
	Sampled                 int    `json:"sampled"`
	Read                    int    `json:"read"`
	Unread                  int    `json:"unread"`
	Errors                  int    `json:"errors"`
	UnreadAfterPastReadTime int    `json:"unread_after_past_read_time"`
	// Report is the verify report's path; Stopped why the verification
	// stopped early, if it did.
	Report  string `json:"report"`
	Stopped string `json:"stopped,omitempty"`
}

// Head opens every summary JSON (a run's Document, a VerifyDocument):
// which contract, which msgread, which command, when, how it ended.
type Head struct {
	SchemaVersion int       `json:"schema_version"`
	Version       string    `json:"version"`
	Command       string    `json:"command"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	WallSeconds   float64   `json:"wall_seconds"`
	// ExitCode is the process's exit status.
	ExitCode int `json:"exit_code"`
	// Stop says why the command stopped before its end; null when it ran
	// to the end of its input (or of its planned duration).
	Stop *Stop `json:"stop"`
}

// Stop is why a run stopped early: Code is stable, one of the Stop*
// constants, for programs; Message is for people.
type Stop struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// The stop codes of the summary JSON: why a run stopped early, or why a
// command ended before its run (exit codes in parentheses).
const (
	StopInterrupted    = "interrupted"     // the first interrupt: calls in flight finished (130)
	StopAborted        = "aborted"         // a second interrupt cut the calls in flight (130)
	StopFatalAnswer    = "fatal_answer"    // the API said every later call would fail (3)
	StopFailureRate    = "failure_rate"    // too many rows failed or gave up (3)
	StopResumeMismatch = "resume_mismatch" // the resumed report does not match the input (2 or 3)
	StopUnreachable    = "unreachable"     // the service never answered the first call (3)
	StopOutageBudget   = "outage_budget"   // the service stayed unreachable past the budget (3)
	StopInputError     = "input_error"     // the input cannot be read or has no usable header (2 or 3)
	StopOutputError    = "output_error"    // an output cannot be made or written (2 or 3)
	StopUnaccounted    = "unaccounted"     // a row the report cannot account for: a bug (3)
	StopUsageError     = "usage_error"     // a flag, argument or setting (2)
	StopResumeError    = "resume_error"    // the report to resume cannot be used (2)
	StopError          = "error"           // anything else (3)
	StopNotEnded       = "not_ended"       // msgread report: a chain's last run was killed, or is running (exit as its rows)
)

// Calls counts the calls made. Attempts = RowsSent + Retries, and RowsSent =
// ok + failed + gave_up + SentNotFinished: a row sent whose retry was still
// pending when the run stopped is counted, not lost.
type Calls struct {
	Attempts        int `json:"attempts"`
	Retries         int `json:"retries"`
	RowsSent        int `json:"rows_sent"`
	SentNotFinished int `json:"sent_not_finished"`
	// ByCode counts the answers of every call by error code, "http NNN",
	// "malformed" or "network"; UnknownCodes lists the codes msgread's
	// table does not know, with the server's text.
	ByCode       map[string]int    `json:"by_code"`
	UnknownCodes map[string]string `json:"unknown_codes"`
}

// MockInfo describes the bundled mock a run was aimed at.
type MockInfo struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
}

// RunInfo is what a Document says beyond the Summary's counts.
type RunInfo struct {
	Version, Command      string
	StartedAt, FinishedAt time.Time
	ExitCode              int
	Stop                  *Stop
	// TotalRows is the input's row count, negative when unknown;
	// InputEnded is set when the run read its input to the end.
	TotalRows  int64
	InputEnded bool
	// DoneAhead counts the lines done before a resumed run that it had not
	// read yet when it stopped: the report holds them already, so they
	// are not remaining.
	DoneAhead     int64
	ServerCeiling float64 // zero: unknown or none
	Projection    *Projection
	Mock          *MockInfo
	Verify        *VerifyResult
	// Runs are the runs of a rebuilt summary (msgread report).
	Runs []RunSpan
}

// NewDocument builds the summary JSON of a run.
func NewDocument(s Summary, r RunInfo) Document {
	d := Document{
		Head: Head{SchemaVersion: SchemaVersion, Version: r.Version, Command: r.Command,
			StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(), WallSeconds: s.Wall.Seconds(),
			ExitCode: r.ExitCode, Stop: r.Stop},
		InputRows: s.InputRows, BlankLines: s.BlankLines, Rows: map[reports.Status]int{},
		Reported: s.Reported, CarriedOver: s.CarriedOver, NotFinished: s.NotFinished,
		RowsByErrorCode: nonNil(s.ByCode),
		TargetRate:      s.TargetRate, AchievedRate: s.Rate, SendRate: s.SendRate(), RateRatio: s.RateRatio, Profile: s.Profile,
		PeakInOneSecond: s.PeakWindow, Throttles: s.Throttles, LowestRate: s.LowestRate, Share: s.Share, Quota: s.Quota, Callbacks: s.Callbacks,
		Latency: s.Latency, LatencyFromIntended: s.LatencyIntended, LateCalls: s.Late,
		Outages: s.Outages, OutageSeconds: s.OutageSeconds, Resent: s.Resent,
		Thresholds: s.Thresholds, Projection: r.Projection, Mock: r.Mock, Verify: r.Verify, Runs: r.Runs,
	}
	for _, st := range reports.Statuses {
		d.Rows[st] = s.ByStatus[st]
	}
	sent, _ := s.Sent()
	d.Calls = Calls{Attempts: s.Attempts, Retries: s.Retries, RowsSent: sent + s.SentNotFinished, SentNotFinished: s.SentNotFinished,
		ByCode: nonNil(s.AttemptCodes), UnknownCodes: s.UnknownCodes}
	if d.Calls.UnknownCodes == nil {
		d.Calls.UnknownCodes = map[string]string{}
	}
	if d.Thresholds == nil {
		d.Thresholds = []Verdict{}
	}
	if r.InputEnded {
		total := int64(s.InputRows)
		d.InputRowsTotal = &total
	} else if r.TotalRows >= 0 {
		total := r.TotalRows
		d.InputRowsTotal = &total
	}
	switch {
	case r.InputEnded:
		n := int64(s.NotFinished)
		d.Remaining = &n
	case r.TotalRows >= 0:
		n := max(r.TotalRows-int64(s.InputRows)-r.DoneAhead, 0) + int64(s.NotFinished)
		d.Remaining = &n
	}
	if r.ServerCeiling > 0 {
		c := r.ServerCeiling
		d.ServerCeiling = &c
	}
	return d
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// Write writes d as indented JSON and a newline.
func (d Document) Write(w io.Writer) error { return writeJSON(w, d) }

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

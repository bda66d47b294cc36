// Package reports is the report's on-disk format: the CSV report written
// and read back (Writer, ReadAll), the files of a run under one rule
// (Open, Files: never overwritten, locked, synced), a resumed report and
// its checks (Resume), the send log and the failed-rows file. How a run
// is presented (its summary, JSON, thresholds, timeline and HTML) is
// package digest, beside it.
package reports

import "time"

// Status is a row's final state in a report.
type Status string

// The statuses of a report row.
const (
	// StatusOK: the API marked the conversation read.
	StatusOK Status = "ok"
	// StatusFailed: the API refused the row for good.
	StatusFailed Status = "failed"
	// StatusGaveUp: still transient after the last retry.
	StatusGaveUp Status = "gave_up"
	// StatusInvalid: bad input, never sent.
	StatusInvalid Status = "invalid"
	// StatusSkipped: done in an earlier run.
	StatusSkipped Status = "skipped"
)

// Statuses lists every status in the order summaries show them.
var Statuses = []Status{StatusOK, StatusFailed, StatusGaveUp, StatusInvalid, StatusSkipped}

// Record is one report row.
type Record struct {
	Line          int
	ReportAccount string
	PeerAccount   string
	// MsgReadTime is the input's cell, as given.
	MsgReadTime string
	Status      Status
	// ErrorCode is the API's ErrorCode. HasCode is false when no answer
	// carried one (invalid rows, network failures); the cell is then empty.
	ErrorCode int
	HasCode   bool
	// ErrorInfo is the API's ErrorInfo, the transport error, or why the row
	// is invalid.
	ErrorInfo string
	// HTTPStatus of the last attempt; 0 (an empty cell) when none arrived.
	HTTPStatus int
	Attempts   int
	// Latency of the last attempt.
	Latency    time.Duration
	FinishedAt time.Time
	// Raw is the row's input line as the file has it, line end included,
	// for the failed-rows file; "" for synthetic rows. It is no report
	// column.
	Raw string
}

// Header is the report's header row.
var Header = []string{"line", "report_account", "peer_account", "msg_read_time", "status", "error_code", "error_info", "http_status", "attempts", "latency_ms", "finished_at"}

// NotOK counts, in counts by status, the rows that did not end well: failed,
// gave up or invalid (a run with any exits 1). Skipped rows were ok before.
func NotOK[N int | int64](by map[Status]N) N {
	return by[StatusFailed] + by[StatusGaveUp] + by[StatusInvalid]
}

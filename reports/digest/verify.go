package digest

import "io"

// VerifyDocument is the summary JSON of "msgread verify", in the style of
// the run's Document (schema_version, command, stop, exit_code): how many
// sampled rows read back read, unread or in error.
type VerifyDocument struct {
	Head

	// Report is the report verified; ReportRows its complete rows and
	// ReportDone those claimed done (ok or skipped), sampled from.
	Report     string `json:"report"`
	ReportRows int    `json:"report_rows"`
	ReportDone int    `json:"report_done"`
	Sample     string `json:"sample"`
	Seed       uint64 `json:"seed"`

	Sampled int `json:"sampled"`
	Read    int `json:"read"`
	Unread  int `json:"unread"`
	Errors  int `json:"errors"`
	// UnreadAfterPastReadTime counts the unread rows marked with a past
	// msg_read_time, whose later messages stay unread by design.
	UnreadAfterPastReadTime int `json:"unread_after_past_read_time"`
	// UnreadCounts is a histogram of the unread rows' counts ("5" is 5
	// or more); ErrorsByCode the rows in error by code.
	UnreadCounts map[string]int `json:"unread_counts"`
	ErrorsByCode map[string]int `json:"errors_by_code"`

	Calls        Calls   `json:"calls"`
	AchievedRate float64 `json:"achieved_rate"`
	Latency      Latency `json:"latency"`
}

// Write writes d as indented JSON and a newline.
func (d VerifyDocument) Write(w io.Writer) error { return writeJSON(w, d) }

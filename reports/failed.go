package reports

import (
	"bufio"
	"encoding/csv"
	"io"

	"github.com/gocarina/gocsv"
)

// FailedHeader is the header of the failed-rows file: the input's own
// columns, so the file can be fed straight back to "msgread run".
var FailedHeader = []string{"report_account", "peer_account", "msg_read_time"}

// failedRow is a row of the failed-rows file; its tags are FailedHeader.
type failedRow struct {
	ReportAccount string `csv:"report_account"`
	PeerAccount   string `csv:"peer_account"`
	MsgReadTime   string `csv:"msg_read_time"`
}

// FailedWriter writes the rows to try again in the input's format. The cells
// are written as they were in the input (not neutralised), so that a re-run
// sends exactly the same accounts. Not safe for concurrent use.
type FailedWriter struct {
	buf  *bufio.Writer
	csv  *gocsv.SafeCSVWriter
	rows [1]failedRow
}

// NewFailedWriter writes FailedHeader to w and returns the writer.
func NewFailedWriter(w io.Writer) (*FailedWriter, error) {
	buf := bufio.NewWriter(w)
	fw := &FailedWriter{buf: buf, csv: gocsv.NewSafeCSVWriter(csv.NewWriter(buf))}
	return fw, gocsv.MarshalCSV([]failedRow{}, fw.csv)
}

// Write adds the row of r. Only rows that were sent fail or give up, and
// their cells hold no line break, so each is one line.
func (w *FailedWriter) Write(r Record) error {
	w.rows[0] = failedRow{r.ReportAccount, r.PeerAccount, r.MsgReadTime}
	return gocsv.MarshalCSVWithoutHeaders(w.rows[:], w.csv)
}

// Flush writes buffered rows to the underlying writer.
func (w *FailedWriter) Flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
}

package reports

import (
	"bufio"
	"encoding/csv"
	"io"
)

// FailedHeader is the header of the failed-rows file: the input's own
// columns, so the file can be fed straight back to "msgread run".
var FailedHeader = []string{"report_account", "peer_account", "msg_read_time"}

// FailedWriter writes the rows to try again in the input's format. The cells
// are written as they were in the input (not neutralised), so that a re-run
// sends exactly the same accounts. Not safe for concurrent use.
type FailedWriter struct {
	buf *bufio.Writer
	csv *csv.Writer
}

// NewFailedWriter writes FailedHeader to w and returns the writer.
func NewFailedWriter(w io.Writer) (*FailedWriter, error) {
	buf := bufio.NewWriter(w)
	fw := &FailedWriter{buf: buf, csv: csv.NewWriter(buf)}
	return fw, fw.csv.Write(FailedHeader)
}

// Write adds the row of r.
func (w *FailedWriter) Write(r Record) error {
	return w.csv.Write([]string{r.ReportAccount, r.PeerAccount, r.MsgReadTime})
}

// Flush writes buffered rows to the underlying writer.
func (w *FailedWriter) Flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
}

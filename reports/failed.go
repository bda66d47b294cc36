package reports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"

	"github.com/gocarina/gocsv"
)

// FailedHeader is the header of a failed-rows file whose rows came from no
// input file: the input's columns, so the file can be fed to "msgread run".
var FailedHeader = []string{"report_account", "peer_account", "msg_read_time"}

// failedRow is a row of the failed-rows file; its tags are FailedHeader.
type failedRow struct {
	ReportAccount string `csv:"report_account"`
	PeerAccount   string `csv:"peer_account"`
	MsgReadTime   string `csv:"msg_read_time"`
}

// FailedWriter writes the rows to try again in the input's format, so that
// the file can be fed straight back to "msgread run". Given the input's
// header line, it copies that line and each row's input line (Record.Raw)
// byte for byte: every column, the input's spelling of the names, its
// quoting. Without it, it writes FailedHeader and each row's cells as
// they were in the input (not neutralised), so that a re-run sends
// exactly the same accounts. Not safe for concurrent use.
type FailedWriter struct {
	buf *bufio.Writer
	// raw says the input's lines are copied; eol ends a copied last line
	// that had no line end (the header's line end).
	raw  bool
	eol  string
	csv  *gocsv.SafeCSVWriter
	rows [1]failedRow
}

// NewFailedWriter writes the header to w and returns the writer: header,
// the input's header line as the file has it, when given, else
// FailedHeader.
func NewFailedWriter(w io.Writer, header []byte) (*FailedWriter, error) {
	buf := bufio.NewWriter(w)
	fw := &FailedWriter{buf: buf, csv: gocsv.NewSafeCSVWriter(csv.NewWriter(buf))}
	if len(header) == 0 {
		return fw, gocsv.MarshalCSV([]failedRow{}, fw.csv)
	}
	fw.raw, fw.eol = true, "\n"
	if bytes.HasSuffix(header, []byte("\r\n")) {
		fw.eol = "\r\n"
	}
	buf.Write(header)
	if !bytes.HasSuffix(header, []byte("\n")) {
		buf.WriteString(fw.eol)
	}
	return fw, nil
}

// Write adds the row of r. Only rows that were sent fail or give up, and
// their cells hold no line break, so each is one line.
func (w *FailedWriter) Write(r Record) error {
	if w.raw {
		w.buf.WriteString(r.Raw)
		if len(r.Raw) > 0 && r.Raw[len(r.Raw)-1] == '\n' {
			return nil
		}
		_, err := w.buf.WriteString(w.eol)
		return err
	}
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

package batch

import (
	"fmt"
	"io"
	"os"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// charts are the files a job writes beside its report: the per-second
// timeline, written as the run goes (each second once it is over, synced
// with the report), and the HTML report, written at the end. Both are made
// before the first call, so that a run never ends unable to make them.
type charts struct {
	timelinePath, htmlPath string
	timeline               *os.File
	html                   io.WriteCloser
	// tw writes the timeline; written counts the seconds it wrote, and
	// streamErr is the first error writing it met (the run goes on: its
	// report is what matters; the error is said at the end).
	tw        *digest.TimelineWriter
	written   int
	streamErr error
	// verifyPath and verify are the verify report (JobConfig.Verify), when asked for.
	verifyPath string
	verify     *os.File
}

// createCharts makes the timeline and HTML files beside the report, named
// after the run's base (files.Base: REPORT, or REPORT.N for a run
// appending to it) unless given, and notes the timeline in the report's
// send log, where msgread report finds it.
func createCharts(files *reports.Files, timeline, html string, verify bool) (c *charts, err error) {
	c = &charts{timelinePath: timeline, htmlPath: html}
	if c.timelinePath == "" {
		c.timelinePath = files.Base + reports.TimelineSuffix
	}
	if c.htmlPath == "" {
		c.htmlPath = files.Base + reports.HTMLSuffix
	}
	if c.timeline, err = files.Create(c.timelinePath, "the timeline"); err != nil {
		return c, &SetupError{What: "timeline", Stop: digest.StopOutputError, Usage: true, Err: err}
	}
	c.tw = digest.NewTimelineWriter(c.timeline)
	if err := files.NoteTimeline(c.timelinePath); err != nil {
		return c, &SetupError{What: "report", Stop: digest.StopOutputError, Usage: true, Err: err}
	}
	if c.html, err = files.Create(c.htmlPath, "the HTML report"); err != nil {
		return c, &SetupError{What: "html", Stop: digest.StopOutputError, Usage: true, Err: err}
	}
	if verify {
		c.verifyPath = files.Base + reports.VerifySuffix
		if c.verify, err = files.Create(c.verifyPath, "the verify report"); err != nil {
			return c, &SetupError{What: "verify", Stop: digest.StopOutputError, Usage: true, Err: err}
		}
	}
	return c, nil
}

// dropVerify removes the verify report when the run stopped before it.
func (c *charts) dropVerify() {
	c.verify.Close()
	os.Remove(c.verifyPath)
}

// flush writes the seconds over since the last flush (seconds from index
// c.written on) to the timeline and syncs it. After an error it writes
// nothing more.
func (c *charts) flush(seconds []digest.Second) {
	if c.streamErr != nil || len(seconds) == 0 {
		return
	}
	err := c.tw.Write(seconds)
	if err == nil {
		err = c.timeline.Sync()
	}
	if err != nil {
		c.streamErr = fmt.Errorf("writing the timeline %s: %w", c.timelinePath, err)
		return
	}
	c.written += len(seconds)
}

// finishTimeline writes the timeline's seconds not written yet (all
// holds every second of the run) and closes it. Its error says what
// could not be written.
func (c *charts) finishTimeline(all []digest.Second) error {
	if c.written < len(all) {
		c.flush(all[c.written:])
	} else {
		c.flush(nil)
	}
	err := c.streamErr
	if c.written == 0 && err == nil {
		err = c.tw.Write(nil) // the header of a timeline with no second
	}
	if cerr := c.timeline.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing the timeline %s: %w", c.timelinePath, cerr)
	}
	return err
}

// writeHTML fills the HTML report and closes it.
func (c *charts) writeHTML(page digest.Page) error {
	if err := fill(c.html, func(w io.Writer) error { return digest.WriteHTML(w, page) }); err != nil {
		return fmt.Errorf("writing the HTML report %s: %w", c.htmlPath, err)
	}
	return nil
}

// fill writes an output made before the run with write, and closes it.
func fill(out io.WriteCloser, write func(io.Writer) error) error {
	err := write(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

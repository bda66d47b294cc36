package batch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// charts are the files a job writes beside its report at the end: the
// per-second timeline and the HTML report, both made before the first
// call (so that a run never ends unable to make them).
type charts struct {
	timelinePath, htmlPath string
	timeline, html         io.WriteCloser
	// verifyPath and verify are the verify report (JobConfig.Verify), when asked for.
	verifyPath string
	verify     *os.File
}

// createCharts makes the timeline and HTML files beside the report, named
// after it unless given; an appended report's run gets charts of its own,
// the first free of REPORT.2.html, REPORT.3.html, ...
func createCharts(files *reports.Files, timeline, html string, verify bool) (c charts, err error) {
	base := strings.TrimSuffix(files.ReportPath, ".csv")
	if files.Appending {
		for n := 2; ; n++ {
			b := base + "." + strconv.Itoa(n)
			if !exists(b+".timeline.csv") && !exists(b+".html") {
				base = b
				break
			}
		}
	}
	c.timelinePath, c.htmlPath = timeline, html
	if c.timelinePath == "" {
		c.timelinePath = base + ".timeline.csv"
	}
	if c.htmlPath == "" {
		c.htmlPath = base + ".html"
	}
	if c.timeline, err = files.Create(c.timelinePath, "the timeline"); err != nil {
		return c, &SetupError{What: "timeline", Stop: digest.StopOutputError, Usage: true, Err: err}
	}
	if c.html, err = files.Create(c.htmlPath, "the HTML report"); err != nil {
		return c, &SetupError{What: "html", Stop: digest.StopOutputError, Usage: true, Err: err}
	}
	if verify {
		c.verifyPath = base + ".verify.csv"
		if c.verify, err = files.Create(c.verifyPath, "the verify report"); err != nil {
			return c, &SetupError{What: "verify", Stop: digest.StopOutputError, Usage: true, Err: err}
		}
	}
	return c, nil
}

// dropVerify removes the verify report when the run stopped before it.
func (c charts) dropVerify() {
	c.verify.Close()
	os.Remove(c.verifyPath)
}

// write fills the timeline and the HTML report and closes them. Its error
// says which could not be written.
func (c charts) write(page digest.Page) error {
	var errs []error
	if err := fill(c.timeline, func(w io.Writer) error { return digest.WriteTimeline(w, page.Timeline) }); err != nil {
		errs = append(errs, fmt.Errorf("writing the timeline %s: %w", c.timelinePath, err))
	}
	if err := fill(c.html, func(w io.Writer) error { return digest.WriteHTML(w, page) }); err != nil {
		errs = append(errs, fmt.Errorf("writing the HTML report %s: %w", c.htmlPath, err))
	}
	return errors.Join(errs...)
}

// fill writes an output made before the run with write, and closes it.
func fill(out io.WriteCloser, write func(io.Writer) error) error {
	err := write(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

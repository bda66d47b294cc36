package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports/digest"
)

// TestChartsErrorPrintedBesideTheirPaths: the timeline or HTML that could
// not be written is named after the summary, each on its own "msgread:"
// line just before the charts' paths, as before the Job (7b74695).
func TestChartsErrorPrintedBesideTheirPaths(t *testing.T) {
	e, _, errOut := testEnv(nil)
	end := &batch.Ending{Summary: digest.NewSummary(), Report: "r.csv", Timeline: "r.timeline.csv", HTML: "r.html",
		ChartsErr: errors.Join(errors.New("writing the timeline r.timeline.csv: no space"), errors.New("writing the HTML report r.html: no space"))}
	printEnding(e, end, false)
	got := errOut.String()
	summary := strings.Index(got, "summary:")
	tl := strings.Index(got, "msgread: writing the timeline r.timeline.csv: no space\n")
	html := strings.Index(got, "msgread: writing the HTML report r.html: no space\n")
	paths := strings.Index(got, "  timeline: ")
	if summary < 0 || tl < summary || html < tl || paths < html {
		t.Errorf("stderr:\n%s\nwant the summary, then each chart's error on a msgread: line, then the paths", got)
	}
}

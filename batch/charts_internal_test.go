package batch

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

type answerOK struct{}

func (answerOK) MarkRead(context.Context, chatapi.Request) Result {
	return Result{Class: chatapi.ClassOK}
}

// failingFile is a chart file whose writes fail, as on a full disk.
type failingFile struct{}

func (failingFile) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }
func (failingFile) Close() error              { return nil }

// TestChartsErrorIsTheEndingsNotANote: an HTML that cannot be written at
// the end is in the Ending (ChartsErr, and the stop when nothing else
// stopped the run) for the caller to print beside the charts' paths, as
// msgread always printed it: after the summary, not as a note before it.
func TestChartsErrorIsTheEndingsNotANote(t *testing.T) {
	dir := t.TempDir()
	src, err := NewSynthetic(GenConfig{Rows: 3, Users: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Caller = answerOK{}
	var notes []string
	job, err := OpenJob(context.Background(), JobConfig{Command: "load", Runner: cfg, Source: src, Rows: 3,
		Files: reports.Plan{Report: filepath.Join(dir, "r.csv"), NoFailed: true}, Notes: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatal(err)
	}
	job.charts.html.Close()
	job.charts.html = failingFile{}
	end := job.Run(context.Background())
	if end.ChartsErr == nil || !strings.Contains(end.ChartsErr.Error(), "writing the HTML report") {
		t.Errorf("ChartsErr %v, want the HTML's", end.ChartsErr)
	}
	if end.Stop == nil || end.Stop.Code != digest.StopOutputError {
		t.Errorf("stop %v, want output_error", end.Stop)
	}
	for _, n := range notes {
		if strings.Contains(n, "HTML") {
			t.Errorf("the charts' error was also a note: %q", n)
		}
	}
}

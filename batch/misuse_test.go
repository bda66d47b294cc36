package batch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
)

// okCaller answers every call ok, at once.
type okCaller struct{}

func (okCaller) MarkRead(context.Context, chatapi.Request) batch.Result {
	return batch.Result{Class: chatapi.ClassOK}
}

// TestOpenJobWithoutRowsIsRefused: a JobConfig with neither Input nor
// Source is refused by OpenJob, before any file is made, rather than
// opened and then crashing the process in its first worker.
func TestOpenJobWithoutRowsIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := batch.DefaultConfig()
	cfg.Caller = okCaller{}
	job, err := batch.OpenJob(context.Background(), batch.JobConfig{Command: "run", Runner: cfg, Files: reports.Plan{Report: filepath.Join(dir, "r.csv")}})
	var setup *batch.SetupError
	if job != nil || !errors.As(err, &setup) || !errors.Is(err, batch.ErrNoRows) || !setup.Usage {
		t.Fatalf("OpenJob without rows: %v, %v; want a usage *SetupError wrapping ErrNoRows", job, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a refused job left %d files", len(ents))
	}
}

// TestRunWithoutFeedOrOutputIsRefused: Runner.Run and Engine.Run given a
// nil source, feed, output or sink return ErrNoRows instead of a panic in
// a worker goroutine, and the runner may still run once.
func TestRunWithoutFeedOrOutputIsRefused(t *testing.T) {
	cfg := batch.DefaultConfig()
	cfg.Caller = okCaller{}
	r, err := batch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), nil, &printed{}); !errors.Is(err, batch.ErrNoRows) {
		t.Errorf("Runner.Run with a nil Source: %v, want ErrNoRows", err)
	}
	in, _ := batch.NewInput(strings.NewReader("report_account,peer_account\na,b\n"))
	if _, err := r.Run(context.Background(), in, nil); !errors.Is(err, batch.ErrNoRows) {
		t.Errorf("Runner.Run with a nil Output: %v, want ErrNoRows", err)
	}
	if _, err := r.Engine.Run(context.Background(), nil, nil); !errors.Is(err, batch.ErrNoRows) {
		t.Errorf("Engine.Run with a nil Feed: %v, want ErrNoRows", err)
	}
	sum, err := r.Run(context.Background(), in, &printed{})
	if err != nil || sum.ByStatus[reports.StatusOK] != 1 {
		t.Errorf("the run after the refusals: %v, %v ok", err, sum.ByStatus[reports.StatusOK])
	}
}

// TestJobRunsOnce: a second Job.Run ends at once with ErrRanTwice and
// sends nothing.
func TestJobRunsOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.csv")
	os.WriteFile(path, []byte("report_account,peer_account\na,b\n"), 0o600)
	in, err := batch.OpenInput(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cfg := batch.DefaultConfig()
	cfg.Caller = okCaller{}
	job, err := batch.OpenJob(context.Background(), batch.JobConfig{Command: "run", Runner: cfg, Input: in, Files: reports.Plan{Report: filepath.Join(dir, "r.csv")}})
	if err != nil {
		t.Fatal(err)
	}
	if end := job.Run(context.Background()); end.Err != nil || end.Summary.ByStatus[reports.StatusOK] != 1 {
		t.Fatalf("first run: %v, %v ok", end.Err, end.Summary.ByStatus[reports.StatusOK])
	}
	if end := job.Run(context.Background()); !errors.Is(end.Err, batch.ErrRanTwice) || end.Stop == nil || end.Summary.Attempts != 0 {
		t.Errorf("second run: %v, stop %v, %d attempts; want ErrRanTwice and no call", end.Err, end.Stop, end.Summary.Attempts)
	}
}

// TestDefaultConfigRefusalsNameTheSetting: a DefaultConfig whose Workers,
// FlushEvery or Retries a user set to what cannot work is refused with
// the setting named, not sent back to the DefaultConfig it came from.
func TestDefaultConfigRefusalsNameTheSetting(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*batch.Config)
		want string
	}{
		{"workers 0", func(c *batch.Config) { c.Workers = 0 }, "workers 0 must be positive"},
		{"flush 0", func(c *batch.Config) { c.FlushEvery = 0 }, "flush interval 0s must be positive"},
		{"retries -1", func(c *batch.Config) { c.Retries = -1 }, "retries must not be negative"},
	} {
		cfg := batch.DefaultConfig()
		cfg.Caller = okCaller{}
		c.set(&cfg)
		if _, err := batch.New(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

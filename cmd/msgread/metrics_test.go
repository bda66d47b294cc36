package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRunnerMetricsMidRun scrapes a run's /metrics while it runs: rows by
// status, the rows remaining and the ETA are there and move; the JSON log
// lines are one object a line.
func TestRunnerMetricsMidRun(t *testing.T) {
	dir := t.TempDir()
	var in strings.Builder
	in.WriteString("report_account,peer_account\n")
	for i := range 400 {
		fmt.Fprintf(&in, "u%d,p%d\n", i, i)
	}
	input := writeFile(t, dir, "in.csv", in.String())
	e, _, errOut := testEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// greedy: 100/s from the first call, so the ETA has a known pace
		// (safe ramps up from 30/s over its first seconds).
		done <- run(ctx, []string{"run", "--mock", "--rate", "100", "--share", "greedy", "--metrics-addr", "127.0.0.1:0", "--progress", "log",
			"--log-every", "1s", "--log-format", "json", "--report", filepath.Join(dir, "r.csv"), input}, e)
	}()
	urlRE := regexp.MustCompile(`metrics at (http://127\.0\.0\.1:\d+/metrics)`)
	deadline := time.Now().Add(10 * time.Second)
	var url string
	for url == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no metrics URL on stderr:\n%s", errOut)
		}
		if m := urlRE.FindStringSubmatch(errOut.String()); m != nil {
			url = m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	value := func(text, series string) (float64, bool) {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	var text string
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no ETA while the run went on; last scrape:\n%s", text)
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text = string(body)
		ok, _ := value(text, `msgread_rows_total{status="ok"}`)
		eta, hasETA := value(text, "msgread_eta_seconds")
		if ok > 0 && hasETA && eta > 0 {
			left, _ := value(text, "msgread_rows_remaining")
			if left <= 0 || left >= 400 || left+ok > 400 {
				t.Errorf("rows remaining %v with %v ok of 400", left, ok)
			}
			if eta > left/50 || eta < left/200 {
				t.Errorf("ETA %v s for %v rows at 100/s", eta, left)
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{`msgread_calls_total{class="ok",code="0"}`, "msgread_target_rate_calls_per_second 100", "msgread_input_rows 400",
		"msgread_call_duration_seconds_bucket{le=", "msgread_start_time_seconds", "msgread_calls_in_flight", `msgread_build_info{command="run"`,
		"msgread_pacer_rate_calls_per_second", "msgread_retries_total 0", "msgread_throttle_events_total 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for !strings.Contains(errOut.String(), `"msg":"progress"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(errOut.String(), `"msg":"progress"`) {
		t.Errorf("no JSON progress line on stderr within the deadline:\n%s", errOut)
	}
	cancel()
	if err := <-done; exitCode(err) != exitInterrupted {
		t.Errorf("exit %d (%v) after the interrupt", exitCode(err), err)
	}
	for _, name := range []string{"r.timeline.csv", "r.html"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("run did not write %s: %v", name, err)
		}
	}
	lines := 0
	for _, line := range strings.Split(errOut.String(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] != "progress" || rec["time"] == nil || rec["done"] == nil || rec["input_rows"] != 400.0 {
			t.Errorf("JSON log line %q: %v", line, err)
		}
		lines++
	}
	if lines == 0 {
		t.Errorf("no JSON log line in:\n%s", errOut)
	}
}

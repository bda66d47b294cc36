package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
)

// TestHeadlineNamesAStandaloneMocksSeed: a run against a standalone mock
// of seed 7 (not the run's own --seed default of 1) opens its text summary
// and its HTML with the headline, naming the mock's scenario and seed, and
// shows no projection (a run has none).
func TestHeadlineNamesAStandaloneMocksSeed(t *testing.T) {
	cfg := mockserver.Config{Key: chatapi.NewSecret(testKey), Seed: 7}
	mockserver.Builtins["flaky"].Apply(&cfg)
	srv := startMock(t, cfg)
	dir := t.TempDir()
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "1000", "--progress", "none",
		"--report", filepath.Join(dir, "r.csv"), "--summary-json", filepath.Join(dir, "r.json"), writeInput(t, 50)}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	text := errOut.String()
	head := strings.Index(text, "headline:\n  against:    the mock at "+srv.URL()+": scenario flaky, seed 7\n  rows:       50: 50 ok\n  rate:")
	if head < 0 || head > strings.Index(text, "summary: 50 rows") {
		t.Errorf("the text summary does not open with the headline naming the mock's seed:\n%s", text)
	}
	html := mustRead(t, filepath.Join(dir, "r.html"))
	if !regexp.MustCompile(`<body>\s*<h1>[^<]*</h1>\s*<table id="headline">\s*<tr><th>against</th><td>the mock at [^<]*: scenario flaky, seed 7</td>`).MatchString(html) {
		t.Errorf("the HTML does not open with the headline naming the mock's seed:\n%.1500s", html)
	}
	for _, out := range []string{text, html} {
		if strings.Contains(out, "projection") {
			t.Errorf("a run shows a projection")
		}
	}
	var doc digest.Document
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(dir, "r.json"))), &doc); err != nil || doc.Mock == nil || *doc.Mock != (digest.MockInfo{Scenario: "flaky", Seed: 7}) {
		t.Errorf("the summary JSON's mock: %+v (%v)", doc.Mock, err)
	}
}

// TestHeadlineOfAnotherEndpoint: an endpoint that is no msgread mock is
// named as external, with no scenario or seed; a load test's headline has
// its projection and its thresholds' verdict.
func TestHeadlineOfAnotherEndpoint(t *testing.T) {
	api := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey)})
	// A proxy that passes the API's calls and nothing else, as a real
	// service's gateway would.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v4/") {
			http.NotFound(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	dir := t.TempDir()
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"load", "--endpoint", proxy.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--rows", "30", "--rate", "1000", "--progress", "none", "--max-gave-up", "0",
		"--report", filepath.Join(dir, "r.csv"), "--summary-json", filepath.Join(dir, "r.json")}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, want := range []string{"  against:    external endpoint " + proxy.URL + "\n", "  thresholds: all 1 held\n", "  projection: 10000000 rows would take"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("the headline has no %q:\n%s", want, errOut)
		}
	}
	if html := mustRead(t, filepath.Join(dir, "r.html")); !strings.Contains(html, "<tr><th>against</th><td>external endpoint "+proxy.URL+"</td>") {
		t.Errorf("the HTML does not name the external endpoint")
	}
	if doc := mustRead(t, filepath.Join(dir, "r.json")); !strings.Contains(doc, `"mock": null`) {
		t.Errorf("an external endpoint has a mock in the summary JSON")
	}
}

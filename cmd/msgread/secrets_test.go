package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dropping answers every call with OK, except those for the Report_Account
// "drop", whose connection it closes without an answer.
func dropping(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"drop"`) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		io.WriteString(w, okBody)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// outputs returns stdout, stderr and every file under dir, as one text.
func outputs(t *testing.T, dir string, streams ...*syncBuffer) string {
	t.Helper()
	var all strings.Builder
	for _, s := range streams {
		all.WriteString(s.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3 {
		t.Errorf("%d files written, want the report and the files beside it", len(entries))
	}
	for _, en := range entries {
		data, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	return all.String()
}

// TestEndpointSecretsStayOutOfEveryOutput: the user name, the password and
// a secret-looking query of --endpoint reach no output of run or load:
// stderr and its log lines, the report, the failed rows (which quote a
// network error naming the URL), the timeline, the HTML report and the
// summary JSON.
func TestEndpointSecretsStayOutOfEveryOutput(t *testing.T) {
	srv := dropping(t)
	ep := strings.Replace(srv.URL, "http://", "http://opsuser:hunter2@", 1) + "/?token=hunter3"
	secrets := []string{"opsuser", "hunter2", "hunter3"}
	t.Run("run", func(t *testing.T) {
		dir := t.TempDir()
		in := writeInput(t, 3, "drop,p,")
		e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), []string{"run", "--endpoint", ep, "--retries", "0", "--progress", "log", "--log-every", "1s",
			"--report", filepath.Join(dir, "r.csv"), "--summary-json", filepath.Join(dir, "s.json"), in}, e)
		if exitCode(err) != exitRowsFailed {
			t.Fatalf("exit %d (%v), want 1: the dropped row gave up\n%s", exitCode(err), err, errOut)
		}
		all := outputs(t, dir, out, errOut)
		for _, s := range secrets {
			if strings.Contains(all, s) {
				t.Errorf("%q reached an output:\n%s", s, all)
			}
		}
		if !strings.Contains(all, "xxxxx@") || !strings.Contains(all, "token=REDACTED") {
			t.Errorf("the endpoint is not shown masked:\n%s", all)
		}
	})
	t.Run("load", func(t *testing.T) {
		dir := t.TempDir()
		e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), []string{"load", "--endpoint", ep, "--rate", "1000", "--rows", "20", "--progress", "log",
			"--log-format", "json", "--report", filepath.Join(dir, "r.csv"), "--summary-json", filepath.Join(dir, "s.json")}, e)
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		all := outputs(t, dir, out, errOut)
		for _, s := range secrets {
			if strings.Contains(all, s) {
				t.Errorf("%q reached an output:\n%s", s, all)
			}
		}
	})
}

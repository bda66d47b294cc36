package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
		err := run(context.Background(), []string{"run", "--endpoint", ep, "--sdkappid", mockAppID, "--admin", mockAdmin, "--retries", "0", "--progress", "log", "--log-every", "1s",
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
		err := run(context.Background(), []string{"load", "--endpoint", ep, "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "1000", "--rows", "20", "--progress", "log",
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

// sigEchoing is a service that echoes the UserSig in the ErrorInfo or body
// its Report_Account asks for: "raw", "split" (by a line break), "unknown"
// (code 12345, "usersig: ..."), "h503" (an HTML page), "fatal" (70009 with
// "sig=" and a CRLF); any other account is answered OK.
func sigEchoing(t *testing.T) (*httptest.Server, func() map[string]bool) {
	var mu sync.Mutex
	sigs := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Report_Account string }
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &req)
		sig := r.URL.Query().Get("usersig")
		mu.Lock()
		sigs[sig] = true
		mu.Unlock()
		switch req.Report_Account {
		case "raw":
			io.WriteString(w, envelope(70402, "refused "+sig))
		case "split":
			io.WriteString(w, envelope(70402, "usersig="+sig[:100]+"\n"+sig[100:]))
		case "unknown":
			io.WriteString(w, envelope(12345, "usersig: "+sig))
		case "h503":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<p>sig '"+sig+"'</p>")
		case "fatal":
			io.WriteString(w, envelope(70009, "bad sig="+sig[:60]+"\r\n"+sig[60:]))
		default:
			io.WriteString(w, okBody)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() map[string]bool { mu.Lock(); defer mu.Unlock(); return maps.Clone(sigs) }
}

// sigLeak returns a run of 16 characters of sig, as sent or escaped, that
// text holds across line breaks and spaces, or "".
func sigLeak(text, sig string) string {
	flat := strings.NewReplacer(" ", "", "\t", "", "\r", "", "\n", "", `\n`, "", `\r`, "").Replace(text)
	once := url.QueryEscape(sig)
	for _, form := range []string{sig, once, url.QueryEscape(once)} {
		for i := 0; i+16 <= len(form); i++ {
			if g := form[i : i+16]; strings.Contains(flat, g) {
				return g
			}
		}
	}
	return ""
}

// TestEchoedUserSigsStayOutOfEveryOutput: a service that echoes the UserSig
// in forms other than usersig=... (raw, split by a line break, after
// "usersig: ", in an HTML page, in a fatal answer) gets none of it
// into the report, the failed rows, the summary JSON or stderr.
func TestEchoedUserSigsStayOutOfEveryOutput(t *testing.T) {
	for name, rows := range map[string][]string{
		"rows":  {"ok1,p,", "raw,p,", "split,p,", "unknown,p,", "h503,p,", "ok2,p,"},
		"fatal": {"fatal,p,", "ok1,p,"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, seen := sigEchoing(t)
			dir := t.TempDir()
			in := writeInput(t, 0, rows...)
			e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			err := run(context.Background(), []string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--retries", "0", "--progress", "none",
				"--report", filepath.Join(dir, "r.csv"), "--summary-json", "-", in}, e)
			if code := exitCode(err); code != exitRowsFailed && code != exitAborted {
				t.Fatalf("exit %d (%v)\n%s", code, err, errOut)
			}
			all := outputs(t, dir, out, errOut) + " " + err.Error()
			for sig := range seen() {
				if g := sigLeak(all, sig); g != "" {
					t.Errorf("%q of a UserSig reached an output:\n%s", g, all)
				}
			}
			if !strings.Contains(all, "REDACTED") {
				t.Errorf("nothing redacted:\n%s", all)
			}
		})
	}
}

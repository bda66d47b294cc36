package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestMsgReadTimeJSONType: MsgReadTime goes as a JSON number by default;
// a service that refuses it (90001 on the probe) stops the run naming
// --msg-read-time-json, with which the same rows go as strings and pass.
func TestMsgReadTimeJSONType(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if bytes.Contains(b, []byte(`"MsgReadTime":1`)) {
			io.WriteString(w, envelope(90001, "Json parse failed: MsgReadTime"))
			return
		}
		io.WriteString(w, envelope(0, ""))
	}))
	defer srv.Close()
	in := writeInput(t, 0, "u0,p,1700000000", "u1,p,1700000001")
	for _, tc := range []struct {
		flag     []string
		exit     int
		body     string
		mentions string
	}{
		{nil, exitAborted, `{"Report_Account":"u0","Peer_Account":"p","MsgReadTime":1700000000}`, "--msg-read-time-json string"},
		{[]string{"--msg-read-time-json", "string"}, exitOK, `"MsgReadTime":"1700000001"`, ""},
	} {
		mu.Lock()
		bodies = nil
		mu.Unlock()
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		args := append([]string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--report", filepath.Join(t.TempDir(), "r.csv")}, tc.flag...)
		err := run(context.Background(), append(args, in), e)
		mu.Lock()
		sent := strings.Join(bodies, "\n")
		mu.Unlock()
		if exitCode(err) != tc.exit || !strings.Contains(sent, tc.body) || (tc.mentions != "" && !strings.Contains(err.Error(), tc.mentions)) {
			t.Errorf("%v: exit %d (%v), bodies %s; want exit %d, a body with %s, naming %q\n%s", tc.flag, exitCode(err), err, sent, tc.exit, tc.body, tc.mentions, errOut)
		}
	}
	e, _, _ := testEnv(nil)
	if err := run(context.Background(), []string{"run", "--mock", "--msg-read-time-json", "text", in}, e); exitCode(err) != exitUsage {
		t.Errorf("--msg-read-time-json text: exit %d (%v), want 2", exitCode(err), err)
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv returns an env with the given environment variables and buffers
// for its output.
func testEnv(vars map[string]string) (*env, *syncBuffer, *syncBuffer) {
	var out, errOut syncBuffer
	return &env{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errOut,
		lookupEnv: func(k string) (string, bool) {
			v, ok := vars[k]
			return v, ok
		},
	}, &out, &errOut
}

const testKey = "k3y-that-must-never-print"

// mockAppID and mockAdmin are the app and admin of the tests' mocks (the
// mock's defaults), given to every real --endpoint: msgread takes no
// default for a real target.
const (
	mockAppID = "1400000000"
	mockAdmin = "administrator"
)

func TestUserSigSignsWithTheKeyFromTheEnvironment(t *testing.T) {
	e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey, "MSGREAD_SDKAPPID": "1400000042"})
	if err := run(context.Background(), []string{"usersig", "--admin", "ops"}, e); err != nil {
		t.Fatal(err)
	}
	sig := strings.TrimSpace(out.String())
	if err := tencentyun.VerifyUserSig(1400000042, testKey, "ops", sig, time.Now()); err != nil {
		t.Fatalf("printed UserSig does not verify: %v", err)
	}
	if strings.Contains(out.String()+errOut.String(), testKey) {
		t.Fatal("the key was printed")
	}
}

func TestSecretKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	os.WriteFile(path, []byte(testKey+"\n"), 0o600)
	e, out, _ := testEnv(map[string]string{"MSGREAD_SECRET_KEY_FILE": path})
	if err := run(context.Background(), []string{"usersig"}, e); err != nil {
		t.Fatal(err)
	}
	if err := tencentyun.VerifyUserSig(1400000000, testKey, "administrator", strings.TrimSpace(out.String()), time.Now()); err != nil {
		t.Fatalf("UserSig not signed with the file's key: %v", err)
	}
	e, _, _ = testEnv(nil)
	err := run(context.Background(), []string{"usersig", "--secret-key-file", filepath.Join(dir, "missing")}, e)
	if exitCode(err) != exitUsage || strings.Contains(err.Error(), testKey) {
		t.Fatalf("missing key file: %v (exit %d), want exit 2", err, exitCode(err))
	}
}

func TestBadFlagsAndCommandsExit2(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"mock", "--no-such-flag"}, {"usersig", "extra"}} {
		e, _, _ := testEnv(nil)
		if code := exitCode(run(context.Background(), args, e)); code != exitUsage {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	e, _, _ := testEnv(map[string]string{"MSGREAD_SDKAPPID": "not-a-number"})
	if err := run(context.Background(), []string{"usersig"}, e); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "MSGREAD_SDKAPPID") {
		t.Errorf("bad environment twin: %v, want exit 2 naming MSGREAD_SDKAPPID", err)
	}
}

// TestHelpGoesToStdout: -h, --help and "help CMD" print the command's
// help on standard output and exit 0; every command's help names the
// environment twins and a placeholder for what each flag takes.
func TestHelpGoesToStdout(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			e, out, errOut := testEnv(nil)
			if err := run(context.Background(), args, e); exitCode(err) != 0 || errOut.String() != "" {
				t.Errorf("%q: exit %d (%v), stderr %q", args, exitCode(err), err, errOut)
			}
			if !strings.HasPrefix(out.String(), "Usage: msgread "+c.name) {
				t.Errorf("%q: stdout %q, want the help", args, out)
			}
		}
	}
	e, out, _ := testEnv(nil)
	run(context.Background(), []string{"mock", "-h"}, e)
	for _, want := range []string{"MSGREAD_ADDR", "--scenario name|file", "/metrics", "--seed seed", "--callback-url URL", "Alert.RequestOverLimit",
		"--callback-queue callbacks", "else 10000", "else 16", "else 2s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("mock -h lacks %q:\n%s", want, out)
		}
	}
	e, out, _ = testEnv(nil)
	run(context.Background(), []string{"load", "-h"}, e)
	for _, want := range []string{"--progress auto|bar|log|none", "--population population", "--rows rows", "--stages", "Rehearse your callback endpoint",
		"--callback-url URL", "--callback-timeout duration"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("load -h lacks %q", want)
		}
	}
	e, out, _ = testEnv(nil)
	if err := run(context.Background(), []string{"help"}, e); err != nil || !strings.Contains(out.String(), "Commands:") {
		t.Errorf("help: %v %q", err, out)
	}
	e, _, _ = testEnv(nil)
	if err := run(context.Background(), []string{"help", "nope"}, e); exitCode(err) != exitUsage || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("help nope: %v", err)
	}
}

// TestUnknownFlagIsOneLine: a flag that does not parse is one line naming
// it, with a hint to -h, not the whole help.
func TestUnknownFlagIsOneLine(t *testing.T) {
	for _, args := range [][]string{{"run", "--no-such-flag", "x.csv"}, {"load", "--workers", "many"}} {
		e, out, errOut := testEnv(nil)
		err := run(context.Background(), args, e)
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		if exitCode(err) != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], "msgread "+args[0]+" -h") || out.String() != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit 2 and one line with a hint", args, exitCode(err), errOut, out)
		}
	}
}

func TestMockServesUntilCancelled(t *testing.T) {
	e, _, errOut := testEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0"}, e) }()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	deadline := time.Now().Add(5 * time.Second)
	for urlRE.FindString(errOut.String()) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no URL logged: %q", errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	base := urlRE.FindString(errOut.String())
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mock returned %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("mock did not stop after cancel")
	}
	if !strings.Contains(errOut.String(), "development key") {
		t.Errorf("the banner does not say it uses the development key: %q", errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		e, out, _ := testEnv(nil)
		if err := run(context.Background(), args, e); err != nil || !strings.HasPrefix(out.String(), "msgread ") || strings.Contains(out.String(), "(devel)") {
			t.Errorf("%q: %v %q", args, err, out)
		}
	}
}

// TestRealRegionChecks resolves a real region's target without calling it:
// the key is required, and a rate above the API's ceiling is warned about.
func TestRealRegionChecks(t *testing.T) {
	o := targetFlags{region: "singapore"}
	o.app.admins = stringList{values: []string{"ops"}}
	o.app.sdkappid = 20000001
	o.app.ttl = time.Hour
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	tgt, err := o.resolve(context.Background(), e, "run", 300, time.Second, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tgt.banner, "https://adminapisgp.im.qcloud.com as ops of app 20000001") {
		t.Errorf("target %+v", tgt)
	}
	if !strings.Contains(errOut.String(), "warning: --rate 300 is above the API's documented ceiling") {
		t.Errorf("no warning for --rate 300:\n%s", errOut)
	}
	if !strings.Contains(tgt.banner, "C2C.CallbackAfterMsgReport") {
		t.Errorf("the banner does not warn about the read-receipt webhook: %s", tgt.banner)
	}
	if strings.Contains(errOut.String()+tgt.banner+fmt.Sprint(tgt), testKey) {
		t.Error("the key was printed")
	}
}

package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// untouchedListener is a loopback listener that counts the connections
// made to it: a real target's stand-in that must never be called.
func untouchedListener(t *testing.T) (url string, connections *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	connections = new(atomic.Int64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connections.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String(), connections
}

// TestRealEndpointNeedsItsAppAndAdmin: with --endpoint, run, verify and
// load refuse (exit 2) to act as the mock's default admin of its default
// app, naming what is missing, before any call: the endpoint, a loopback
// listener standing in for the real service, gets no connection, and no
// file is made.
func TestRealEndpointNeedsItsAppAndAdmin(t *testing.T) {
	url, connections := untouchedListener(t)
	in := writeInput(t, 5)
	for _, c := range []struct {
		name   string
		args   []string
		wanted []string
	}{
		{"run, neither", []string{"run", "--endpoint", url, "REPORT", in}, []string{"--sdkappid and --admin", "MSGREAD_SDKAPPID and MSGREAD_ADMIN"}},
		{"run, no admin", []string{"run", "--endpoint", url, "--sdkappid", "20000001", "REPORT", in}, []string{"give --admin (or MSGREAD_ADMIN)"}},
		{"run, no app", []string{"run", "--endpoint", url, "--admin", "ops", "REPORT", in}, []string{"give --sdkappid (or MSGREAD_SDKAPPID)"}},
		{"verify", []string{"verify", "--endpoint", url, in}, []string{"--sdkappid and --admin"}},
		{"load", []string{"load", "--endpoint", url, "--rows", "5", "REPORT"}, []string{"--sdkappid and --admin"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, 0, len(c.args)+1)
			for _, a := range c.args {
				if a == "REPORT" {
					args = append(args, "--report", filepath.Join(dir, "r.csv"))
					continue
				}
				args = append(args, a)
			}
			e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			err := run(context.Background(), args, e)
			if exitCode(err) != exitUsage {
				t.Fatalf("exit %d (%v), want 2\n%s", exitCode(err), err, errOut)
			}
			for _, w := range append(c.wanted, "--endpoint names a real service", "the bundled mock's") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if n := connections.Load(); n != 0 {
				t.Errorf("the endpoint got %d connections before the refusal", n)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("the refusal left %d files behind", len(entries))
			}
		})
	}
}

// TestRealRegionNeedsItsAppAndAdmin: --region, on run and verify, is
// refused the same way at parsing, which calls nothing (a test never
// contacts a real region); a given app and admin, on the command line or
// by their MSGREAD_* twins, pass; a mistyped region is named first.
func TestRealRegionNeedsItsAppAndAdmin(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string // "" for no error
	}{
		{"run", []string{"run", "--region", "singapore", "in.csv"}, nil, "--region names a real service: give --sdkappid and --admin"},
		{"verify", []string{"verify", "--region", "singapore", "r.csv"}, nil, "--region names a real service: give --sdkappid and --admin"},
		{"region from its variable", []string{"run", "in.csv"}, map[string]string{"MSGREAD_REGION": "singapore"}, "(set by MSGREAD_REGION)"},
		{"app from its variable", []string{"run", "--region", "singapore", "in.csv"}, map[string]string{"MSGREAD_SDKAPPID": "20000001"}, "give --admin (or MSGREAD_ADMIN)"},
		{"both from their variables", []string{"run", "--region", "singapore", "in.csv"}, map[string]string{"MSGREAD_SDKAPPID": "20000001", "MSGREAD_ADMIN": "ops"}, ""},
		{"both as flags", []string{"verify", "--region", "singapore", "--sdkappid", "20000001", "--admin", "ops", "r.csv"}, nil, ""},
		{"the mock's own values, said", []string{"run", "--region", "singapore", "--sdkappid", mockAppID, "--admin", mockAdmin, "in.csv"}, nil, ""},
		{"a mistyped region", []string{"run", "--region", "singapur", "in.csv"}, nil, "unknown region"},
		{"the bundled mock takes the defaults", []string{"run", "--mock", "in.csv"}, nil, ""},
		{"load's in-process mock too", []string{"load", "--rows", "5"}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, _, _ := testEnv(c.env)
			_, err := commandNamed(c.args[0]).parse(e, c.args[1:])
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (exitCode(err) != exitUsage || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("exit %d (%v), want 2 saying %q", exitCode(err), err, c.want)
			}
		})
	}
}

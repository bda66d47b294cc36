package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// hostileMock is a mock with no ceiling, for the hostile inputs below.
func hostileMock(t *testing.T) *mockserver.Server {
	return startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
}

// endlessBytes is a pipe's worth of one byte for ever, after a head.
type endlessBytes struct {
	head string
	b    byte
}

func (r *endlessBytes) Read(p []byte) (int, error) {
	if r.head != "" {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// runWithin runs msgread with args and stdin, failing the test after a
// minute (a hang guard: every case here ends at once).
func runWithin(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	e, out, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if stdin != nil {
		e.stdin = stdin
	}
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), args, e) }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatalf("msgread %s still running after a minute", strings.Join(args, " "))
	}
	return out.String(), errOut.String(), err
}

// TestInputWithoutLineEndsIsRefused: /dev/zero, an endless pipe and a
// header followed by an endless line are refused with exit 2 by run and
// check, naming the cause, with nothing sent.
func TestInputWithoutLineEndsIsRefused(t *testing.T) {
	srv := hostileMock(t)
	dir := t.TempDir()
	type source struct {
		path  string
		stdin func() io.Reader
		want  string
	}
	cases := map[string]source{
		"endless pipe":             {"-", func() io.Reader { return &endlessBytes{b: 'x'} }, "no line end"},
		"header then endless line": {"-", func() io.Reader { return &endlessBytes{head: "report_account,peer_account\n", b: 'x'} }, "line 2 has no line end"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases["/dev/zero"] = source{"/dev/zero", nil, "NUL bytes"}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for _, cmd := range []string{"run", "check"} {
				var stdin io.Reader
				if c.stdin != nil {
					stdin = c.stdin()
				}
				args := []string{cmd, c.path}
				if cmd == "run" {
					args = []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", filepath.Join(dir, name+".csv"), c.path}
				}
				_, stderr, err := runWithin(t, stdin, args...)
				if exitCode(err) != exitUsage || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: exit %d (%v), want 2 naming %q\n%s", cmd, exitCode(err), err, c.want, stderr)
				}
			}
			if n := srv.Stats().Requests; n != 0 {
				t.Errorf("%d calls", n)
			}
		})
	}
}

// TestInputsNotUTF8TextAreRefused: lone CR line ends (Excel's "CSV
// (Macintosh)"), UTF-16 and a header of escape sequences are refused with
// exit 2 by run and check, the cause named and no raw control byte in the
// message.
func TestInputsNotUTF8TextAreRefused(t *testing.T) {
	srv := hostileMock(t)
	dir := t.TempDir()
	var utf16 strings.Builder
	utf16.WriteString("\xff\xfe")
	for _, c := range "report_account,peer_account\r\na,b\r\n" {
		utf16.WriteString(string([]byte{byte(c), 0}))
	}
	for name, c := range map[string]struct{ text, want string }{
		"lone CR":          {"report_account,peer_account\ra,b\rc,d\re,f\r", "lone CR"},
		"UTF-16":           {utf16.String(), "UTF-16"},
		"escape sequences": {"\x1b[2J\x1b]0;pwned\x07who,whom\na,b\n", `"\x1b[2J\x1b]0;pwned\awho,whom"`},
		"NUL bytes":        {"report_account,\x00peer_account\na,b\n", "NUL"},
	} {
		t.Run(name, func(t *testing.T) {
			in := writeFile(t, dir, strings.ReplaceAll(name, " ", "-")+".csv", c.text)
			for _, args := range [][]string{
				{"check", in},
				{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", filepath.Join(dir, "r-"+filepath.Base(in)), in},
			} {
				_, stderr, err := runWithin(t, nil, args...)
				if exitCode(err) != exitUsage || !strings.Contains(err.Error(), c.want) || strings.ContainsAny(err.Error()+stderr, "\x00\x1b\x07\r") {
					t.Errorf("%s: exit %d (%q), want 2 naming %q\n%q", args[0], exitCode(err), err, c.want, stderr)
				}
			}
		})
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d calls", n)
	}
}

// TestRepeatedHeaderIsNeverSent: a file concatenated from two exports
// holds its header twice; the second is an invalid row, "repeated
// header", in run (never sent) and check alike.
func TestRepeatedHeaderIsNeverSent(t *testing.T) {
	srv := hostileMock(t)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "report_account,peer_account\na,b\nc,d\nReport_Account,Peer_Account\ne,f\n")
	report := filepath.Join(dir, "r.csv")
	_, stderr, err := runWithin(t, nil, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, in)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1\n%s", exitCode(err), err, stderr)
	}
	got := readReport(t, report)
	if len(got) != 4 || got[4].Status != reports.StatusInvalid || got[4].ErrorInfo != "repeated header" {
		t.Errorf("report: %+v", got)
	}
	if n := srv.Stats().Requests; n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
	out, _, err := runWithin(t, nil, "check", in)
	if exitCode(err) != exitRowsFailed || !strings.Contains(out, "line 4: invalid: repeated header") || !strings.Contains(out, "4 rows: 3 valid, 1 invalid") {
		t.Errorf("check: exit %d\n%s", exitCode(err), out)
	}
}

// TestReorderedRepeatedHeaderIsNeverSent: a header line repeated with its
// columns swapped, or with another cell in a column msgread does not read,
// is counted invalid by check and never sent by run: its report_account
// and peer_account cells are both column names.
func TestReorderedRepeatedHeaderIsNeverSent(t *testing.T) {
	for name, csv := range map[string]string{
		"swapped":     "report_account,peer_account\na,b\nPeer_Account,Report_Account\nc,d\n",
		"other cells": "report_account,peer_account,note\na,b,x\nreport_account,peer_account,other\nc,d,y\n",
	} {
		t.Run(name, func(t *testing.T) {
			srv := hostileMock(t)
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", csv)
			out, _, err := runWithin(t, nil, "check", in)
			if exitCode(err) != exitRowsFailed || !strings.Contains(out, "line 3: invalid: repeated header") || !strings.Contains(out, "3 rows: 2 valid, 1 invalid") {
				t.Errorf("check: exit %d\n%s", exitCode(err), out)
			}
			report := filepath.Join(dir, "r.csv")
			_, stderr, err := runWithin(t, nil, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, in)
			if exitCode(err) != exitRowsFailed {
				t.Fatalf("exit %d (%v), want 1\n%s", exitCode(err), err, stderr)
			}
			if got := readReport(t, report); len(got) != 3 || got[3].Status != reports.StatusInvalid || got[3].ErrorInfo != "repeated header" {
				t.Errorf("report: %+v", got)
			}
			if n := srv.Stats().Requests; n != 2 {
				t.Errorf("%d calls, want 2", n)
			}
		})
	}
}

// TestReadTimesRFC3339Allows: 2016-12-31T23:59:60Z (a leap second) is
// valid in check and sent by run as the next second, 1483228800; a
// lower-case t and z (RFC 3339 allows them) are valid and sent as well.
func TestReadTimesRFC3339Allows(t *testing.T) {
	for cell, want := range map[string]int64{"2016-12-31T23:59:60Z": 1483228800, "2016-12-31t23:59:59z": 1483228799} {
		t.Run(cell, func(t *testing.T) {
			srv := hostileMock(t)
			dir := t.TempDir()
			in := writeFile(t, dir, "in.csv", "report_account,peer_account,msg_read_time\na,b,"+cell+"\n")
			out, _, err := runWithin(t, nil, "check", in)
			if err != nil || !strings.Contains(out, "1 rows: 1 valid, 0 invalid") {
				t.Errorf("check: %v\n%s", err, out)
			}
			_, stderr, err := runWithin(t, nil, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", filepath.Join(dir, "r.csv"), in)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, stderr)
			}
			if marks := srv.Marks(); len(marks) != 1 || marks[0].ReadTime != want {
				t.Errorf("marks %+v, want one at %d", marks, want)
			}
		})
	}
}

// TestResumeMismatchQuotesTheInput: a resume refused because an input line
// changed names that line's pair quoted, so an escape sequence in it does
// not reach the terminal.
func TestResumeMismatchQuotesTheInput(t *testing.T) {
	srv := hostileMock(t)
	dir := t.TempDir()
	in := writeInput(t, 30)
	report := filepath.Join(dir, "r.csv")
	if _, stderr, err := runWithin(t, nil, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, in); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	data, _ := os.ReadFile(in)
	other := writeFile(t, dir, "other.csv", strings.Replace(string(data), "u0,p0,", "\x1b]0;pwned\x07,p0,", 1))
	_, stderr, err := runWithin(t, nil, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--resume", report, "--report", filepath.Join(dir, "r2.csv"), other)
	if exitCode(err) != exitAborted || !strings.Contains(err.Error(), `input line 2 is "\x1b]0;pwned\a" → p0`) || strings.ContainsAny(err.Error()+stderr, "\x1b\x07") {
		t.Fatalf("exit %d (%q), want 3 naming line 2 quoted\n%q", exitCode(err), err, stderr)
	}
}

// TestHugeFileWithoutLineEndsIsRefusedAtOnce: a regular file of 64 GiB of
// NULs (sparse) is refused by its header, before its lines are counted.
func TestHugeFileWithoutLineEndsIsRefusedAtOnce(t *testing.T) {
	huge := filepath.Join(t.TempDir(), "zeros.csv")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 30); err != nil {
		t.Skip("no sparse file here:", err)
	}
	f.Close()
	for _, cmd := range []string{"run", "check"} {
		start := time.Now()
		args := []string{"check", huge}
		if cmd == "run" {
			args = []string{"run", "--mock", "--progress", "none", "--report", filepath.Join(t.TempDir(), "r.csv"), huge}
		}
		_, _, err := runWithin(t, nil, args...)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "NUL") || time.Since(start) > 5*time.Second {
			t.Errorf("%s: exit %d (%v) after %v, want 2 naming the NULs at once", cmd, exitCode(err), err, time.Since(start))
		}
	}
}

// TestSecretKeyFileThatIsNoKeyIsRefused: /dev/zero, /dev/urandom, a file
// over 4 KiB, NUL bytes or a key of unprintable bytes named by
// --secret-key-file were taken for a key and cost a call (70009). Each is
// refused with exit 2, naming why, before any call; the key's text is
// never in the error. A key in its file's first line, with a BOM and a
// CRLF, is still read.
func TestSecretKeyFileThatIsNoKeyIsRefused(t *testing.T) {
	srv := hostileMock(t)
	dir := t.TempDir()
	in := writeInput(t, 3)
	cases := map[string]struct{ path, want string }{
		"over 4 KiB":   {writeFile(t, dir, "big", strings.Repeat("k", 4097)), "is not a key file: over 4 KiB"},
		"NUL bytes":    {writeFile(t, dir, "nul", testKey+"\x00\n"), "is not a key file: it holds NUL bytes"},
		"unprintable":  {writeFile(t, dir, "ctl", "\x1b"+testKey+"\n"), "not printable ASCII"},
		"not ASCII":    {writeFile(t, dir, "latin", testKey+"\xe9\n"), "not printable ASCII"},
		"/dev/zero":    {"/dev/zero", "is not a key file: over 4 KiB"},
		"/dev/urandom": {"/dev/urandom", "is not a key file"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(c.path); err != nil {
				t.Skip(err)
			}
			_, stderr, err := runWithin(t, nil, "run", "--endpoint", srv.URL(), "--sdkappid", "1400000000", "--admin", "administrator",
				"--secret-key-file", c.path, "--progress", "none", "--report", filepath.Join(t.TempDir(), "r.csv"), in)
			if exitCode(err) != exitUsage || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), testKey) {
				t.Errorf("exit %d (%v), want 2 saying %q\n%s", exitCode(err), err, c.want, stderr)
			}
			if n := srv.Stats().Requests; n != 0 {
				t.Errorf("%d calls, want none", n)
			}
		})
	}
	key := writeFile(t, dir, "key", "\ufeff"+testKey+"\r\nnotes after the key\r\n")
	_, stderr, err := runWithin(t, nil, "run", "--endpoint", srv.URL(), "--sdkappid", "1400000000", "--admin", "administrator",
		"--secret-key-file", key, "--rate", "5000", "--progress", "none", "--report", filepath.Join(dir, "r.csv"), in)
	if err != nil {
		t.Fatalf("a key file with a BOM and CRLF: %v\n%s", err, stderr)
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
)

// compressedCopies writes csv as name (plain), name.gz and name.zst in
// dir, and returns the three paths.
func compressedCopies(t *testing.T, dir, name, csv string) (plain, gz, zst string) {
	t.Helper()
	var g, z bytes.Buffer
	gw := gzip.NewWriter(&g)
	gw.Write([]byte(csv))
	gw.Close()
	zw, err := zstd.NewWriter(&z)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(csv))
	zw.Close()
	plain, gz, zst = filepath.Join(dir, name), filepath.Join(dir, name+".gz"), filepath.Join(dir, name+".zst")
	for path, data := range map[string][]byte{plain: []byte(csv), gz: g.Bytes(), zst: z.Bytes()} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return plain, gz, zst
}

// compressedRows is an input with invalid rows, a blank line, CRLF line
// ends and no line end at its last line: rows first to last of it.
func compressedRows(first, last int) string {
	var b strings.Builder
	b.WriteString("report_account,peer_account,msg_read_time\r\n")
	for i := first; i <= last; i++ {
		switch {
		case i%41 == 3:
			fmt.Fprintf(&b, "u%d,,%d\n", i, 1700000000+i)
		case i%53 == 4:
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "u%d,p%d,%d\r\n", i, i%17, 1700000000+i)
		}
	}
	b.WriteString("tail,row,1700000000")
	return b.String()
}

// nthLineEnd is the index of s's nth newline.
func nthLineEnd(s string, n int) int {
	at := -1
	for range n {
		at += 1 + strings.IndexByte(s[at+1:], '\n')
	}
	return at
}

// wallClockOut is a report with its wall-clock columns (latency_ms,
// finished_at) blanked: what may differ between two runs of one input.
func wallClockOut(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if !strings.HasSuffix(lines[0], ",latency_ms,finished_at") {
		t.Fatalf("report header %q: the wall-clock columns moved", lines[0])
	}
	for i, l := range lines[1:] {
		if c := strings.Split(l, ","); len(c) >= 2 {
			lines[i+1] = strings.Join(c[:len(c)-2], ",") + ",-,-"
		}
	}
	return strings.Join(lines, "\n")
}

// runFiles runs args (a run against --mock, one worker so that the order of
// the report's lines is the input's) and returns the exit code and its
// report (wall-clock columns blanked), failed-rows file and send log.
func runFiles(t *testing.T, report string, args ...string) (int, []string) {
	t.Helper()
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	args = append([]string{"run", "--mock", "--ceiling", "0", "--rate", "5000", "--workers", "1", "--progress", "none", "--report", report}, args...)
	err := run(context.Background(), args, e)
	if strings.Contains(errOut.String(), testKey) {
		t.Fatal("the key was printed")
	}
	failed, _ := os.ReadFile(strings.TrimSuffix(report, ".csv") + ".failed.csv")
	sent, _ := os.ReadFile(report + ".sent")
	return exitCode(err), []string{wallClockOut(t, report), string(failed), sentLines(string(sent))}
}

// sentLines is a send log less its notes of the files beside it (its
// timeline's name, the report it was resumed from), which name the report.
func sentLines(log string) string {
	var keep []string
	for _, l := range strings.SplitAfter(log, "\n") {
		if !strings.HasPrefix(l, "# timeline ") && !strings.HasPrefix(l, "# resumed from ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// TestCompressedInputsGiveTheSameReports: a .csv.gz and a .csv.zst give
// byte for byte the report (but for its wall-clock columns), failed-rows
// file and send log of the plain file, and check prints the same; a
// report made from the plain file resumes from the compressed one and
// the other way round, as it resumes from the plain file, and a
// compressed input edited since is refused as a plain one is.
func TestCompressedInputsGiveTheSameReports(t *testing.T) {
	dir := t.TempDir()
	plain, gz, zst := compressedCopies(t, dir, "rows.csv", compressedRows(0, 400))
	wantCode, want := runFiles(t, filepath.Join(dir, "plain.csv"), plain)
	if wantCode != exitRowsFailed || !strings.Contains(want[0], ",invalid,") || !strings.Contains(want[1], "report_account") {
		t.Fatalf("the plain file: exit %d; its report:\n%s", wantCode, want[0])
	}
	checkOut := func(path string) (int, string) {
		e, out, _ := testEnv(nil)
		err := run(context.Background(), []string{"check", path}, e)
		return exitCode(err), out.String()
	}
	wantCheckCode, wantCheck := checkOut(plain)
	for i, in := range []string{gz, zst} {
		code, got := runFiles(t, filepath.Join(dir, fmt.Sprintf("c%d.csv", i)), in)
		for j, what := range []string{"report", "failed-rows file", "send log"} {
			if code != wantCode || got[j] != want[j] {
				t.Errorf("%s: exit %d (want %d); its %s differs from the plain file's:\n%s\nwant:\n%s", in, code, wantCode, what, got[j], want[j])
			}
		}
		if code, got := checkOut(in); code != wantCheckCode || got != wantCheck {
			t.Errorf("check %s: exit %d:\n%s\nwant exit %d:\n%s", in, code, got, wantCheckCode, wantCheck)
		}
	}

	// A report of the first 200 rows, resumed with all 400, from either
	// kind of file into either.
	full := compressedRows(0, 400)
	half := full[:nthLineEnd(full, 200)+1]
	halfPlain, _, halfZst := compressedCopies(t, t.TempDir(), "half.csv", half)
	for _, c := range []struct{ first, then string }{{halfPlain, plain}, {halfPlain, gz}, {halfZst, plain}, {halfZst, zst}} {
		sub := t.TempDir()
		old := filepath.Join(sub, "old.csv")
		if code, _ := runFiles(t, old, c.first); code != exitRowsFailed {
			t.Fatalf("%s: exit %d", c.first, code)
		}
		code, got := runFiles(t, filepath.Join(sub, "new.csv"), "--resume", old, c.then)
		if c.first == halfPlain && c.then == plain {
			wantCode, want = code, got
			if !strings.Contains(got[0], ",skipped,") {
				t.Fatalf("the plain resume skipped nothing:\n%s", got[0])
			}
			continue
		}
		if code != wantCode || got[0] != want[0] || got[2] != want[2] {
			t.Errorf("%s resumed with %s: exit %d (want %d), report:\n%s\nwant (from plain files):\n%s", c.first, c.then, code, wantCode, got[0], want[0])
		}
	}

	// Row u97's line edited since the old report: refused before the first
	// call, naming that line, compressed or not.
	edited := strings.Replace(full, "u97,p12,", "u97,p13,", 1)
	line := fmt.Sprintf("line %d ", 1+strings.Count(full[:strings.Index(full, "u97,")], "\n"))
	_, editedGz, _ := compressedCopies(t, t.TempDir(), "edited.csv", edited)
	sub := t.TempDir()
	old := filepath.Join(sub, "old.csv")
	runFiles(t, old, halfPlain)
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--mock", "--progress", "none", "--report", filepath.Join(sub, "new.csv"), "--resume", old, editedGz}, e)
	if code := exitCode(err); code != exitAborted || !strings.Contains(err.Error(), line) {
		t.Errorf("an edited .csv.gz resumed: exit %d: %v\n%s", code, err, errOut)
	}
}

// TestCompressedInputCutShortStopsBeforeTheFirstCall: run and check of a
// .csv.gz or .csv.zst cut short refuse it (exit 2) naming the file and the
// line reached, before any call.
func TestCompressedInputCutShortStopsBeforeTheFirstCall(t *testing.T) {
	dir := t.TempDir()
	_, gz, zst := compressedCopies(t, dir, "rows.csv", compressedRows(0, 30_000))
	for _, path := range []string{gz, zst} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, data[:len(data)*2/3], 0o600)
		for _, cmd := range [][]string{
			{"run", "--mock", "--progress", "none", "--report", filepath.Join(dir, "r.csv"), path},
			{"check", path},
		} {
			e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			err := run(context.Background(), cmd, e)
			if code := exitCode(err); code != exitUsage || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "after line ") ||
				!strings.Contains(err.Error(), "truncated") {
				t.Errorf("%s %s cut short: exit %d: %v\n%s", cmd[0], path, code, err, errOut)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "r.csv")); err == nil {
			t.Errorf("%s cut short: a report was made", path)
		}
	}
}

// TestVerifyReadsACompressedReport: a report kept compressed (gzip, zstd)
// is verified as the plain one is, its verify report named after the CSV
// inside (r.verify.csv for r.csv.gz), and one cut short is refused,
// naming it.
func TestVerifyReadsACompressedReport(t *testing.T) {
	srv := silentMock(t, 0)
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	runReport(t, srv, report, 300)
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for i, ext := range []string{".gz", ".zst"} {
		sub := t.TempDir()
		_, gz, zst := compressedCopies(t, sub, "r.csv", string(data))
		path := map[string]string{".gz": gz, ".zst": zst}[ext]
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), []string{"verify", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--sample", "all", path}, e)
		out, rerr := os.ReadFile(filepath.Join(sub, "r.verify.csv"))
		if exitCode(err) != exitOK || rerr != nil || strings.Count(string(out), ",read,") != 300 {
			t.Errorf("verify %s: exit %d (%v), verify report %v with %d rows read\n%s", ext, exitCode(err), err, rerr, strings.Count(string(out), ",read,"), errOut)
		}
		compressed, _ := os.ReadFile(path)
		cut := filepath.Join(sub, fmt.Sprintf("cut%d.csv%s", i, ext))
		os.WriteFile(cut, compressed[:len(compressed)/2], 0o600)
		e, _, _ = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err = run(context.Background(), []string{"verify", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--sample", "all", cut}, e)
		if exitCode(err) == exitOK || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), cut) {
			t.Errorf("verify of %s cut short: exit %d: %v", ext, exitCode(err), err)
		}
	}
}

// TestLoadInputCompressed: load --input sends the rows of a .csv.zst, as
// it would the plain file's.
func TestLoadInputCompressed(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	_, _, zst := compressedCopies(t, t.TempDir(), "rows.csv", compressedRows(0, 120))
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"load", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "1000", "--progress", "none",
		"--input", zst, "--report", filepath.Join(t.TempDir(), "r.csv")}, e)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1 (invalid rows)\n%s", exitCode(err), err, errOut)
	}
	want := 0
	for _, l := range strings.Split(compressedRows(0, 120), "\n")[1:] {
		if strings.Count(l, ",") == 2 && !strings.Contains(l, ",,") {
			want++
		}
	}
	if n := len(srv.Marks()); n != want {
		t.Errorf("the endpoint got %d marks, want %d: the .csv.zst's valid rows", n, want)
	}
}

// TestCompressedReportRefusedByResumeAndReport: a resume and msgread report
// read a report with its sent log and timeline beside it, as run wrote
// them: a compressed report is refused (exit 2) saying it is compressed
// and what to do, not as a report whose header is binary bytes.
func TestCompressedReportRefusedByResumeAndReport(t *testing.T) {
	srv := silentMock(t, 0)
	dir := t.TempDir()
	report, in := filepath.Join(dir, "r.csv"), verifyInput(t, 20)
	target := []string{"--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none"}
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), append(append([]string{"run"}, target...), "--report", report, in), e); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	_, gz, zst := compressedCopies(t, t.TempDir(), "r.csv", string(data))
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"report of a .csv.gz", []string{"report", gz}, "it is gzip-compressed: decompress it where it lies (gunzip -k)"},
		{"--resume of a .csv.zst", append(append([]string{"run"}, target...), "--resume", zst, "--report", filepath.Join(dir, "r2.csv"), in), "it is zstd-compressed: decompress it where it lies (zstd -d)"},
	} {
		e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
		err := run(context.Background(), c.args, e)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), `\x1f`) {
			t.Errorf("%s: exit %d: %v; want exit 2 saying %q\n%s", c.name, exitCode(err), err, c.want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r2.csv")); err == nil {
		t.Errorf("the refused resume left a report behind")
	}
}

// TestCheckNamesStandardInput: a compressed stream on standard input cut
// short after its header is named "standard input" by check, as by run,
// not "input -".
func TestCheckNamesStandardInput(t *testing.T) {
	_, gz, _ := compressedCopies(t, t.TempDir(), "rows.csv", compressedRows(0, 3000))
	data, err := os.ReadFile(gz)
	if err != nil {
		t.Fatal(err)
	}
	e, _, errOut := testEnv(nil)
	e.stdin = bytes.NewReader(data[:len(data)/2])
	err = run(context.Background(), []string{"check", "-"}, e)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "input standard input is not usable: after line") || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("exit %d: %v; want exit 2 naming standard input and the line\n%s", exitCode(err), err, errOut)
	}
}

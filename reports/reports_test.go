package reports_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
)

func TestNeutralizeRoundTrips(t *testing.T) {
	for _, s := range []string{"", "alice", "=1+1", "+49", "-5", "@SUM(A1)", "\tx", "\rx", "'=x", "''", "'", "a=b"} {
		n := reports.Neutralize(s)
		if n != "" && strings.ContainsRune("=+-@\t\r", rune(n[0])) {
			t.Errorf("Neutralize(%q) = %q still starts with a formula character", s, n)
		}
		if back := reports.Unneutralize(n); back != s {
			t.Errorf("Unneutralize(Neutralize(%q)) = %q", s, back)
		}
	}
}

func TestWriterReadAllRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC)
	in := []reports.Record{
		{Line: 2, ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1700000000", Status: reports.StatusOK, HasCode: true, HTTPStatus: 200, Attempts: 1, Latency: 12 * time.Millisecond, FinishedAt: at},
		{Line: 5, ReportAccount: "=cmd|' /C calc'!A0", PeerAccount: "b,\"q\"", Status: reports.StatusFailed, ErrorCode: 90003, HasCode: true, ErrorInfo: "Peer_Account is missing", HTTPStatus: 200, Attempts: 1, FinishedAt: at},
		{Line: 3, ReportAccount: "c", PeerAccount: "d", Status: reports.StatusGaveUp, ErrorInfo: "-connection reset", Attempts: 6, FinishedAt: at},
		{Line: 9, ReportAccount: "", PeerAccount: "x", MsgReadTime: "+1", Status: reports.StatusInvalid, ErrorInfo: "report_account is empty", FinishedAt: at},
	}
	var buf bytes.Buffer
	w, err := reports.NewWriter(&buf, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range in {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	text := buf.String()
	if !strings.HasPrefix(text, strings.Join(reports.Header, ",")+"\n") {
		t.Fatalf("header: %q", text)
	}
	for _, bad := range []string{",=cmd", ",-connection", ",+1"} {
		if strings.Contains(text, bad) {
			t.Errorf("formula cell %q not neutralised:\n%s", bad, text)
		}
	}
	if !strings.Contains(text, "3,c,d,,gave_up,,'-connection reset,,6,0,") {
		t.Errorf("gave_up row without an envelope should have empty code and status cells:\n%s", text)
	}
	out, err := reports.ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("row %d: read back %+v, wrote %+v", i, out[i], in[i])
		}
	}
}

func TestOpenNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "sub", "r.csv")
	failed := filepath.Join(dir, "sub", "r.failed.csv")
	f, err := reports.Open(reports.Plan{Report: report, Failed: failed})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(reports.Record{Line: 2, ReportAccount: "a", PeerAccount: "b", MsgReadTime: "=1", Status: reports.StatusGaveUp})
	f.Write(reports.Record{Line: 3, ReportAccount: "c", PeerAccount: "d", Status: reports.StatusOK})
	f.Write(reports.Record{Line: 4, ReportAccount: "", PeerAccount: "d", Status: reports.StatusInvalid})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(failed)
	if string(data) != "report_account,peer_account,msg_read_time\na,b,=1\n" {
		t.Errorf("failed-rows file = %q: the gave_up row only, cells as in the input", data)
	}
	if _, err := reports.Open(reports.Plan{Report: report, NoFailed: true}); !errors.Is(err, reports.ErrExists) {
		t.Errorf("second Open: %v, want ErrExists", err)
	}
	if _, err := reports.Open(reports.Plan{Report: filepath.Join(dir, "new.csv"), Failed: failed}); !errors.Is(err, reports.ErrExists) {
		t.Errorf("existing failed file: %v, want ErrExists", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.csv")); err == nil {
		t.Error("a refused Open left its report behind")
	}
}

// TestWriterCellsFollowTheHeader: the rows are written without gocsv's
// reflection, so each cell must still sit under its own header name.
func TestWriterCellsFollowTheHeader(t *testing.T) {
	var b bytes.Buffer
	w, err := reports.NewWriter(&b, true)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(reports.Record{Line: 7, ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1700000000", Status: reports.StatusFailed,
		ErrorCode: 70107, HasCode: true, ErrorInfo: "no, \"such\" account", HTTPStatus: 200, Attempts: 3, Latency: 42 * time.Millisecond,
		FinishedAt: time.Date(2026, 12, 3, 8, 0, 0, 5e6, time.UTC)})
	w.Flush()
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v: %q", err, recs)
	}
	got := map[string]string{}
	for i, name := range recs[0] {
		got[name] = recs[1][i]
	}
	want := map[string]string{"line": "7", "report_account": "alice", "peer_account": "bob", "msg_read_time": "1700000000", "status": "failed",
		"error_code": "70107", "error_info": `no, "such" account`, "http_status": "200", "attempts": "3", "latency_ms": "42",
		"finished_at": "2026-12-03T08:00:00.005Z"}
	if !slices.Equal(recs[0], reports.Header) || !maps.Equal(got, want) {
		t.Fatalf("header %q, cells %v; want %v", recs[0], got, want)
	}
}

// TestCompressedReportIsSaidToBe: a compressed report is no report as
// msgread reads one (a resume, msgread report): refused saying so, even a
// small one that holds no newline byte, which the torn-header rule would
// otherwise read as an empty report.
func TestCompressedReportIsSaidToBe(t *testing.T) {
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		// A zstd frame of one raw block "abc": no newline byte in it.
		"zstd without a newline byte": {[]byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 3, 0x19, 0, 0, 'a', 'b', 'c'}, "zstd-compressed"},
		"gzip":                        {[]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\n rest of it\n"), "gzip-compressed"},
	} {
		_, err := reports.ReadAll(bytes.NewReader(c.data))
		if !errors.Is(err, reports.ErrNotReport) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want ErrNotReport saying %q", name, err, c.want)
		}
	}
}

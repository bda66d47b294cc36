package batch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
)

// repeat is an endless stream of one byte with no line end, after an
// optional head.
type repeat struct {
	head []byte
	b    byte
}

func (r *repeat) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// within runs f and fails the test if it has not returned within a minute
// (a hang guard; f returns at once when all is well).
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("still reading after a minute")
		return nil
	}
}

// TestInputWithNoLineEndIsRefused: an input that yields no line end within
// the line cap, as a pipe, a device or a regular file, is refused at once
// with ErrBadInput, never read for ever; after a header, a data line with
// no end within MaxLineRead ends the input the same way.
func TestInputWithNoLineEndIsRefused(t *testing.T) {
	header := func(r io.Reader) error {
		_, err := batch.NewInputContext(context.Background(), r)
		return err
	}
	for name, src := range map[string]io.Reader{
		"endless x":     &repeat{b: 'x'},
		"endless NULs":  &repeat{b: 0},
		"endless comma": &repeat{b: ','},
	} {
		t.Run(name, func(t *testing.T) {
			err := within(t, func() error { return header(src) })
			if !errors.Is(err, batch.ErrBadInput) || bytes.IndexByte([]byte(err.Error()), 0) >= 0 {
				t.Fatalf("err %q, want ErrBadInput", err)
			}
		})
	}
	t.Run("/dev/zero", func(t *testing.T) {
		f, err := os.Open("/dev/zero")
		if err != nil {
			t.Skip(err)
		}
		defer f.Close()
		err = within(t, func() error { return header(f) })
		if !errors.Is(err, batch.ErrBadInput) || !strings.Contains(err.Error(), "NUL") {
			t.Fatalf("err %v, want ErrBadInput naming the NULs", err)
		}
	})
	t.Run("regular file", func(t *testing.T) {
		path := t.TempDir() + "/x.csv"
		os.WriteFile(path, bytes.Repeat([]byte("x"), 1<<20), 0o644)
		f, _ := os.Open(path)
		defer f.Close()
		if err := header(f); !errors.Is(err, batch.ErrBadInput) {
			t.Fatalf("err %v, want ErrBadInput", err)
		}
	})
	t.Run("endless data line", func(t *testing.T) {
		in, err := batch.NewInput(&repeat{head: []byte("report_account,peer_account\na,b\n"), b: 'x'})
		if err != nil {
			t.Fatal(err)
		}
		if r, err := in.Next(); err != nil || r.Line != 2 {
			t.Fatalf("line 2: %+v, %v", r, err)
		}
		err = within(t, func() error { _, err := in.Next(); return err })
		if !errors.Is(err, batch.ErrBadInput) || !strings.Contains(err.Error(), "line 3 has no line end") {
			t.Fatalf("err %v, want ErrBadInput naming line 3", err)
		}
	})
}

// TestInputHeaderGivesWayToCancel: a header that never comes (an idle
// pipe) or never ends gives way to the context at once.
func TestInputHeaderGivesWayToCancel(t *testing.T) {
	idle := &endless{header: true, idle: make(chan struct{})}
	defer close(idle.idle)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := within(t, func() error { _, err := batch.NewInputContext(ctx, idle); return err })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// TestInputNotUTF8TextIsNamed: a UTF-16 or UTF-32 file, NUL bytes and lone
// CR line ends are refused with their cause named, and no raw NUL or CR in
// the message.
func TestInputNotUTF8TextIsNamed(t *testing.T) {
	utf16le := func(s string) string {
		var b strings.Builder
		b.WriteString("\xff\xfe")
		for _, c := range s {
			b.WriteByte(byte(c))
			b.WriteByte(0)
		}
		return b.String()
	}
	utf16be := func(s string) string {
		var b strings.Builder
		b.WriteString("\xfe\xff")
		for _, c := range s {
			b.WriteByte(0)
			b.WriteByte(byte(c))
		}
		return b.String()
	}
	for name, c := range map[string]struct{ csv, want string }{
		"UTF-16 LE":          {utf16le("report_account,peer_account\r\na,b\r\n"), "UTF-16"},
		"UTF-16 BE":          {utf16be("report_account,peer_account\na,b\n"), "UTF-16"},
		"UTF-32 LE":          {"\xff\xfe\x00\x00r\x00\x00\x00", "UTF-32"},
		"NUL in header":      {"report_account\x00,peer_account\na,b\n", "NUL"},
		"lone CR":            {"report_account,peer_account\ra,b\rc,d\re,f\r", "lone CR"},
		"lone CR, no last":   {"report_account,peer_account\ra,b", "lone CR"},
		"lone CR, long file": {"report_account,peer_account\r" + strings.Repeat("abcdefgh,ijklmnop\r", 10000), "lone CR"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := batch.NewInput(strings.NewReader(c.csv))
			if !errors.Is(err, batch.ErrBadInput) || !strings.Contains(err.Error(), c.want) || strings.ContainsAny(err.Error(), "\x00\r") {
				t.Fatalf("err %q, want ErrBadInput naming %s", err, c.want)
			}
		})
	}
	// A header alone with a CR line end is a header, not a lone CR.
	if rows := readAll(t, "report_account,peer_account\r"); len(rows) != 0 {
		t.Errorf("rows %+v", rows)
	}
}

// TestInputRepeatedHeaderIsInvalid: a line whose report_account and
// peer_account cells are both column names of the input (folded as the
// header is matched) is an invalid row, whatever its other cells and in
// whatever order; a row with one of them only is not.
func TestInputRepeatedHeaderIsInvalid(t *testing.T) {
	for name, c := range map[string]struct {
		csv     string
		invalid []int // lines
	}{
		"two columns":      {"report_account,peer_account\na,b\nreport_account,peer_account\nc,d\n", []int{3}},
		"another spelling": {"report_account,peer_account,msg_read_time\na,b,1\nReport_Account, Peer_Account ,MsgReadTime\n", []int{3}},
		"BOM and quotes":   {"\ufeffReport_Account,Peer_Account,note\r\na,b,x\r\n\ufeffReport_Account,\"Peer_Account\",NOTE\r\n", []int{3}},
		"other cells":      {"report_account,peer_account,note\nreport_account,peer_account,other\n", []int{2}},
		"swapped":          {"report_account,peer_account\na,b\nPeer_Account,Report_Account\n", []int{3}},
		"one name only":    {"report_account,peer_account,note\nnote,MsgReadTime,x\n", nil},
		"a third name":     {"report_account,note,peer_account\nNote,x,\"REPORT_ACCOUNT\"\n", []int{2}},
		"peer differs":     {"report_account,peer_account\nreport_account,peer\n", nil},
		"report differs":   {"report_account,peer_account\nreport,peer_account\n", nil},
	} {
		t.Run(name, func(t *testing.T) {
			var got []int
			for _, r := range readAll(t, c.csv) {
				if r.Invalid == "repeated header" {
					got = append(got, r.Line)
				} else if r.Invalid != "" {
					t.Errorf("line %d: %s", r.Line, r.Invalid)
				}
			}
			if len(got) != len(c.invalid) || (len(got) > 0 && got[0] != c.invalid[0]) {
				t.Fatalf("repeated headers at %v, want %v", got, c.invalid)
			}
		})
	}
	// A header's empty cell names no column: empty cells are empty cells.
	if rows := readAll(t, "report_account,peer_account,\n,,\n"); len(rows) != 1 || rows[0].Invalid != "report_account is empty" {
		t.Errorf("rows %+v", rows)
	}
}

// TestReadTimeLeapSecond: RFC 3339's leap second is the next second.
func TestReadTimeLeapSecond(t *testing.T) {
	for in, want := range map[string]string{
		"2016-12-31T23:59:60Z":      "1483228800",
		"2016-12-31T23:59:60.5Z":    "1483228800",
		"2017-01-01T07:59:60+08:00": "1483228800",
		"2016-12-31T23:59:59Z":      "1483228799",
	} {
		if got, err := batch.ParseReadTime(in); got != want || err != nil {
			t.Errorf("%s: %q, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"2016-12-31T23:59:61Z", "2016-12-31T23:60:60Z", "2016-12-31T24:59:60Z"} {
		if got, err := batch.ParseReadTime(bad); err == nil {
			t.Errorf("%s: %q, want an error", bad, got)
		}
	}
}

// TestReadTimeLowerCaseTAndZ: RFC 3339 §5.6 allows the T and the Z in
// lower case; they mean what upper case does. Other letters stay refused.
func TestReadTimeLowerCaseTAndZ(t *testing.T) {
	for in, want := range map[string]string{
		"2016-12-31t23:59:59z":      "1483228799",
		"2016-12-31t23:59:59Z":      "1483228799",
		"2016-12-31T23:59:59z":      "1483228799",
		"2016-12-31t23:59:60z":      "1483228800",
		"2016-12-31t23:59:59.5z":    "1483228799",
		"2017-01-01t07:59:59+08:00": "1483228799",
	} {
		if got, err := batch.ParseReadTime(in); got != want || err != nil {
			t.Errorf("%s: %q, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"2016-12-31x23:59:59z", "2016-12-31t23:59:59x", "2016-12-31 23:59:59z", "z", "t"} {
		if got, err := batch.ParseReadTime(bad); err == nil {
			t.Errorf("%s: %q, want an error", bad, got)
		}
	}
}

// TestInputTextInErrorsIsQuoted: a header's escape sequences reach no
// error raw.
func TestInputTextInErrorsIsQuoted(t *testing.T) {
	_, err := batch.NewInput(strings.NewReader("\x1b[2Jwho,\x1b]0;pwned\x07whom\na,b\n"))
	if !errors.Is(err, batch.ErrBadInput) || strings.ContainsAny(err.Error(), "\x1b\x07") || !strings.Contains(err.Error(), `\x1b[2J`) {
		t.Fatalf("err %q, want the header quoted", err)
	}
}

// TestNewFileInputReadsUpToSize: NewFileInput reads a regular file's first
// size bytes only (what is appended later is not read; a line the limit
// cuts is a last line without a line end), and still gives way to ctx in
// a line too long to keep.
func TestNewFileInputReadsUpToSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	head := "report_account,peer_account\na,b\nc,d\n"
	if err := os.WriteFile(path, []byte(head+"e,f\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := batch.NewFileInput(context.Background(), f, int64(len(head)-2)) // "c," of "c,d"
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := in.Next()
		if err != nil {
			break
		}
		got = append(got, fmt.Sprintf("%d:%s,%s:%s", r.Line, r.ReportAccount, r.PeerAccount, r.Invalid))
	}
	if want := []string{"2:a,b:", "3:c,:peer_account is empty"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}

	long := filepath.Join(t.TempDir(), "long.csv")
	if err := os.WriteFile(long, []byte("report_account,peer_account\n"+strings.Repeat("x", 4<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := os.Open(long)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithCancel(context.Background())
	in, err = batch.NewFileInput(ctx, g, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := in.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("after ctx's end, in a long line: %v, want context.Canceled", err)
	}
}

// TestNewFileInputShrunkUnderTheReader: a regular file cut short while it
// is read (truncate between two calls of Next, landing in the middle of a
// line's msg_read_time) ends the input with an error wrapping ErrBadInput
// and ErrInputShrank that names the file and both sizes; the line the new
// end cuts short ("user4663,user4255,17606" of "...,1760600000") is never
// a row, and neither is anything after it.
func TestNewFileInputShrunkUnderTheReader(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_account,peer_account,msg_read_time\n")
	for i := range 30000 { // more than the reader's 64 KiB buffer
		fmt.Fprintf(&b, "u%d,p%d,1700000000\n", i, i)
	}
	cutAt := int64(b.Len()) + int64(len("user4663,user4255,17606"))
	b.WriteString("user4663,user4255,1760600000\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "v%d,q%d,1700000000\n", i, i)
	}
	size := int64(b.Len())
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := batch.NewFileInput(context.Background(), f, size)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 { // the reader's buffer now holds the file's start
		if _, err := in.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(path, cutAt); err != nil {
		t.Fatal(err)
	}
	rows := 10
	for {
		r, err := in.Next()
		if err == nil {
			if r.ReportAccount == "user4663" || r.ReportAccount[0] == 'v' || r.Invalid != "" {
				t.Fatalf("row %+v read past the new end", r)
			}
			rows++
			continue
		}
		if !errors.Is(err, batch.ErrInputShrank) || !errors.Is(err, batch.ErrBadInput) || errors.Is(err, io.EOF) {
			t.Fatalf("after %d rows: %v; want ErrInputShrank and ErrBadInput", rows, err)
		}
		for _, want := range []string{path, fmt.Sprintf("had %d bytes", size), fmt.Sprintf("ends at %d bytes now (it was cut or rewritten)", cutAt), "was the last read whole"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		break
	}
	// The cut is seen at the next read of the file, not at the new end:
	// some rows before it may go unread (a resume reads them), none after.
	if rows > 30000 {
		t.Errorf("%d rows before the cut, want at most 30000", rows)
	}
	if _, err := in.Next(); !errors.Is(err, batch.ErrInputShrank) {
		t.Errorf("Next again: %v, want ErrInputShrank again", err)
	}
	if _, _, _, ended := in.Counts(); ended {
		t.Error("a shrunken input counted as ended")
	}

	// The header itself cut: the same error from NewFileInput.
	if err := os.Truncate(path, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := batch.NewFileInput(context.Background(), f, size); !errors.Is(err, batch.ErrInputShrank) || !errors.Is(err, batch.ErrBadInput) {
		t.Errorf("header cut: %v, want ErrInputShrank", err)
	}
	// Rewritten shorter, ending at a line's end: refused at the first read.
	if err := os.WriteFile(path, []byte("report_account,peer_account\na,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := batch.NewFileInput(context.Background(), f, size); !errors.Is(err, batch.ErrInputShrank) {
		t.Errorf("rewritten shorter at a line end: %v, want ErrInputShrank", err)
	}
}

// TestNewFileInputRewrittenShorterStopsAtOnce: a file copied over with
// other, shorter content (cp new.csv in.csv) while its reader is far from
// the new end is caught at the reader's next read of the file: no row of
// the new content, nor a line spliced from both, is ever returned.
func TestNewFileInputRewrittenShorterStopsAtOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_account,peer_account,msg_read_time\n")
	for i := range 100_000 {
		fmt.Fprintf(&b, "u%d,p%d,1700000000\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(path, []byte(b.String()), 0o600)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := batch.NewFileInput(context.Background(), f, int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := in.Next(); err != nil {
			t.Fatal(err)
		}
	}
	var other strings.Builder
	other.WriteString("report_account,peer_account,msg_read_time\n")
	for i := range 40_000 {
		fmt.Fprintf(&other, "newacct%d,newpeer%d,1700000001\n", i, i)
	}
	os.WriteFile(path, []byte(other.String()), 0o600) // truncates, then writes: a shorter file
	for {
		r, err := in.Next()
		if err != nil {
			if !errors.Is(err, batch.ErrInputShrank) {
				t.Fatalf("error %v, want ErrInputShrank", err)
			}
			return
		}
		if !strings.HasPrefix(r.ReportAccount, "u") || !strings.HasPrefix(r.PeerAccount, "p") || r.MsgReadTime != "1700000000" {
			t.Fatalf("line %d came from the new content: %+v", r.Line, r)
		}
	}
}

// TestNewFileInputRewrittenInPlaceStops: a file copied over, mid-read,
// with other content of the same or a greater length stops the reader at
// its next read of the file (ErrInputChanged): no row of the new content,
// nor a line spliced from both, is returned. Rows appended to the file are
// no rewrite: they are merely left unread.
func TestNewFileInputRewrittenInPlaceStops(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_account,peer_account,msg_read_time\n")
	for i := range 50_000 {
		fmt.Fprintf(&b, "user%d,peer%d,1700000000\n", i, i)
	}
	original := b.String()
	for name, rewrite := range map[string]func(string) string{
		"same length": func(s string) string { return strings.ReplaceAll(s, "user", "zzzz") },
		"longer":      func(s string) string { return strings.ReplaceAll(s, "user", "uzzzzr") },
		"appended":    func(s string) string { return s + "late,row,1700000000\n" },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.csv")
			os.WriteFile(path, []byte(original), 0o600)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			in, err := batch.NewFileInput(context.Background(), f, int64(len(original)))
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, err := in.Next(); err != nil {
					t.Fatal(err)
				}
			}
			os.WriteFile(path, []byte(rewrite(original)), 0o600)
			rows := 10
			for {
				r, err := in.Next()
				if errors.Is(err, io.EOF) {
					if name != "appended" {
						t.Fatalf("read to the end of a rewritten file (%d rows)", rows)
					}
					if rows != 50_000 {
						t.Errorf("%d rows, want the 50000 there at open", rows)
					}
					return
				}
				if err != nil {
					if name == "appended" || !errors.Is(err, batch.ErrInputChanged) && !errors.Is(err, batch.ErrInputShrank) {
						t.Fatalf("after %d rows: %v", rows, err)
					}
					return
				}
				if !strings.HasPrefix(r.ReportAccount, "user") || r.Invalid != "" {
					t.Fatalf("line %d is not the file's at open: %+v", r.Line, r)
				}
				rows++
			}
		})
	}
}

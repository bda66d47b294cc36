package batch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
)

func readAll(t *testing.T, csv string) []batch.Row {
	t.Helper()
	in, err := batch.NewInput(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("NewInput: %v", err)
	}
	var rows []batch.Row
	for {
		r, err := in.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, r)
	}
}

func TestInputHeaderSpellingsBOMAndCRLF(t *testing.T) {
	for name, csv := range map[string]string{
		"snake case":      "report_account,peer_account,msg_read_time\nalice,bob,1700000000\n",
		"API spelling":    "Report_Account,Peer_Account,MsgReadTime\nalice,bob,1700000000\n",
		"BOM and CRLF":    "\uFEFFREPORT_ACCOUNT,Peer_Account,msgreadtime\r\nalice,bob,1700000000\r\n",
		"extra columns":   "note,peer_account,x,report_account,msg_read_time\nhi,bob,y,alice,1700000000\n",
		"no trailing EOL": "report_account,peer_account,msg_read_time\nalice,bob,1700000000",
	} {
		t.Run(name, func(t *testing.T) {
			rows := readAll(t, csv)
			// Raw is the data line as the file has it, line end included.
			raw := csv[strings.IndexByte(csv, '\n')+1:]
			want := batch.Row{Line: 2, ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1700000000", ReadTime: "1700000000", Raw: raw}
			if len(rows) != 1 || rows[0] != want {
				t.Fatalf("rows = %+v, want [%+v]", rows, want)
			}
		})
	}
}

func TestInputReadTimeForms(t *testing.T) {
	rows := readAll(t, "report_account,peer_account,msg_read_time\n"+
		"a,b,\n"+ // 2: omitted
		"a,b,1700000000\n"+ // 3
		"a,b,2023-11-14T22:13:20Z\n"+ // 4: RFC 3339
		"a,b,2023-11-15T06:13:20+08:00\n"+ // 5: with offset
		"a,b,1700000000000\n"+ // 6: milliseconds
		"a,b,yesterday\n"+ // 7
		"a,b,-5\n"+ // 8
		"a,b,1969-12-31T00:00:00Z\n"+ // 9
		"a,b,0099999999999\n") // 10: 13 digits still
	want := []struct{ readTime, invalid string }{
		{"", ""}, {"1700000000", ""}, {"1700000000", ""}, {"1700000000", ""},
		{"", "milliseconds?"}, {"", "neither Unix seconds nor an RFC 3339"}, {"", "neither"}, {"", "before 1970"}, {"", "milliseconds?"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != i+2 || r.ReadTime != w.readTime || (w.invalid == "") != (r.Invalid == "") || !strings.Contains(r.Invalid, w.invalid) {
			t.Errorf("line %d: %+v, want read time %q, invalid containing %q", i+2, r, w.readTime, w.invalid)
		}
	}
}

func TestInputAccountsValidated(t *testing.T) {
	rows := readAll(t, "report_account,peer_account\n"+
		",bob\n"+
		"alice,\n"+
		"al ice,bob\n"+
		"alice,bob\x01\n"+
		strings.Repeat("x", 33)+",bob\n"+
		"alice,\xff\xfe\n"+
		"al\u200bice,bob\n"+
		"alice,b\u202eob\n"+
		"\ufeffalice,bob\n"+
		strings.Repeat("y", 32)+",用户\n")
	want := []string{"report_account is empty", "peer_account is empty", "whitespace", "control character", "33 bytes", "UTF-8",
		"invisible format character (U+200B)", "invisible format character (U+202E)", "invisible format character (U+FEFF)", ""}
	for i, w := range want {
		if got := rows[i].Invalid; (w == "") != (got == "") || !strings.Contains(got, w) {
			t.Errorf("line %d: invalid %q, want %q", i+2, got, w)
		}
	}
}

// TestInputOneLineIsOneRow: a line that does not parse is one invalid row,
// and the next line starts afresh. A quote left open (case 1 of the
// exactly-once issue) cost the rest of the file before.
func TestInputOneLineIsOneRow(t *testing.T) {
	rows := readAll(t, "report_account,peer_account,note\n"+
		"a,b,\"two\n"+ // line 2: a quote left open
		"lines\"\n"+ // line 3: one cell and a stray quote
		"c,d,x\n"+ // line 4
		"\n"+ // line 5: blank, not a row
		"e,f\n"+ // line 6: short
		"g,h,x,extra\n"+ // line 7: long
		"i,\"j\"x,y\n"+ // line 8: stray quote
		"k,\"l,\"\"m\"\"\",z\n"+ // line 9: quotes and a comma in a cell
		"  \t \n"+ // line 10: blank
		"n,o,z") // line 11: no newline at the end
	want := []struct {
		line    int
		invalid string
	}{{2, "CSV syntax"}, {3, "CSV syntax"}, {4, ""}, {6, "has 2 fields, the header has 3"}, {7, "has 4 fields"}, {8, "CSV syntax"}, {9, ""}, {11, ""}}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v", rows)
	}
	for i, w := range want {
		if rows[i].Line != w.line || !strings.Contains(rows[i].Invalid, w.invalid) || (w.invalid == "") != (rows[i].Invalid == "") {
			t.Errorf("row %d: %+v, want line %d invalid %q", i, rows[i], w.line, w.invalid)
		}
	}
	if rows[6].PeerAccount != `l,"m"` {
		t.Errorf("line 9's peer is %q", rows[6].PeerAccount)
	}
	if !strings.Contains(rows[0].Invalid, `"a,b,\"two"`) {
		t.Errorf("an unparsable line's reason should quote it: %q", rows[0].Invalid)
	}
}

// TestInputStrayQuoteCostsOneRow is case 1 of the exactly-once issue at
// size: one quote at line 6 of 200,000 rows costs that row only.
func TestInputStrayQuoteCostsOneRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_account,peer_account\n")
	for i := range 20_000 { // a quote left open would swallow them all
		if i == 4 {
			b.WriteString("u4,\"p4\n")
			continue
		}
		fmt.Fprintf(&b, "u%d,p%d\n", i, i)
	}
	rows := readAll(t, b.String())
	if len(rows) != 20_000 {
		t.Fatalf("%d rows, want 20000", len(rows))
	}
	for i, r := range rows {
		if r.Line != i+2 || (r.Invalid != "") != (r.Line == 6) {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
}

func TestInputLongLineIsOneInvalidRow(t *testing.T) {
	rows := readAll(t, "report_account,peer_account\na,b\n"+strings.Repeat("x", 3<<20)+"\nc,d\n")
	if len(rows) != 3 || rows[0].Invalid != "" || !strings.Contains(rows[1].Invalid, "longer than") || rows[2].Line != 4 || rows[2].Invalid != "" {
		t.Fatalf("rows: %d, %+v %.80q %+v", len(rows), rows[0], rows[1].Invalid, rows[2])
	}
}

func TestInputBadFiles(t *testing.T) {
	for name, csv := range map[string]string{
		"empty":              "",
		"no peer column":     "report_account,peer\nalice,bob\n",
		"no report column":   "peer_account\nbob\n",
		"duplicate spelling": "report_account,Report_Account,peer_account\na,a,b\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := batch.NewInput(strings.NewReader(csv))
			if !errors.Is(err, batch.ErrBadInput) {
				t.Fatalf("err = %v, want ErrBadInput", err)
			}
		})
	}
}

// FuzzInput: any bytes in, every line out exactly once. The lines the
// reader returns as rows, the blank ones it passes over and the header
// add up to the file's physical lines, each row's line number is its own
// line, and a valid row has valid accounts.
func FuzzInput(f *testing.F) {
	f.Add("report_account,peer_account,msg_read_time\nalice,bob,1700000000\n")
	f.Add("\uFEFFReport_Account,Peer_Account,MsgReadTime\r\na,\"b\nc\",2023-01-01T00:00:00Z\r\n")
	f.Add("report_account,peer_account\na,\"b\"x\n\"unterminated\n")
	f.Add("peer_account,report_account\n,,,,\n\n\r\n \nx,y")
	f.Add("\n\nreport_account,peer_account\n\"a\nb\",c\n")
	f.Fuzz(func(t *testing.T, csv string) {
		in, err := batch.NewInput(strings.NewReader(csv))
		if err != nil {
			if !errors.Is(err, batch.ErrBadInput) {
				t.Fatalf("error %v does not wrap ErrBadInput", err)
			}
			return
		}
		physical := strings.Split(csv, "\n")
		if strings.HasSuffix(csv, "\n") {
			physical = physical[:len(physical)-1]
		}
		header := 0
		for header < len(physical) && strings.Trim(physical[header], " \t\r") == "" {
			header++
		}
		last, n := header+1, 0
		for {
			r, err := in.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if r.Line <= last {
				t.Fatalf("line %d after line %d", r.Line, last)
			}
			for gap := last + 1; gap < r.Line; gap++ {
				if strings.Trim(physical[gap-1], " \t\r") != "" {
					t.Fatalf("line %d (%q) is neither a row nor blank", gap, physical[gap-1])
				}
			}
			last = r.Line
			if r.Invalid == "" && (batch.CheckAccount(r.ReportAccount) != "" || batch.CheckAccount(r.PeerAccount) != "") {
				t.Fatalf("row %+v passed with a bad account", r)
			}
		}
		lines, rows, blank, ended := in.Counts()
		if !ended || lines != len(physical) || rows != n || 1+header+blank+rows != lines {
			t.Fatalf("counts: %d lines (file has %d), %d rows (returned %d), %d blank, header at %d, ended %v", lines, len(physical), rows, n, blank, header+1, ended)
		}
	})
}

// endless is an input that never ends: a header, then 'x' for ever, with no
// newline; or, when idle, nothing at all (a read that blocks).
type endless struct {
	header bool
	idle   chan struct{}
}

func (e *endless) Read(p []byte) (int, error) {
	if !e.header {
		e.header = true
		return copy(p, "report_account,peer_account\n"), nil
	}
	if e.idle != nil {
		<-e.idle
		return 0, io.EOF
	}
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestInputHonoursCancel: reading an endless line, or waiting on an idle
// input, stops once the context is done.
func TestInputHonoursCancel(t *testing.T) {
	for name, src := range map[string]*endless{"endless line": {}, "idle": {idle: make(chan struct{})}} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			in, err := batch.NewInputContext(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() {
				_, err := in.Next()
				done <- err
			}()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err %v, want context.Canceled", err)
				}
			case <-time.After(time.Minute): // a hang guard
				t.Fatal("Next did not return after cancel")
			}
			if src.idle != nil {
				close(src.idle)
			}
		})
	}
}

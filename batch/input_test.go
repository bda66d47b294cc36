package batch_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch"
)

func readAll(t *testing.T, csv string) []batch.Row {
	t.Helper()
	in, err := batch.NewInput(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("NewInput: %v", err)
	}
	out := make(chan batch.Row)
	errc := make(chan error, 1)
	go func() { errc <- in.Rows(context.Background(), out) }()
	var rows []batch.Row
	for r := range out {
		rows = append(rows, r)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Rows: %v", err)
	}
	return rows
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
			want := batch.Row{Line: 2, ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1700000000", ReadTime: "1700000000"}
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
		strings.Repeat("y", 32)+",用户\n")
	want := []string{"report_account is empty", "peer_account is empty", "whitespace", "control character", "33 bytes", "UTF-8", ""}
	for i, w := range want {
		if got := rows[i].Invalid; (w == "") != (got == "") || !strings.Contains(got, w) {
			t.Errorf("line %d: invalid %q, want %q", i+2, got, w)
		}
	}
}

func TestInputLineNumbersSurviveMultilineFieldsAndBadRows(t *testing.T) {
	rows := readAll(t, "report_account,peer_account,note\n"+
		"a,b,\"two\nlines\"\n"+ // line 2-3
		"c,d,x\n"+ // line 4
		"\n"+ // line 5: blank, not a row
		"e,f\n"+ // line 6: short
		"g,h,x,extra\n"+ // line 7: long
		"i,\"j\"x,y\n"+ // line 8: stray quote
		"k,l,z\n") // line 9
	want := []struct {
		line    int
		invalid string
	}{{2, ""}, {4, ""}, {6, "has 2 fields"}, {7, "has 4 fields"}, {8, "CSV syntax"}, {9, ""}}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v", rows)
	}
	for i, w := range want {
		if rows[i].Line != w.line || !strings.Contains(rows[i].Invalid, w.invalid) || (w.invalid == "") != (rows[i].Invalid == "") {
			t.Errorf("row %d: %+v, want line %d invalid %q", i, rows[i], w.line, w.invalid)
		}
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

func TestInputStopsOnCancel(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_account,peer_account\n")
	for range 10000 {
		b.WriteString("a,b\n")
	}
	in, _ := batch.NewInput(strings.NewReader(b.String()))
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan batch.Row)
	errc := make(chan error, 1)
	go func() { errc <- in.Rows(ctx, out) }()
	<-out
	cancel()
	for range out {
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func FuzzInput(f *testing.F) {
	f.Add("report_account,peer_account,msg_read_time\nalice,bob,1700000000\n")
	f.Add("\uFEFFReport_Account,Peer_Account,MsgReadTime\r\na,\"b\nc\",2023-01-01T00:00:00Z\r\n")
	f.Add("report_account,peer_account\na,\"b\"x\n\"unterminated\n")
	f.Add("peer_account,report_account\n,,,,\n")
	f.Fuzz(func(t *testing.T, csv string) {
		in, err := batch.NewInput(strings.NewReader(csv))
		if err != nil {
			if !errors.Is(err, batch.ErrBadInput) {
				t.Fatalf("error %v does not wrap ErrBadInput", err)
			}
			return
		}
		out := make(chan batch.Row)
		errc := make(chan error, 1)
		go func() { errc <- in.Rows(context.Background(), out) }()
		last := 1
		for r := range out {
			if r.Line <= last {
				t.Fatalf("line %d after line %d", r.Line, last)
			}
			last = r.Line
			if r.Invalid == "" && (batch.CheckAccount(r.ReportAccount) != "" || batch.CheckAccount(r.PeerAccount) != "") {
				t.Fatalf("row %+v passed with a bad account", r)
			}
		}
		if err := <-errc; err != nil && !errors.Is(err, batch.ErrBadInput) {
			t.Fatal(err)
		}
	})
}

package csvline_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/msgread/msgread/internal/csvline"
)

type cells struct {
	A string `csv:"a"`
	B string `csv:"b"`
}

func TestReaderLinesAndTornTail(t *testing.T) {
	text := "a,b\r\n\n" + strings.Repeat("x", 20) + "\nlast"
	r := csvline.NewReader(strings.NewReader(text), 10)
	type want struct {
		num              int
		text             string
		newline, tooLong bool
		complete         int64
	}
	for _, w := range []want{
		{1, "a,b", true, false, 5},
		{2, "", true, false, 6},
		{3, strings.Repeat("x", 10), true, true, 27},
		{4, "last", false, false, 27},
	} {
		l, err := r.Next()
		if err != nil || l.Num != w.num || string(l.Text) != w.text || l.Newline != w.newline || l.TooLong != w.tooLong || r.Complete() != w.complete {
			t.Fatalf("line %d: %+v %q complete %d, err %v; want %+v", w.num, l, l.Text, r.Complete(), err, w)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) || r.Offset() != int64(len(text)) || r.Lines() != 4 {
		t.Fatalf("end: %v, offset %d, %d lines", err, r.Offset(), r.Lines())
	}
}

func TestDecoderNeverReadsPastItsLine(t *testing.T) {
	d, err := csvline.NewDecoder[cells]([]string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for text, wantErr := range map[string]string{
		`"open,b`:  "CSV syntax",
		`a,b`:      "",
		`a,"b""c"`: "",
		`a`:        "has 1 fields, the header has 2",
		`a,b,c`:    "has 3 fields",
		``:         "empty",
	} {
		c, err := d.Decode([]byte(text))
		if (wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("%q: %+v, %v; want %q", text, c, err, wantErr)
		}
	}
	// After a quote left open, the next line decodes on its own.
	d.Decode([]byte(`"x`))
	if c, err := d.Decode([]byte(`p,q`)); err != nil || c != (cells{"p", "q"}) {
		t.Errorf("after an open quote: %+v, %v", c, err)
	}
}

func TestReaderEndWithin(t *testing.T) {
	text := "a,b\n" + strings.Repeat("x", 200<<10)
	r := csvline.NewReader(strings.NewReader(text+"\nc,d\n"), 10)
	r.EndWithin = 100 << 10
	if l, err := r.Next(); err != nil || string(l.Text) != "a,b" || string(l.Raw) != "a,b\n" {
		t.Fatalf("line 1: %+v, %v", l, err)
	}
	if l, err := r.Next(); !errors.Is(err, csvline.ErrNoLineEnd) || l.Num != 2 || string(l.Text) != "xxxxxxxxxx" {
		t.Fatalf("line 2: %+v, %v; want ErrNoLineEnd with its start", l, err)
	}
}

// TestReaderErrorMidLineDropsTheLine: a stream that fails in the middle of
// a line (a file cut short under its reader) ends Next with its error; the
// lines before it are returned whole, and the part of the line it cut is
// never returned as a last line, even on a second call.
func TestReaderErrorMidLineDropsTheLine(t *testing.T) {
	cut := errors.New("cut")
	r := csvline.NewReader(io.MultiReader(strings.NewReader("a,b\nuser4663,user4255,17606"), iotestErr{cut}), 0)
	if l, err := r.Next(); err != nil || string(l.Text) != "a,b" {
		t.Fatalf("first line: %q, %v", l.Text, err)
	}
	for range 2 {
		if l, err := r.Next(); !errors.Is(err, cut) || l.Text != nil || l.Num != 0 {
			t.Fatalf("the cut line: %+v %q, %v; want no line and the error", l, l.Text, err)
		}
	}
	if r.Lines() != 1 || r.Offset() != 4 {
		t.Errorf("%d lines, offset %d; want 1, 4", r.Lines(), r.Offset())
	}
}

// iotestErr is a reader that always fails with err.
type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

package batch_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch"
)

// once is a reader that can be read only once, as a pipe: no Seek, and
// nothing after its end.
type once struct{ r io.Reader }

func (o *once) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestCheckReaderReadsAPipeOnce(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	in := &once{strings.NewReader("report_account,peer_account\na,b\n,x\nc,d\na,b\n")}
	var got [][2]int // line, duplicate of
	res, err := batch.CheckReader(context.Background(), in, "standard input", func(f batch.Finding) {
		got = append(got, [2]int{f.Line, f.DuplicateOf})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{3, 0}, {5, 2}}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v (line 3 invalid, line 5 a duplicate of line 2)", got, want)
	}
	if res.Rows != 4 || res.Invalid != 1 || res.Duplicates != 1 {
		t.Errorf("result %+v, want 4 rows, 1 invalid, 1 duplicate", res)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("the temporary copy was left behind: %v", left)
	}
}

func TestCheckReaderErrors(t *testing.T) {
	t.Run("an unusable header is a HeaderError", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		_, err := batch.CheckReader(context.Background(), &once{strings.NewReader("who,whom\na,b\n")}, "in", func(batch.Finding) {})
		var he *batch.HeaderError
		if !errors.As(err, &he) || !errors.Is(err, batch.ErrBadInput) {
			t.Errorf("err %v, want a HeaderError wrapping ErrBadInput", err)
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
			t.Errorf("the temporary copy was left behind: %v", left)
		}
	})
	t.Run("a copy that cannot be made is a SpoolError", func(t *testing.T) {
		t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
		_, err := batch.CheckReader(context.Background(), &once{strings.NewReader("report_account,peer_account\na,b\n")}, "standard input", func(batch.Finding) {})
		var se *batch.SpoolError
		if !errors.As(err, &se) || se.Path != "" || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err %v, want a SpoolError without a path wrapping the missing folder", err)
		}
		if want := "check reads standard input twice and needs a temporary copy of it: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err %q, want it to start %q", err, want)
		}
	})
}

func TestCheckOpenedReopensForTheSecondPass(t *testing.T) {
	const text = "report_account,peer_account\na,b\na,b\n"
	first, err := batch.NewInput(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	reopened := 0
	reopen := func() (*batch.Input, error) { reopened++; return batch.NewInput(strings.NewReader(text)) }
	res, err := batch.CheckOpened(context.Background(), first, reopen, 2, func(batch.Finding) {})
	if err != nil || reopened != 1 || res.Duplicates != 1 {
		t.Errorf("reopened %d times, %+v, %v; want once and 1 duplicate", reopened, res, err)
	}
}

package batch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCheckFindsEveryDuplicateExactly compares Check with a plain map on an
// input crowded with repeats, in both passes' reading of it.
func TestCheckFindsEveryDuplicateExactly(t *testing.T) {
	var b strings.Builder
	b.WriteString("report_account,peer_account,msg_read_time\n")
	rng := rand.New(rand.NewPCG(1, 2))
	type want struct{ line, dupOf int }
	var wants []want
	first := map[string]int{}
	for line := 2; line < 20_002; line++ {
		if line%997 == 0 {
			b.WriteString(",nobody,1\n") // invalid
			wants = append(wants, want{line, 0})
			continue
		}
		r, p := fmt.Sprintf("u%d", rng.IntN(150)), fmt.Sprintf("u%d", rng.IntN(150))
		fmt.Fprintf(&b, "%s,%s,1\n", r, p)
		if at, dup := first[r+","+p]; dup {
			wants = append(wants, want{line, at})
		} else {
			first[r+","+p] = line
		}
	}
	text := b.String()
	open := func() (*Input, error) { return NewInput(strings.NewReader(text)) }
	var got []want
	res, err := Check(context.Background(), open, 0, func(f Finding) { got = append(got, want{f.Line, f.DuplicateOf}) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wants) {
		t.Fatalf("%d findings, want %d", len(got), len(wants))
	}
	for i := range got {
		if got[i] != wants[i] {
			t.Fatalf("finding %d: line %d duplicate of %d, want line %d of %d", i, got[i].line, got[i].dupOf, wants[i].line, wants[i].dupOf)
		}
	}
	if res.Rows != 20_000 || res.Invalid != 20 || res.Duplicates != len(wants)-20 || res.Valid != 19_980 {
		t.Errorf("counts %+v", res)
	}
}

// TestCheckNoticesAnInputThatChanged: the second pass reads the input
// again; a file rewritten in between must not yield findings for rows the
// first pass never saw.
func TestCheckNoticesAnInputThatChanged(t *testing.T) {
	texts := []string{"report_account,peer_account\na,b\nc,d\n", "report_account,peer_account\na,b\nc,d\na,b\n"}
	opened := 0
	open := func() (*Input, error) { opened++; return NewInput(strings.NewReader(texts[opened-1])) }
	if _, err := Check(context.Background(), open, 0, func(Finding) {}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("err %v, want the input changed", err)
	}
}

func TestCheckStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	open := func() (*Input, error) { return NewInput(strings.NewReader("report_account,peer_account\na,b\n")) }
	if _, err := Check(ctx, open, 0, func(Finding) {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// BenchmarkCheck checks 1 M generated rows (about 5 % duplicate pairs, as
// msgread gen writes them) held in memory: both passes, no disk.
func BenchmarkCheck(b *testing.B) {
	var buf strings.Builder
	buf.WriteString("report_account,peer_account,msg_read_time\n")
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1_000_000 {
		fmt.Fprintf(&buf, "user%d,user%d,%d\n", rng.IntN(10000), rng.IntN(10000), 1735689600+rng.IntN(1e7))
	}
	text := buf.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		open := func() (*Input, error) { return NewInput(strings.NewReader(text)) }
		if _, err := Check(context.Background(), open, 1_000_000, func(Finding) {}); err != nil {
			b.Fatal(err)
		}
	}
}

package batch_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/msgread/msgread/batch"
)

func TestGenerateIsReproducibleAndValid(t *testing.T) {
	cfg := batch.GenConfig{Rows: 5000, Users: 50, Seed: 3, InvalidRate: 0.1}
	var a, b bytes.Buffer
	if err := batch.Generate(context.Background(), &a, cfg); err != nil {
		t.Fatal(err)
	}
	batch.Generate(context.Background(), &b, cfg)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same seed wrote different files")
	}
	in, err := batch.NewInput(&a)
	if err != nil {
		t.Fatal(err)
	}
	n, invalid := 0, 0
	for {
		r, err := in.Next()
		if err == io.EOF {
			break
		}
		n++
		if r.Invalid != "" {
			invalid++
		} else if r.ReportAccount == r.PeerAccount || r.ReadTime == "" {
			t.Fatalf("row %+v: want two different users and a read time", r)
		}
	}
	if n != 5000 || invalid < 400 || invalid > 600 {
		t.Errorf("%d rows, %d invalid; want 5000 rows, about 500 invalid", n, invalid)
	}
}

func TestGenerateStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := batch.Generate(ctx, io.Discard, batch.GenConfig{}); err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled for an endless generation", err)
	}
}

// BenchmarkGenerate reports rows per second written (target >= 1 M/s).
func BenchmarkGenerate(b *testing.B) {
	const rows = 1_000_000
	for range b.N {
		var n countingWriter
		if err := batch.Generate(context.Background(), &n, batch.GenConfig{Rows: rows, Seed: 1, InvalidRate: 0.01}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(n))
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// TestSyntheticRowsAreTheGeneratedFile: the rows a load test sends without a
// file are the rows of the file gen writes with the same config, line by
// line.
func TestSyntheticRowsAreTheGeneratedFile(t *testing.T) {
	cfg := batch.GenConfig{Rows: 3000, Users: 40, Seed: 9, InvalidRate: 0.2}
	var file bytes.Buffer
	if err := batch.Generate(context.Background(), &file, cfg); err != nil {
		t.Fatal(err)
	}
	in, err := batch.NewInput(&file)
	if err != nil {
		t.Fatal(err)
	}
	syn, err := batch.NewSynthetic(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		a, errA := in.Next()
		b, errB := syn.Next()
		if errA != nil || errB != nil {
			if errA != io.EOF || errB != io.EOF || i != 3000 {
				t.Fatalf("after %d rows: file %v, synthetic %v", i, errA, errB)
			}
			break
		}
		a.Raw = "" // synthetic rows have no line of a file
		if a != b {
			t.Fatalf("row %d: file %+v, synthetic %+v", i, a, b)
		}
	}
	lines, rows, _, ended := syn.Counts()
	if lines != 3001 || rows != 3000 || !ended {
		t.Errorf("counts %d lines, %d rows, ended %v", lines, rows, ended)
	}
}

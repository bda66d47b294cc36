package batch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// GenConfig configures Generate.
type GenConfig struct {
	// Rows is how many data rows to write; 0 means until ctx is done.
	Rows int64
	// Users is the size of the user population the pairs are drawn from;
	// zero means 10 000.
	Users int
	// Seed makes the output reproducible.
	Seed uint64
	// InvalidRate is the fraction of rows made invalid on purpose (empty
	// account, a space, milliseconds, a bad time, a long account).
	InvalidRate float64
	// From and To bound msg_read_time (Unix seconds drawn uniformly); both
	// zero means the year before 2026-01-01.
	From, To time.Time
}

// DefaultGenUsers is the population when GenConfig.Users is zero.
const DefaultGenUsers = 10_000

func (cfg GenConfig) withDefaults() GenConfig {
	if cfg.Users == 0 {
		cfg.Users = DefaultGenUsers
	}
	if cfg.From.IsZero() && cfg.To.IsZero() {
		cfg.To = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		cfg.From = cfg.To.AddDate(-1, 0, 0)
	}
	return cfg
}

// Validate checks the config, defaults applied.
func (cfg GenConfig) Validate() error {
	cfg = cfg.withDefaults()
	switch {
	case cfg.Users < 2:
		return errors.New("batch: gen: the population needs at least 2 users")
	case cfg.Rows < 0:
		return errors.New("batch: gen: rows must not be negative")
	case cfg.InvalidRate < 0 || cfg.InvalidRate > 1:
		return fmt.Errorf("batch: gen: invalid rate %v is not in [0, 1]", cfg.InvalidRate)
	case cfg.To.Before(cfg.From):
		return errors.New("batch: gen: the time range ends before it starts")
	}
	return nil
}

// Generate writes a synthetic input CSV to w: a header, then rows of pairs
// of distinct users from the population with read times in the range. The
// same config writes the same bytes, and the rows NewSynthetic hands out.
// It stops after Rows rows, or when ctx is done (then it returns ctx's
// error), or when w fails.
func Generate(ctx context.Context, w io.Writer, cfg GenConfig) error {
	g, err := newGenerator(cfg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString("report_account,peer_account,msg_read_time\n")
	buf := make([]byte, 0, 128)
	for i := int64(0); g.cfg.Rows == 0 || i < g.cfg.Rows; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			bw.Flush()
			return ctx.Err()
		}
		buf = append(g.next().appendCSV(buf[:0]), '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Synthetic is a Source of synthetic rows: the rows Generate writes with
// the same config, handed out directly, with no CSV in between. Row N is
// line N+1, as in the file Generate writes. It is not safe for concurrent
// use.
type Synthetic struct {
	g     *generator
	n     int64
	ended bool
}

// NewSynthetic returns the rows of cfg; cfg.Rows zero means endless.
func NewSynthetic(cfg GenConfig) (*Synthetic, error) {
	g, err := newGenerator(cfg)
	if err != nil {
		return nil, err
	}
	return &Synthetic{g: g}, nil
}

// Next returns the next row, or io.EOF after Rows of them.
func (s *Synthetic) Next() (Row, error) {
	if s.g.cfg.Rows > 0 && s.n >= s.g.cfg.Rows {
		s.ended = true
		return Row{}, io.EOF
	}
	s.n++
	return s.g.next().inputRow().row(int(s.n) + 1), nil
}

// Counts says how many rows were handed out (the header counts as a line).
func (s *Synthetic) Counts() (lines, rows, blank int, ended bool) {
	return int(s.n) + 1, int(s.n), 0, s.ended
}

// generator draws the synthetic rows of a config.
type generator struct {
	cfg        GenConfig
	rng        *rand.Rand
	from, span int64
}

func newGenerator(cfg GenConfig) (*generator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d)),
		from: cfg.From.Unix(), span: cfg.To.Unix() - cfg.From.Unix() + 1}, nil
}

// draw is one synthetic row: users a and b, a read time, and the kind of
// damage done to it (-1 for a valid row).
type draw struct {
	kind int
	a, b int
	ts   int64
}

func (g *generator) next() draw {
	a := g.rng.IntN(g.cfg.Users)
	b := g.rng.IntN(g.cfg.Users - 1)
	if b >= a {
		b++ // a pair of two different users
	}
	d := draw{kind: -1, a: a, b: b, ts: g.from + g.rng.Int64N(g.span)}
	if g.cfg.InvalidRate > 0 && g.rng.Float64() < g.cfg.InvalidRate {
		d.kind = g.rng.IntN(5)
	}
	return d
}

const longAccountPrefix = "user-with-a-name-far-too-long-"

// appendCSV appends the row as a CSV line without its newline, the cells
// of inputRow without a string made: no cell needs quoting.
func (d draw) appendCSV(buf []byte) []byte {
	user := func(buf []byte, n int) []byte { return strconv.AppendInt(append(buf, "user"...), int64(n), 10) }
	if d.kind == 4 {
		buf = strconv.AppendInt(append(buf, longAccountPrefix...), int64(d.a), 10)
	} else {
		buf = user(buf, d.a)
	}
	buf = append(buf, ',')
	switch d.kind {
	case 0:
	case 1:
		buf = strconv.AppendInt(append(buf, "user "...), int64(d.b), 10)
	default:
		buf = user(buf, d.b)
	}
	buf = append(buf, ',')
	switch d.kind {
	case 2:
		return strconv.AppendInt(buf, d.ts*1000, 10)
	case 3:
		return append(buf, "yesterday"...)
	}
	return strconv.AppendInt(buf, d.ts, 10)
}

// inputRow returns the row's cells: valid, or damaged in one of five ways
// (an empty peer, a space in an account, milliseconds, not a time, an
// account over 32 bytes).
func (d draw) inputRow() inputRow {
	user := func(n int) string { return "user" + strconv.Itoa(n) }
	r := inputRow{ReportAccount: user(d.a), PeerAccount: user(d.b), MsgReadTime: strconv.FormatInt(d.ts, 10)}
	switch d.kind {
	case 0:
		r.PeerAccount = ""
	case 1:
		r.PeerAccount = "user " + strconv.Itoa(d.b)
	case 2:
		r.MsgReadTime = strconv.FormatInt(d.ts*1000, 10)
	case 3:
		r.MsgReadTime = "yesterday"
	case 4:
		r.ReportAccount = longAccountPrefix + strconv.Itoa(d.a)
	}
	return r
}

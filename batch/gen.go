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
// same config writes the same bytes. It stops after Rows rows, or when ctx
// is done (then it returns ctx's error), or when w fails.
func Generate(ctx context.Context, w io.Writer, cfg GenConfig) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d))
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString("report_account,peer_account,msg_read_time\n")
	from, span := cfg.From.Unix(), cfg.To.Unix()-cfg.From.Unix()+1
	buf := make([]byte, 0, 128)
	for i := int64(0); cfg.Rows == 0 || i < cfg.Rows; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			bw.Flush()
			return ctx.Err()
		}
		a := rng.IntN(cfg.Users)
		b := rng.IntN(cfg.Users - 1)
		if b >= a {
			b++ // a pair of two different users
		}
		ts := from + rng.Int64N(span)
		buf = buf[:0]
		if cfg.InvalidRate > 0 && rng.Float64() < cfg.InvalidRate {
			buf = appendInvalid(buf, rng.IntN(5), a, b, ts)
		} else {
			buf = appendUser(buf, a)
			buf = append(buf, ',')
			buf = appendUser(buf, b)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, ts, 10)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func appendUser(buf []byte, n int) []byte {
	buf = append(buf, "user"...)
	return strconv.AppendInt(buf, int64(n), 10)
}

// appendInvalid writes one of five kinds of invalid row.
func appendInvalid(buf []byte, kind, a, b int, ts int64) []byte {
	switch kind {
	case 0: // empty peer
		buf = appendUser(buf, a)
		buf = append(buf, ",,"...)
		return strconv.AppendInt(buf, ts, 10)
	case 1: // a space in an account
		buf = appendUser(buf, a)
		buf = append(buf, ",user "...)
		buf = strconv.AppendInt(buf, int64(b), 10)
		buf = append(buf, ',')
		return strconv.AppendInt(buf, ts, 10)
	case 2: // milliseconds
		buf = appendUser(buf, a)
		buf = append(buf, ',')
		buf = appendUser(buf, b)
		buf = append(buf, ',')
		return strconv.AppendInt(buf, ts*1000, 10)
	case 3: // not a time
		buf = appendUser(buf, a)
		buf = append(buf, ',')
		buf = appendUser(buf, b)
		return append(buf, ",yesterday"...)
	default: // an account over 32 bytes
		buf = append(buf, "user-with-a-name-far-too-long-"...)
		buf = strconv.AppendInt(buf, int64(a), 10)
		buf = append(buf, ',')
		buf = appendUser(buf, b)
		buf = append(buf, ',')
		return strconv.AppendInt(buf, ts, 10)
	}
}

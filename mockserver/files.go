package mockserver

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/msgread/msgread/internal/fsopen"
)

// The files a person names for the mock, a scenario and a users list, are
// read so that an interrupt is never stuck behind them (see package fsopen):
// a named pipe with no writer, a pipe whose writer writes nothing, a device
// that never ends.

// MaxScenarioFile is the most read of a scenario's file.
const MaxScenarioFile = 1 << 20

// LoadScenarioContext is LoadScenario giving way to ctx while it opens and
// reads a file: it returns ctx's error when an interrupt came first.
func LoadScenarioContext(ctx context.Context, nameOrPath string) (Scenario, error) {
	if _, builtin := Builtins[nameOrPath]; builtin {
		return LoadScenario(nameOrPath)
	}
	data, err := fsopen.ReadSmall(ctx, nameOrPath, MaxScenarioFile)
	if err != nil {
		if ctx.Err() != nil {
			return Scenario{}, err
		}
		return LoadScenario(nameOrPath) // its error names the built-ins
	}
	return DecodeScenario(nameOrPath, data)
}

// ErrUsersTooBig is ReadUsersFile's error for a file over its limit.
var ErrUsersTooBig = errors.New("mockserver: the users file is too big")

// ReadUsersFile reads a users file (ReadUsers) of at most limit bytes,
// giving way to ctx: between reads (a device never blocks, but may never
// end), and in a read that waits (a pipe whose writer writes nothing: its
// deadline ends it). Past limit it fails with ErrUsersTooBig, rather than
// read until memory runs out.
func ReadUsersFile(ctx context.Context, f *os.File, limit int64) ([]string, error) {
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	return ReadUsers(&usersReader{ctx: ctx, r: f, left: limit + 1})
}

// usersReader reads r until ctx is done or more than its limit was read
// (left starts one past it).
type usersReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
}

func (u *usersReader) Read(p []byte) (int, error) {
	if err := u.ctx.Err(); err != nil {
		return 0, err
	}
	if u.left <= 0 {
		return 0, ErrUsersTooBig
	}
	if int64(len(p)) > u.left {
		p = p[:u.left]
	}
	n, err := u.r.Read(p)
	u.left -= int64(n)
	if u.left <= 0 && err == nil {
		err = ErrUsersTooBig
	}
	return n, err
}

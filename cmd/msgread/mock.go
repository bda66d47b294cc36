package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/mockserver"
)

// mockFlags are the mock's settings shared by "msgread mock" and
// "msgread run --mock".
type mockFlags struct {
	users    string
	ceiling  optionalInt
	scenario string
	seed     uint64
	callback callbackFlags
}

func (m *mockFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.users, "users", "", "`file` of existing UserIDs, one a line (default: every account exists)")
	m.ceiling = optionalInt{v: mockserver.DefaultCeiling}
	fs.Var(&m.ceiling, "ceiling", "the mock's limit in `calls` per 1-second window; 0 or off turns it off (default: the scenario's, 200 for most)")
	fs.StringVar(&m.scenario, "scenario", "clean", "the mock's latency, faults and ceiling: `name|file`: a built-in ("+strings.Join(mockserver.BuiltinNames(), ", ")+") or a JSON file")
	fs.Uint64Var(&m.seed, "seed", 1, "`seed` of the mock's latency and fault draws: the same seed and input meet the same faults")
	m.callback.register(fs)
}

// validate checks the mock's flags that need no file.
func (m *mockFlags) validate() error {
	if m.ceiling.set && m.ceiling.v < 0 {
		return usageError("--ceiling must not be negative (0 or off turns it off)")
	}
	return m.callback.validate()
}

// config fills the mock's Config from the flags. Reading a scenario or
// users file gives way to ctx (a named pipe with no writer).
func (m *mockFlags) config(ctx context.Context, cfg mockserver.Config) (mockserver.Config, error) {
	sc, err := mockserver.LoadScenarioContext(ctx, m.scenario)
	if ierr := interruptedOpening(ctx, err, "--scenario"); ierr != nil {
		return cfg, ierr
	}
	if err != nil {
		return cfg, usageError(fmt.Sprintf("--scenario: %v", err))
	}
	sc.Apply(&cfg)
	cfg.Seed = m.seed
	if err := m.callback.apply(&cfg); err != nil {
		return cfg, err
	}
	if m.ceiling.set {
		cfg.Ceiling, cfg.CeilingSteps = m.ceiling.v, "" // a steady ceiling replaces the steps
		if m.ceiling.v == 0 {
			cfg.Ceiling = -1
		}
	}
	if m.users != "" {
		f, err := openRead(ctx, m.users)
		if ierr := interruptedOpening(ctx, err, "--users"); ierr != nil {
			return cfg, ierr
		}
		if err != nil {
			return cfg, usageError(fmt.Sprintf("--users: %v", err))
		}
		defer f.Close()
		users, err := mockserver.ReadUsersFile(ctx, f, maxUsersFile)
		switch {
		case ctx.Err() != nil:
			return cfg, &exitError{code: exitInterrupted, err: errors.New("interrupted while reading --users")}
		case errors.Is(err, mockserver.ErrUsersTooBig):
			return cfg, usageError(fmt.Sprintf("--users %s is not a users file: over %d MiB", safetext.Quote(m.users), maxUsersFile>>20))
		case err != nil:
			return cfg, usageError(fmt.Sprintf("--users %s: %v", safetext.Quote(m.users), err))
		}
		cfg.Users = users
	}
	return cfg, nil
}

// maxUsersFile is the most read of a --users file (a variable for tests):
// a device or an endless pipe (/dev/urandom) is refused when it passes it.
var maxUsersFile int64 = 1 << 30

// mockOptions are the settings of "msgread mock".
type mockOptions struct {
	addr  string
	token string
	app   appFlags
	mock  mockFlags
}

func (o *mockOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on")
	fs.StringVar(&o.token, "readout-token", "", "a `token` that /mock/state, /mock/reset and /metrics then ask for (Authorization: Bearer TOKEN)")
	o.app.register(fs)
	o.mock.register(fs)
}

func (o *mockOptions) validate(args []string) error {
	if len(args) > 0 {
		return argsError("mock takes no arguments")
	}
	if err := o.mock.validate(); err != nil {
		return err
	}
	return o.app.validate()
}

func (o *mockOptions) run(ctx context.Context, e *env) error {
	key, given, err := loadSecretKey(ctx, e, o.app.keyFile)
	if err != nil {
		return err
	}
	if !given {
		key = mockserver.DevKey
	}
	cfg, err := o.mock.config(ctx, mockserver.Config{SDKAppID: o.app.sdkappid, Admins: o.app.admins.values, Key: key, ReadoutToken: o.token})
	if err != nil {
		return err
	}
	srv, err := mockserver.New(cfg)
	if err != nil {
		return usageErrorOf("", err)
	}
	if err := srv.Start(o.addr); err != nil {
		srv.Close() // its callback senders run from New
		return usageErrorOf("", err)
	}
	if !loopback(o.addr) {
		open := "its read-outs (/mock/state, /mock/reset, /metrics)"
		if o.token != "" {
			open = "its API"
		}
		if !given {
			open += " and, with the development key, anyone's UserSigs"
		}
		fmt.Fprintf(e.stderr, "msgread mock: warning: listening on %s, beyond this machine: %s are open to whoever reaches it (--readout-token protects the read-outs)\n", o.addr, open)
	}
	keyNote := "the key from " + secretKeyEnv + " or --secret-key-file"
	if !given {
		keyNote = "the development key (see README)"
	}
	fmt.Fprintf(e.stderr, "msgread mock: serving app %d, admins %v, %s, %s, at %s%s\n",
		cfg.SDKAppID, srv.Config().Admins, o.mock.describe(srv.Config()), keyNote, srv.URL(), chatapi.Path)
	callbackNotice(e.stderr, "mock", srv.Config())
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx) // delivers the callbacks still queued, within the 5 s
	st := srv.Stats()
	fmt.Fprintf(e.stderr, "msgread mock: stopped after %d requests, %d pairs marked\n", st.Requests, st.Marks)
	if cb := st.Callbacks; cb != nil {
		for _, line := range digestCallbacks(*cb).Lines() {
			fmt.Fprintf(e.stderr, "msgread mock: %s\n", line)
		}
	}
	return err
}

// describe names the scenario, seed and ceiling in effect, for banners.
func (m *mockFlags) describe(cfg mockserver.Config) string {
	ceiling := "no ceiling"
	switch {
	case cfg.CeilingSteps != "" && cfg.Ceiling >= 0:
		ceiling = "ceiling in steps " + cfg.CeilingSteps + " (calls/s:for, repeating)"
	case cfg.Ceiling > 0:
		ceiling = fmt.Sprintf("ceiling %d/s", cfg.Ceiling)
	}
	return fmt.Sprintf("scenario %s (seed %d), %s%s%s%s", m.scenario, m.seed, ceiling, describeKind(cfg), describeProduction(cfg), describeCallbacks(cfg))
}

// describeKind names a ceiling that is not a window per clock second, for
// banners: "" for the default.
func describeKind(cfg mockserver.Config) string {
	switch {
	case cfg.Ceiling < 0 || cfg.CeilingKind == "" || cfg.CeilingKind == mockserver.CeilingFixedWindow:
		return ""
	case cfg.CeilingKind == mockserver.CeilingTokenBucket && (cfg.CeilingBurst > 0 || cfg.CeilingSteps == ""):
		burst := cfg.CeilingBurst
		if burst == 0 {
			burst = cfg.Ceiling // one second's worth; a step's own with steps
		}
		return fmt.Sprintf(" (%s, burst %d)", cfg.CeilingKind, burst)
	}
	return " (" + cfg.CeilingKind + ")"
}

// describeProduction names the scenario's production traffic, for
// banners: "" without any.
func describeProduction(cfg mockserver.Config) string {
	p := cfg.Production
	if p == nil {
		return ""
	}
	arrivals := p.Arrivals
	if arrivals == "" {
		arrivals = "poisson"
	}
	return fmt.Sprintf(", production traffic %s calls/s (%s)", p.Rate, arrivals)
}

// optionalInt is an int flag that remembers whether it was given.
type optionalInt struct {
	v   int
	set bool
}

// String is empty until the flag is set, so that help shows no default of
// its own: the flag's usage explains where the default comes from.
func (o *optionalInt) String() string {
	if !o.set {
		return ""
	}
	return strconv.Itoa(o.v)
}

// Get returns the value, an int, as flag.Getter does.
func (o *optionalInt) Get() any { return o.v }

func (o *optionalInt) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	o.v, o.set = v, true
	return nil
}

// loopback reports whether addr (host:port) listens on this machine only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

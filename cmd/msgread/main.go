// Command msgread marks one-to-one conversations read in bulk through Tencent
// Cloud Chat's v4/openim/admin_set_msg_read, and serves a faithful mock of
// that API for rehearsals. Run "msgread help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/msgread/msgread/internal/safetext"
)

// command is one subcommand: its name, a line of help, the words of its
// -h, and its options. Each command's options register their flags,
// validate them (and the arguments) before anything is opened or sent,
// then run: flags → options → one library call → output.
type command struct {
	name    string
	summary string
	args    string
	about   string
	options func() options
}

// options are one command's settings.
type options interface {
	register(fs *flag.FlagSet)
	validate(args []string) error
	run(ctx context.Context, e *env) error
}

// commands is the table of subcommands, in the order help lists them.
var commands = []command{
	{"run", "mark the rows of an input CSV read (real API, or --mock)", "INPUT.csv", runAbout, func() options { return &runOptions{} }},
	{"verify", "read a report's conversations back: are they read? (get_c2c_unread_msg_num)", "REPORT.csv", verifyAbout, func() options { return &verifyOptions{} }},
	{"report", "rebuild the summary, JSON and HTML of a resume chain or of shards from their reports", "REPORT.csv...", reportAbout, func() options { return &reportOptions{} }},
	{"check", "validate an input CSV and estimate the run; calls nothing", "INPUT.csv", checkAbout, func() options { return &checkOptions{} }},
	{"mock", "serve the mock API until interrupted", "", mockAbout, func() options { return &mockOptions{} }},
	{"load", "capacity test: synthetic rows against the mock, with thresholds for CI", "", loadAbout, func() options { return &loadOptions{} }},
	{"gen", "write a synthetic input CSV", "", genAbout, func() options { return &genOptions{} }},
	{"usersig", "print a UserSig for the admin, for curl", "", usersigAbout, func() options { return &usersigOptions{} }},
	{"version", "print the version", "", versionAbout, func() options { return versionOptions{} }},
}

// parse builds the command's flags, reads them from args and the
// environment, and validates them with the arguments. The options come
// back with a validation's error, nil with a flag's.
func (c command) parse(e *env, args []string) (options, error) {
	fs, o := c.flags()
	rest, fromEnv, err := parseFlagsEnv(fs, e, args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(e.stdout)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if err := o.validate(rest); err != nil {
		return o, namedEnv(c.withUsage(err), fromEnv) // the options, for the summary of the exit
	}
	return o, nil
}

// flags returns the command's flag set and the options it fills.
func (c command) flags() (*flag.FlagSet, options) {
	fs := newFlagSet(c.name)
	o := c.options()
	o.register(fs)
	allowOff(fs)
	return fs, o
}

// help writes the command's help to w.
func (c command) help(w io.Writer) {
	fs, _ := c.flags()
	writeHelp(w, fs, c.name, c.args, c.about)
}

// env is what a subcommand may touch of the process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// lookupEnv is os.LookupEnv, replaceable in tests.
	lookupEnv func(string) (string, bool)
	// environ is os.Environ, for the note on a MSGREAD_ variable no
	// command reads; nil (no note) in tests.
	environ func() []string
	// signals delivers a second interrupt after ctx is cancelled; nil in tests.
	signals <-chan os.Signal
}

func main() {
	ctx, second := interrupts()
	survivePipes()
	e := &env{stdin: os.Stdin, stdout: newConsole(os.Stdout), stderr: newConsole(os.Stderr), lookupEnv: os.LookupEnv, environ: os.Environ, signals: second}
	stopProfile := cpuProfile(os.Getenv("MSGREAD_CPUPROFILE"))
	err := run(ctx, os.Args[1:], e)
	stopProfile()
	if err != nil && !errors.Is(err, errSilent) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(e.stderr, "msgread:", safetext.Clean(err.Error()))
	}
	os.Exit(exitCode(err))
}

// cpuProfile writes a CPU profile of the whole command to path, for
// developers (go tool pprof); nothing when path is empty. A profile that
// cannot be started is said once on stderr and the command runs on.
func cpuProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "msgread: MSGREAD_CPUPROFILE:", err)
		if f != nil {
			f.Close()
		}
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// interrupts handles SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh
// session, which would otherwise end the process at once, unflushed): the
// first cancels the returned context (a run drains its calls in flight and
// flushes its report), the second is passed on (a run stops its calls in
// flight), and the third ends the process at once, whatever it is doing.
// A signal the process was started with ignored (SIGHUP under nohup, SIGINT
// in a background job) stays ignored: Notify would catch it again.
func interrupts() (context.Context, <-chan os.Signal) {
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, syscall.SIGTERM)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGHUP} {
		if !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan os.Signal, 1)
	go func() {
		for n := 1; ; n++ {
			sig := <-sigs
			switch n {
			case 1:
				cancel()
			case 2:
				second <- sig
			default:
				fmt.Fprintln(os.Stderr, "msgread: third interrupt: exiting now; the report may lack the last second's rows (resume sends them again)")
				os.Exit(exitInterrupted)
			}
		}
	}()
	return ctx, second
}

// survivePipes keeps a closed standard output or error from ending the
// process: a Go program dies of SIGPIPE when it writes to a broken pipe on
// file descriptor 1 or 2, unless SIGPIPE is passed to Notify; then the
// write returns EPIPE, and the console drops what follows. The channel is
// never read: Notify does not block on a full one.
func survivePipes() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// run dispatches args to a subcommand. A command with a summary JSON
// makes it once its flags parse, and every exit after that writes it.
func run(ctx context.Context, args []string, e *env) (err error) {
	if len(args) == 0 {
		usage(e.stderr)
		return usageError("no command given")
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			c, ok := lookup(args[1])
			if !ok {
				return usageError(fmt.Sprintf("help: unknown command %q%s (msgread help lists the commands)", args[1], didYouMean("", args[1], commandNames())))
			}
			c.help(e.stdout)
			return nil
		}
		usage(e.stdout)
		return nil
	case "--version", "-version", "-v":
		name = "version"
	}
	if strings.HasPrefix(name, "-") {
		return usageError(misplacedFlag(name))
	}
	c, ok := lookup(name)
	if !ok {
		return usageError(fmt.Sprintf("unknown command %q%s (msgread help lists the commands)", name, didYouMean("", name, commandNames())))
	}
	noteUnknownEnv(e, c.name)
	o, err := c.parse(e, args[1:])
	if s, ok := o.(summarizer); ok {
		out, serr := s.openSummary(e)
		if serr != nil {
			return errors.Join(err, serr) // the first cause first
		}
		defer func() { out.ended(e, err) }()
	}
	if err != nil {
		return err
	}
	return o.run(ctx, e)
}

// lookup finds a command by its name.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// exitError carries an exit code with an error, and the stop code the
// summary JSON gives it ("" by the exit code).
type exitError struct {
	code int
	stop string
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errSilent marks an error whose message was already printed.
var errSilent = errors.New("already reported")

func usageError(msg string) error {
	return &exitError{code: exitUsage, err: errors.New(msg)}
}

// usageErrorOf is a usage error that keeps err's chain (errors.Is and As
// see through it), its message after prefix ("" for none).
func usageErrorOf(prefix string, err error) error {
	return &exitError{code: exitUsage, err: fmt.Errorf("%s%w", prefix, err)}
}

func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

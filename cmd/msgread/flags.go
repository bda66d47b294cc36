package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/safetext"
)

// envName is the environment twin of a flag: --secret-key-file is
// MSGREAD_SECRET_KEY_FILE.
func envName(flagName string) string {
	return "MSGREAD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a quiet flag set: parseFlags reports its errors in
// one line, and writeHelp prints its help.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, allowing flags before and after the positional
// arguments, then fills every flag not given on the command line from its
// environment twin. It returns the positional arguments. A flag that does
// not parse is one line on stderr with a hint to -h.
func parseFlags(fs *flag.FlagSet, e *env, args []string) ([]string, error) {
	positional, _, err := parseFlagsEnv(fs, e, args)
	return positional, err
}

// parseFlagsEnv is parseFlags that also returns the names of the flags
// set from their environment twins.
func parseFlagsEnv(fs *flag.FlagSet, e *env, args []string) ([]string, map[string]bool, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, err
			}
			fmt.Fprintf(e.stderr, "msgread %s: %s (msgread %s -h lists the flags)\n", fs.Name(), flagError(fs, err), fs.Name())
			return nil, nil, &exitError{code: exitUsage, err: errSilent}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	given, fromEnv := map[string]bool{}, map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v, ok := e.lookupEnv(envName(f.Name)); ok {
			fromEnv[f.Name] = true
			if serr := fs.Set(f.Name, v); serr != nil {
				err = usageError(fmt.Sprintf("%s=%q: %s", envName(f.Name), v, valueWant(f, serr.Error())))
			}
		}
	})
	return positional, fromEnv, err
}

// namedEnv names the environment variable behind a usage error that
// starts with a flag ("--share \"SAFE\": ..."), when the flag was set from
// it rather than on the command line: whoever never typed --share would
// look for it in vain.
func namedEnv(err error, fromEnv map[string]bool) error {
	var ee *exitError
	if len(fromEnv) == 0 || !errors.As(err, &ee) || ee.code != exitUsage || !strings.HasPrefix(ee.Error(), "--") {
		return err
	}
	name := ee.Error()[2:]
	if i := strings.IndexAny(name, " :=,\""); i >= 0 {
		name = name[:i]
	}
	if !fromEnv[name] {
		return err
	}
	return &exitError{code: ee.code, stop: ee.stop, err: fmt.Errorf("%w (set by %s)", ee.err, envName(name))}
}

// stringList is a repeatable flag; its environment twin takes a
// comma-separated list.
type stringList struct {
	values []string
	set    bool
}

func (l *stringList) String() string { return strings.Join(l.values, ",") }

func (l *stringList) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			l.values = append(l.values, part)
		}
	}
	return nil
}

// secretKeyEnv names the environment variable that holds the secret key.
const secretKeyEnv = "MSGREAD_SECRET_KEY"

// loadSecretKey returns the secret key from MSGREAD_SECRET_KEY or the file
// named by --secret-key-file (see chatapi.KeyOfFile), and whether either
// was given. Errors never contain the key.
func loadSecretKey(ctx context.Context, e *env, file string) (chatapi.Secret, bool, error) {
	if file != "" {
		data, err := readSmallFile(ctx, file, chatapi.MaxKeyFile+1)
		if ierr := interruptedOpening(ctx, err, "--secret-key-file"); ierr != nil {
			return chatapi.Secret{}, false, ierr
		}
		if err != nil {
			if chatapi.LooksLikeKey(file) {
				// Someone gave the key itself: do not echo it back.
				return chatapi.Secret{}, false, usageError("--secret-key-file names no readable file (its value, not shown, looks like a key rather than a path: put the key in a file, or in " + secretKeyEnv + ")")
			}
			return chatapi.Secret{}, false, usageError(fmt.Sprintf("reading --secret-key-file: %v", err))
		}
		key, err := chatapi.KeyOfFile(data)
		var kerr *chatapi.KeyFileError
		if errors.As(err, &kerr) {
			return chatapi.Secret{}, false, usageError(fmt.Sprintf("--secret-key-file %s %s", safetext.Quote(file), kerr.Reason))
		}
		return key, true, err
	}
	if v, ok := e.lookupEnv(secretKeyEnv); ok && strings.TrimSpace(v) != "" {
		return chatapi.NewSecret(strings.TrimSpace(v)), true, nil
	}
	return chatapi.Secret{}, false, nil
}

// offValues are the flags that a value turns off, by that value: each
// also takes the word off for it (--ceiling off is --ceiling 0).
var offValues = map[string]string{
	"ceiling": "0", "retries": "0", "max-p99": "0", "min-rate": "0", "max-failed": "-1", "max-gave-up": "-1",
	"max-failure-rate": "1",
}

// allowOff lets each flag of fs in offValues take the word off.
func allowOff(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if off, ok := offValues[f.Name]; ok {
			f.Value = offValue{Value: f.Value, off: off}
		}
	})
}

// offValue is a flag's value that also takes the word off, for off.
type offValue struct {
	flag.Value
	off string
}

func (v offValue) Set(s string) error {
	if strings.EqualFold(strings.TrimSpace(s), "off") {
		s = v.off
	}
	return v.Value.Set(s)
}

// Get is the wrapped value's, for valueWant.
func (v offValue) Get() any {
	if g, ok := v.Value.(flag.Getter); ok {
		return g.Get()
	}
	return v.Value.String()
}

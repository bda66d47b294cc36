package main

import (
	"bytes"
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
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			fmt.Fprintf(e.stderr, "msgread %s: %v (msgread %s -h lists the flags)\n", fs.Name(), err, fs.Name())
			return nil, &exitError{code: exitUsage, err: errSilent}
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
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v, ok := e.lookupEnv(envName(f.Name)); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = usageError(fmt.Sprintf("%s=%q: %v", envName(f.Name), v, serr))
			}
		}
	})
	return positional, err
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
// named by --secret-key-file (first line, spaces trimmed), and whether either
// was given. Errors never contain the key.
func loadSecretKey(ctx context.Context, e *env, file string) (chatapi.Secret, bool, error) {
	if file != "" {
		data, err := readSmallFile(ctx, file, maxKeyFile+1)
		if ierr := interruptedOpening(ctx, err, "--secret-key-file"); ierr != nil {
			return chatapi.Secret{}, false, ierr
		}
		if err != nil {
			if looksLikeKey(file) {
				// Someone gave the key itself: do not echo it back.
				return chatapi.Secret{}, false, usageError("--secret-key-file names no readable file (its value, not shown, looks like a key rather than a path: put the key in a file, or in " + secretKeyEnv + ")")
			}
			return chatapi.Secret{}, false, usageError(fmt.Sprintf("reading --secret-key-file: %v", err))
		}
		key, err := keyOfFile(data)
		if err != nil {
			return chatapi.Secret{}, false, usageError(fmt.Sprintf("--secret-key-file %s %v", safetext.Quote(file), err))
		}
		return chatapi.NewSecret(key), true, nil
	}
	if v, ok := e.lookupEnv(secretKeyEnv); ok && strings.TrimSpace(v) != "" {
		return chatapi.NewSecret(strings.TrimSpace(v)), true, nil
	}
	return chatapi.Secret{}, false, nil
}

// maxKeyFile is the most a key file may hold: a key and a line end, with
// room to spare. No more is read, so a device (/dev/zero, /dev/urandom) is
// refused at once rather than taken for a key.
const maxKeyFile = 4 << 10

// keyOfFile returns the key in a key file's data: its first line, spaces
// (and a UTF-8 BOM) trimmed. A file over maxKeyFile, one holding NUL bytes,
// or a key of anything but printable ASCII is no key file: the error says
// why (it never holds the key's text, for the error reaches the terminal).
func keyOfFile(data []byte) (string, error) {
	switch {
	case len(data) > maxKeyFile:
		return "", fmt.Errorf("is not a key file: over %d KiB", maxKeyFile>>10)
	case bytes.IndexByte(data, 0) >= 0:
		return "", errors.New("is not a key file: it holds NUL bytes")
	}
	key, _, _ := strings.Cut(string(data), "\n")
	key = strings.TrimSpace(strings.TrimPrefix(key, "\uFEFF"))
	if key == "" {
		return "", errors.New("is empty")
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("is not a key file: its first line holds a byte that is not printable ASCII (byte %d of the key, 0x%02x)", i+1, c)
		}
	}
	return key, nil
}

// looksLikeKey reports whether a --secret-key-file value looks like a secret
// key (long, no path separator, no dot, letters and digits) rather than a
// file's path.
func looksLikeKey(v string) bool {
	if len(v) < 16 || strings.ContainsAny(v, "/\\.") {
		return false
	}
	for _, c := range v {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '+' || c == '=') {
			return false
		}
	}
	return true
}

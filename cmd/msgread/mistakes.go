package main

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/msgread/msgread/internal/safetext"
)

// How msgread words the mistakes of a command line: a mistyped command or
// flag (with the name it most likely meant, see suggest), a flag before
// its command, wrong arguments (with the usage line), a value that does
// not parse (with what the flag wants, not Go's words).

// commandNames are the commands' names, in help's order, and help.
func commandNames() []string {
	names := make([]string, 0, len(commands)+1)
	for _, c := range commands {
		names = append(names, c.name)
	}
	return append(names, "help")
}

// misplacedFlag words a flag given before any command: msgread --mock
// run. It names the commands that take it, or says it is no flag of any.
func misplacedFlag(arg string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	var takers []string
	for _, c := range commands {
		if fs, _ := c.flags(); name != "" && fs.Lookup(name) != nil {
			takers = append(takers, c.name)
		}
	}
	switch len(takers) {
	case 0: // its name only: a value (--secret-key=...) is never echoed
		flagName := safetext.Quote(strings.Repeat("-", min(len(arg)-len(strings.TrimLeft(arg, "-")), 2)) + name)
		if hint := secretHint(name); hint != "" {
			return "unknown flag " + flagName + hint
		}
		return fmt.Sprintf("unknown flag %s: msgread takes a command first, then its flags (msgread COMMAND [flags]; msgread help lists the commands)", flagName)
	case 1:
		return fmt.Sprintf("--%s is a flag of %s: it goes after the command (msgread %s --%s ...)", name, takers[0], takers[0], name)
	}
	return fmt.Sprintf("--%s is a flag of %s: it goes after the command (msgread COMMAND --%s ...)", name, joinAnd(takers), name)
}

// secretHint is what an unknown flag that looks like the secret key's
// (--secret-key, --key, --secretkey) is told: the key is never a flag
// value, for argv is seen by every user of the machine and kept in shell
// histories and CI logs. "" for another name.
func secretHint(name string) string {
	n := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
	switch n {
	case "key", "secret", "secretkey", "sdksecretkey", "appkey", "sdkkey":
		return ": the secret key is never a flag value; set " + secretKeyEnv + " or --secret-key-file" +
			" (a command line is seen by every user of the machine, and kept in logs)"
	}
	return ""
}

// joinAnd joins words as a sentence lists them: "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// errArgs marks a usage error about a command's arguments (argsError):
// the command's usage line and a hint to -h follow its message.
var errArgs = errors.New("wrong arguments")

type argsErr struct{ msg string }

func (e argsErr) Error() string        { return e.msg }
func (e argsErr) Is(target error) bool { return target == errArgs }

// argsError is a usage error about a command's arguments: too few (run
// without its input) or too many.
func argsError(msg string) error {
	return &exitError{code: exitUsage, err: argsErr{msg}}
}

// withUsage adds the command's usage line and a hint to -h to an error
// about its arguments; other errors come back as they are.
func (c command) withUsage(err error) error {
	if !errors.Is(err, errArgs) {
		return err
	}
	line := strings.TrimSpace("msgread " + c.name + " [flags] " + c.args)
	return &exitError{code: exitUsage, err: fmt.Errorf("%w\nusage: %s\n(msgread %s -h explains the flags, with examples)", err, line, c.name)}
}

// The flag package's error messages, which flagError words anew.
var (
	reUnknownFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNoValue     = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadValue    = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]*): (.*)$`)
)

// flagError words an error of fs.Parse for people: an unknown flag with
// the flag it most likely meant (--rpeort: did you mean --report?), a flag
// without its value, a value that does not parse with what the flag wants
// rather than Go's own words (strconv.Atoi: parsing "off").
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := reUnknownFlag.FindStringSubmatch(msg); m != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if hint := secretHint(m[1]); hint != "" {
			return fmt.Sprintf("unknown flag --%s%s", safetext.Clean(m[1]), hint)
		}
		return fmt.Sprintf("unknown flag --%s%s", safetext.Clean(m[1]), didYouMean("--", m[1], names))
	}
	if m := reNoValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[2]); f != nil {
			return fmt.Sprintf("--%s %s: %s", m[2], safetext.Clean(m[1]), valueWant(f, m[3]))
		}
	}
	return safetext.Clean(msg)
}

// valueWant says what a flag wants, for a value its Set refused with
// reason: the flag package's "parse error" and Go's strconv and time
// errors are replaced by the flag's kind of value in words; a reason of
// the flag's own (its Set's) is kept.
func valueWant(f *flag.Flag, reason string) string {
	goWords := reason == "parse error" || reason == "value out of range" ||
		strings.HasPrefix(reason, "strconv.") || strings.HasPrefix(reason, "time: ")
	if !goWords {
		return reason
	}
	want := "another value (-h says which)"
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64:
			want = "a whole number"
		case uint, uint64:
			want = "a whole number, 0 or more"
		case float64:
			want = "a number"
		case time.Duration:
			want = "a length of time with its unit, such as 500ms, 30s, 5m or 1h30m"
		case bool:
			want = "true or false"
		}
	}
	if strings.HasSuffix(reason, "out of range") {
		want += " (this one is out of range)"
	}
	if off, ok := offValues[f.Name]; ok {
		want += fmt.Sprintf(", or off (the same as %s)", off)
	}
	return "want " + want
}

package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
)

func TestSuggestNamesTheLikelyTypo(t *testing.T) {
	names := commandNames()
	for _, tc := range []struct{ typed, want string }{
		{"rnu", "run"}, {"RUN", "run"}, {"chek", "check"}, {"verison", "version"}, {"verfiy", "verify"},
		{"moc", "mock"}, {"lod", "load"}, {"hlep", "help"},
		{"x", ""}, {"bogus", ""}, {"ver", ""}, {"reprot", "report"}, {"xyzzy", ""},
	} {
		if got := suggest(tc.typed, names); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
	if got := suggest(strings.Repeat("r", 1<<20)+"un", names); got != "" {
		t.Errorf("a megabyte-long name got a guess: %q", got)
	}
	if d := editDistance("rpeort", "report"); d != 1 {
		t.Errorf("a swap of neighbours is one edit: got %d", d)
	}
}

// TestMistypedCommandIsSuggested: msgread rnu asks "did you mean run?",
// as help rnu does; a name near nothing gets no guess.
func TestMistypedCommandIsSuggested(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rnu", "in.csv"}, `unknown command "rnu": did you mean run?`},
		{[]string{"verfiy", "r.csv"}, `did you mean verify?`},
		{[]string{"help", "rnu"}, `help: unknown command "rnu": did you mean run?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (msgread help lists the commands)`},
	} {
		e, _, _ := testEnv(nil)
		err := run(context.Background(), tc.args, e)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want 2 saying %q", tc.args, exitCode(err), err, tc.want)
		}
	}
}

// TestFlagBeforeTheCommand: msgread --bogus is an unknown flag, not an
// unknown command; a real flag before its command names the command.
func TestFlagBeforeTheCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag --bogus: msgread takes a command first, then its flags"},
		{[]string{"--mock", "run", "in.csv"}, "--mock is a flag of run: it goes after the command (msgread run --mock ...)"},
		{[]string{"--scenario=flaky", "load"}, "--scenario is a flag of run, mock and load"},
	} {
		e, _, _ := testEnv(nil)
		err := run(context.Background(), tc.args, e)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "unknown command") {
			t.Errorf("%v: exit %d, %v; want 2 saying %q", tc.args, exitCode(err), err, tc.want)
		}
	}
}

// TestSecretFlagValueIsNeverEchoed: a flag given as --secret-key=KEY (no
// such flag: the key is never a flag value) is named without its value,
// before a command or after one, and told where the key goes; an unknown
// flag's value before a command is not echoed either.
func TestSecretFlagValueIsNeverEchoed(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		secret bool // a secret key's flag: told where the key goes
	}{
		{[]string{"--secret-key=" + testKey, "run", "in.csv"}, true}, {[]string{"-key=" + testKey}, true},
		{[]string{"run", "--secret-key=" + testKey, "in.csv"}, true}, {[]string{"load", "--secret_key", testKey}, true},
		{[]string{"--bogus=" + testKey}, false},
	} {
		e, out, errOut := testEnv(nil)
		err := run(context.Background(), tc.args, e)
		all := fmt.Sprint(err) + out.String() + errOut.String()
		if exitCode(err) != exitUsage || strings.Contains(all, testKey) {
			t.Errorf("%q: exit %d, said %q; want 2, the key never said", tc.args, exitCode(err), all)
		}
		if tc.secret && !strings.Contains(all, "never a flag value; set MSGREAD_SECRET_KEY or --secret-key-file") {
			t.Errorf("%q: %q does not say where the key goes", tc.args, all)
		}
	}
}

// TestMistypedFlagIsSuggested: a flag the command does not have is named
// with the one it most likely meant, on the command line only.
func TestMistypedFlagIsSuggested(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--mock", "--rpeort", "r.csv", "in.csv"}, "msgread run: unknown flag --rpeort: did you mean --report? (msgread run -h lists the flags)"},
		{[]string{"load", "--scenaro=flaky"}, "unknown flag --scenaro: did you mean --scenario?"},
		{[]string{"run", "--mock", "--sdkapid", "1", "in.csv"}, "did you mean --sdkappid?"},
		{[]string{"check", "--frobnicate", "in.csv"}, "msgread check: unknown flag --frobnicate (msgread check -h"},
		{[]string{"run", "--mock", "in.csv", "--report"}, "msgread run: --report needs a value"},
	} {
		e, _, errOut := testEnv(nil)
		err := run(context.Background(), tc.args, e)
		if exitCode(err) != exitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying %q", tc.args, exitCode(err), errOut, tc.want)
		}
	}
}

// TestCommandWithoutItsInput: a command given the wrong arguments (run
// with no input) says so, then its usage line and where its help is.
func TestCommandWithoutItsInput(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		usage string
	}{
		{[]string{"run"}, "usage: msgread run [flags] INPUT.csv\n(msgread run -h explains the flags, with examples)"},
		{[]string{"run", "--mock"}, "usage: msgread run [flags] INPUT.csv"},
		{[]string{"verify", "--region", "singapore"}, "usage: msgread verify [flags] REPORT.csv\n(msgread verify -h"},
		{[]string{"check", "a.csv", "b.csv"}, "usage: msgread check [flags] INPUT.csv"},
		{[]string{"load", "rows.csv"}, "usage: msgread load [flags]\n(msgread load -h"},
		{[]string{"version", "now"}, "usage: msgread version [flags]\n"},
	} {
		e, _, _ := testEnv(nil)
		err := run(context.Background(), tc.args, e)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.usage) || !strings.Contains(err.Error(), " takes ") {
			t.Errorf("%v: exit %d, %q; want 2, what it takes, then %q", tc.args, exitCode(err), err, tc.usage)
		}
	}
}

// TestOffTurnsOff: a flag whose 0 (or -1) means off also takes the word
// off, on the command line and from its MSGREAD_* twin.
func TestOffTurnsOff(t *testing.T) {
	e, _, errOut := testEnv(nil)
	o, err := commandNamed("mock").parse(e, []string{"--ceiling", "off"})
	if err != nil {
		t.Fatalf("--ceiling off: %v %s", err, errOut)
	}
	if c := o.(*mockOptions).mock.ceiling; !c.set || c.v != 0 {
		t.Errorf("--ceiling off read as %+v, want a ceiling of 0 (none)", c)
	}
	e, _, errOut = testEnv(map[string]string{"MSGREAD_CEILING": "OFF", "MSGREAD_MAX_GAVE_UP": "off"})
	o, err = commandNamed("run").parse(e, []string{"--mock", "--max-p99", "off", "--min-rate=off", "--max-failed", "off", "--retries", "off", "in.csv"})
	if err != nil {
		t.Fatalf("off values: %v %s", err, errOut)
	}
	r := o.(*runOptions)
	if th := r.engine.thresholds.get(false); th.MaxP99 != nil || th.MinRate != nil || th.MaxFailed != nil || th.MaxGaveUp != nil {
		t.Errorf("thresholds given as off are set: %+v", th)
	}
	if c := r.target.mock.ceiling; !c.set || c.v != 0 || r.engine.retries != 0 {
		t.Errorf("MSGREAD_CEILING=OFF read as %+v, --retries off as %d", c, r.engine.retries)
	}
}

// TestBadValuesAreWordedForPeople: no value refused by any flag of any
// command, on the command line or from its variable, shows Go's own
// words (strconv.Atoi: parsing "off", parse error, time: invalid duration).
func TestBadValuesAreWordedForPeople(t *testing.T) {
	goWords := []string{"strconv", "parse error", "time: ", "invalid syntax"}
	for _, c := range commands {
		fs, _ := c.flags()
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		for _, name := range names {
			for _, bad := range []string{"lots", "99999999999999999999999"} {
				e, _, errOut := testEnv(nil)
				_, err := c.parse(e, []string{"--" + name, bad})
				e2, _, errOut2 := testEnv(map[string]string{envName(name): bad})
				_, err2 := c.parse(e2, nil)
				said := errOut.String() + errOut2.String()
				for _, err := range []error{err, err2} {
					if err != nil {
						said += err.Error()
					}
				}
				for _, w := range goWords {
					if strings.Contains(said, w) {
						t.Errorf("%s --%s %s: %q shows Go's words %q", c.name, name, bad, said, w)
					}
				}
			}
		}
	}
	e, _, errOut := testEnv(nil)
	commandNamed("mock").parse(e, []string{"--ceiling", "lots"})
	if want := `msgread mock: --ceiling "lots": want a whole number, or off (the same as 0)`; !strings.Contains(errOut.String(), want) {
		t.Errorf("--ceiling lots: %q, want %q", errOut, want)
	}
}

package main

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

// envValues holds one value for every flag of every command: a flag and its
// MSGREAD_* twin have one type and one meaning in every command that reads
// them, so one value must do for all.
func envValues(t *testing.T) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"rate": "100,200", "step": "10s", "ramp": "30s", "workers": "8", "retries": "2", "timeout": "5s",
		"min-rows": "10", "max-failure-rate": "0.4", "outage-budget": "2m", "share": "greedy", "report": filepath.Join(dir, "r.csv"), "summary-json": "-",
		"progress": "none", "log-every": "30s", "max-p99": "2s", "min-rate": "0.9", "max-failed": "0.01", "max-gave-up": "0",
		"sdkappid": "1400000001", "admin": "ops", "secret-key-file": filepath.Join(dir, "key"), "usersig-ttl": "2h",
		"users": filepath.Join(dir, "users.txt"), "ceiling": "150", "scenario": "flaky", "seed": "7",
		"endpoint": "http://127.0.0.1:9", "region": "singapore", "mock": "true",
		"failed": filepath.Join(dir, "f.csv"), "resume": filepath.Join(dir, "old.csv"), "input": filepath.Join(dir, "in.csv"),
		"duration": "10s", "rows": "100", "population": "50", "invalid-rate": "0.1",
		"timeline": filepath.Join(dir, "t.csv"), "html": filepath.Join(dir, "h.html"), "html-run-only": "true", "project": "1000",
		"show": "5", "addr": "127.0.0.1:0", "readout-token": "t0ken", "from": "2024-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z",
		"out": filepath.Join(dir, "gen.csv"), "stages": "100:10s,0:5s", "log-format": "json", "metrics-addr": "127.0.0.1:0",
		"sample": "5%", "msg-read-time-json": "string", "verify": "5%",
		"baseline": filepath.Join(dir, "baseline.json"), "max-regression": "5%",
		"callback-url": "http://127.0.0.1:9/im", "callback-queue": "100", "callback-conns": "4", "callback-timeout": "1s",
	}
}

// positional gives each command the arguments it needs, and the target
// flags a run needs when the variable under test is not one of them.
func positional(name, flagName string) []string {
	switch name {
	case "run":
		if flagName == "endpoint" || flagName == "region" {
			return []string{"--sdkappid", "1400000001", "--admin", "ops", "in.csv"}
		}
		if flagName == "mock" {
			return []string{"in.csv"}
		}
		return []string{"--mock", "in.csv"}
	case "check":
		return []string{"in.csv"}
	case "report":
		return []string{"r.csv"}
	case "verify":
		return append(realApp(flagName, "endpoint", "--endpoint", "http://127.0.0.1:9"), "r.csv")
	case "load":
		if flagName == "endpoint" {
			return realApp(flagName)
		}
	}
	return nil
}

// realApp is what a real target needs given, but the flag under test (its
// variable gives it): the target, --sdkappid and --admin.
func realApp(flagName string, flags ...string) []string {
	flags = append(flags, "sdkappid", "--sdkappid", "1400000001", "admin", "--admin", "ops")
	var args []string
	for i := 0; i < len(flags); i += 3 {
		if flags[i] != flagName && !(flags[i] == "endpoint" && flagName == "region") {
			args = append(args, flags[i+1], flags[i+2])
		}
	}
	return args
}

// TestEveryEnvironmentVariableParsesInEveryCommand sets each MSGREAD_*
// variable, alone and then all at once, and parses and validates every
// command's flags with it: a variable that one command reads as a number
// and another as a file would fail here.
func TestEveryEnvironmentVariableParsesInEveryCommand(t *testing.T) {
	values := envValues(t)
	for _, c := range commands {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.options().register(fs)
		fs.VisitAll(func(f *flag.Flag) {
			v, ok := values[f.Name]
			if !ok {
				t.Errorf("%s --%s has no value in envValues: add one that every command reading %s accepts", c.name, f.Name, envName(f.Name))
				return
			}
			e, _, errOut := testEnv(map[string]string{envName(f.Name): v})
			if _, err := c.parse(e, positional(c.name, f.Name)); err != nil {
				t.Errorf("%s with %s=%q: %v %s", c.name, envName(f.Name), v, err, errOut)
			}
		})
		// All at once: each parses (validation may refuse combinations,
		// such as --mock with --region, but never a value's type).
		all := map[string]string{}
		for name, v := range values {
			all[envName(name)] = v
		}
		e, _, errOut := testEnv(all)
		fs2 := newFlagSet(c.name)
		c.options().register(fs2)
		if _, err := parseFlags(fs2, e, positional(c.name, "")); err != nil {
			t.Errorf("%s with every variable set: %v %s", c.name, err, errOut)
		}
	}
}

// TestBadNumbersAreRefusedBeforeAnything: NaN, infinities and values out of
// range are usage errors, in every command that takes them.
func TestBadNumbersAreRefusedBeforeAnything(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--mock", "--rate", "NaN", "in.csv"},
		{"run", "--mock", "--rate", "+Inf", "in.csv"},
		{"run", "--mock", "--rate", "0", "in.csv"},
		{"run", "--mock", "--rate", "100,NaN", "in.csv"},
		{"run", "--mock", "--max-failure-rate", "NaN", "in.csv"},
		{"run", "--mock", "--min-rate", "NaN", "in.csv"},
		{"run", "--mock", "--max-failed", "2", "in.csv"},
		{"run", "--mock", "--workers", "0", "in.csv"},
		{"run", "--mock", "--admin", "", "in.csv"},
		{"run", "--mock", "--admin", ",", "in.csv"},
		{"load", "--invalid-rate", "NaN"},
		{"load", "--rate", "50:300", "--rows", "10"},
		{"check", "--rate", "-1", "in.csv"},
		{"gen", "--invalid-rate", "1.5"},
		{"usersig", "--admin", ""},
		{"mock", "--ceiling", "-5"},
		{"run", "--mock", "--ceiling", "-1", "in.csv"},
		{"load", "--ceiling", "-1"},
		{"run", "--mock", "--outage-budget", "0s", "in.csv"},
		{"run", "--mock", "--usersig-ttl", "0s", "in.csv"},
		{"load", "--population", "1"},
		{"load", "--project", "0"},
		{"load", "--stages", "NaN:10s"},
		{"load", "--stages", "100:0s"},
		{"load", "--stages", "100:-1s"},
		{"load", "--stages", "100"},
		{"load", "--stages", "100:10s", "--rate", "300"},
		{"load", "--log-format", "xml"},
		{"run", "--mock", "--metrics-addr", "9090", "in.csv"},
		{"load", "--callback-url", "http://127.0.0.1:9/", "--callback-queue", "0"},
		{"load", "--callback-url", "http://127.0.0.1:9/", "--callback-conns", "-1"},
		{"load", "--callback-url", "http://127.0.0.1:9/", "--callback-timeout", "-1s"},
		{"mock", "--callback-url", "http://127.0.0.1:9/", "--callback-timeout", "2h"},
		{"mock", "--callback-url", "ftp://127.0.0.1/"},
	} {
		e, _, _ := testEnv(nil)
		c := commandNamed(args[0])
		if _, err := c.parse(e, args[1:]); exitCode(err) != exitUsage {
			t.Errorf("%s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

func commandNamed(name string) command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	panic(name)
}

// TestRefusedEnvironmentValueNamesItsVariable: a value refused by
// validation that came from a MSGREAD_* variable, not the command line,
// is named with the variable: "--share \"SAFE\"" alone sent someone who
// never typed --share looking for it in vain (an env file set it).
func TestRefusedEnvironmentValueNamesItsVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"MSGREAD_SHARE": "SAFE"}, nil, `--share "SAFE": want safe or greedy (set by MSGREAD_SHARE)`},
		{map[string]string{"MSGREAD_LOG_FORMAT": "yaml"}, nil, "(set by MSGREAD_LOG_FORMAT)"},
		{map[string]string{"MSGREAD_CALLBACK_TIMEOUT": "0"}, []string{"--callback-url", "http://127.0.0.1:9/"}, "(set by MSGREAD_CALLBACK_TIMEOUT)"},
		{nil, []string{"--share", "SAFE"}, `--share "SAFE": want safe or greedy`},
	} {
		e, _, _ := testEnv(tc.env)
		_, err := commandNamed("load").parse(e, append([]string{"--rows", "5"}, tc.args...))
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) || tc.env == nil && strings.Contains(err.Error(), "set by") {
			t.Errorf("%v %v: exit %d, %v; want 2 saying %q", tc.env, tc.args, exitCode(err), err, tc.want)
		}
	}
}

package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/msgread/msgread/internal/safetext"
)

// envPrefix starts the name of every environment variable msgread reads.
const envPrefix = "MSGREAD_"

// otherEnv are the variables msgread (or its tests and scripts) reads that
// are no flag's twin.
var otherEnv = []string{secretKeyEnv, "MSGREAD_CPUPROFILE", "MSGREAD_CRASHPOINT", "MSGREAD_CRASH_FULL", "MSGREAD_BENCH_LINES",
	"MSGREAD_BENCH_VERIFY_ROWS", "MSGREAD_PATH"}

// knownEnv returns every MSGREAD_ variable msgread knows: the twins of
// every command's flags, and otherEnv.
func knownEnv() []string {
	seen := map[string]bool{}
	for _, v := range otherEnv {
		seen[v] = true
	}
	for _, c := range commands {
		fs, _ := c.flags()
		fs.VisitAll(func(f *flag.Flag) { seen[envName(f.Name)] = true })
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// noteUnknownEnv says, on stderr, each MSGREAD_ variable of the
// environment that no command reads: a typo (MSGREAD_RAET=50) would
// otherwise be ignored in silence, and the run go at the default. The
// variable's value is never printed (it could be a key).
func noteUnknownEnv(e *env, command string) {
	if e.environ == nil {
		return
	}
	var known []string
	for _, kv := range e.environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) {
			continue
		}
		if known == nil {
			known = knownEnv()
		}
		if i := sort.SearchStrings(known, name); i < len(known) && known[i] == name {
			continue
		}
		fmt.Fprintf(e.stderr, "msgread %s: note: %s is not a variable msgread reads, ignored%s\n", command, safetext.Quote(name), envSuggestion(name, known))
	}
}

// envSuggestion is ": did you mean MSGREAD_RATE?" for a name near a known
// one, compared without their common prefix; "" when none is near.
func envSuggestion(name string, known []string) string {
	rest := make([]string, len(known))
	for i, k := range known {
		rest[i] = strings.TrimPrefix(k, envPrefix)
	}
	return didYouMean(envPrefix, strings.TrimPrefix(name, envPrefix), rest)
}

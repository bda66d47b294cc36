package main

import (
	"strings"
	"testing"
)

// TestRateErrorsNameWhatWasTyped: a --rate or --stages that cannot be used
// is refused (exit 2) with a message that quotes it, not an example.
func TestRateErrorsNameWhatWasTyped(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--mock", "--rate", "5:5", "in.csv"}, `a ramp "5:5" needs a --ramp`},
		{[]string{"run", "--mock", "--rate", "5:5", "--ramp", "-1s", "in.csv"}, `a ramp "5:5" needs a --ramp longer than zero`},
		{[]string{"check", "--rate", "7:9", "in.csv"}, `a ramp "7:9"`},
		{[]string{"load", "--rate", "50:60", "--rows", "10"}, `a ramp "50:60"`},
		{[]string{"run", "--mock", "--rate", "1,2", "--step", "0s", "in.csv"}, `the steps "1,2" need a --step`},
		{[]string{"run", "--mock", "--rate", "100,x", "in.csv"}, `rate "x" in steps "100,x"`},
		{[]string{"load", "--stages", "100:10s,"}, `stage "" of "100:10s,"`},
		{[]string{"load", "--stages", "100:0s"}, `stages "100:0s" last no time`},
	} {
		e, _, _ := testEnv(nil)
		_, err := commandNamed(tt.args[0]).parse(e, tt.args[1:])
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "50:300") {
			t.Errorf("%s: %v (exit %d), want exit 2 saying %s", strings.Join(tt.args, " "), err, exitCode(err), tt.want)
		}
	}
}

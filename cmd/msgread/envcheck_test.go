package main

import (
	"context"
	"strings"
	"testing"
)

// A mistyped MSGREAD_ variable is said on stderr, with the name it likely
// meant, not ignored in silence (the run would go at the default); the
// twins of any command's flags and msgread's other variables are not, in
// any command; a value is never printed, a name's escapes are escaped.
func TestUnknownEnvironmentVariableIsNoted(t *testing.T) {
	vars := map[string]string{
		"MSGREAD_RAET": "50", "MSGREAD_MAX_REGRESION": "5%", "MSGREAD_X\x1b[31m": "1", "MSGREAD_FOO": "value-never-printed",
		"MSGREAD_MAX_REGRESSION": "10%", "MSGREAD_SCENARIO": "flaky", secretKeyEnv: testKey, "HOME": "/root",
	}
	e, _, errOut := testEnv(vars)
	e.environ = func() []string {
		var out []string
		for k, v := range vars {
			out = append(out, k+"="+v)
		}
		return out
	}
	if err := run(context.Background(), []string{"version"}, e); err != nil {
		t.Fatal(err)
	}
	got := errOut.String()
	for _, want := range []string{
		"msgread version: note: MSGREAD_RAET is not a variable msgread reads, ignored: did you mean MSGREAD_RATE?",
		"MSGREAD_MAX_REGRESION is not a variable msgread reads, ignored: did you mean MSGREAD_MAX_REGRESSION?",
		`"MSGREAD_X\x1b[31m" is not a variable`,
		"MSGREAD_FOO is not a variable msgread reads, ignored\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"MSGREAD_MAX_REGRESSION is", "MSGREAD_SCENARIO", "MSGREAD_SECRET_KEY", "HOME", "value-never-printed", testKey, "\x1b"} {
		if strings.Contains(got, bad) {
			t.Errorf("stderr says %q:\n%s", bad, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 4 {
		t.Errorf("%d lines, want 4:\n%s", n, got)
	}
}

package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef0123"}
	modified := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, c := range []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"a module version", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{rev}}, "v1.2.3"},
		{"a revision", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{rev}}, "devel-0123456789ab"},
		{"a modified checkout", debug.BuildInfo{Settings: []debug.BuildSetting{rev, modified}}, "devel-0123456789ab-dirty"},
		{"a short revision", debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, "devel-abc"},
		{"nothing stamped", debug.BuildInfo{}, "devel"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := versionOf(&c.info); got != c.want {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
	if got := Version("v9"); got != "v9" {
		t.Errorf("a stamped version: %q", got)
	}
}

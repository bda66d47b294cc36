// Package buildinfo names the version of the running binary.
package buildinfo

import "runtime/debug"

// Version is the binary's version: stamped, when set at build time (with
// -ldflags "-X main.version=…"), else the module version Go stamped from
// the checkout's VCS (go install ./cmd/msgread in a clone gives
// v0.0.0-DATE-REVISION, +dirty with local changes), else the VCS revision,
// else "devel" (a test binary, say).
func Version(stamped string) string {
	if stamped != "" {
		return stamped
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionOf(info)
}

// versionOf is the version info names.
func versionOf(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}

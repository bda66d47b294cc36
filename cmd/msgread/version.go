package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it the version comes from the build information Go stamps in the binary.
var version = ""

// versionString is msgread's version: the one set at build time, else the
// module version Go stamped from the checkout's VCS (go install ./cmd/msgread
// in a clone gives v0.0.0-DATE-REVISION, +dirty with local changes), else
// the VCS revision, else "devel" (a test binary, say).
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
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

// versionOptions are the settings of "msgread version": none.
type versionOptions struct{}

func (versionOptions) register(*flag.FlagSet) {}

func (versionOptions) validate(args []string) error {
	if len(args) > 0 {
		return usageError("version takes no arguments")
	}
	return nil
}

func (versionOptions) run(_ context.Context, e *env) error {
	fmt.Fprintf(e.stdout, "msgread %s %s %s/%s\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

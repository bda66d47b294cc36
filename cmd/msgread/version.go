package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

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
	v := version
	if v == "" {
		v = "(devel)"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	fmt.Fprintf(e.stdout, "msgread %s %s %s/%s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

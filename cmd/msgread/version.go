package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"

	"github.com/msgread/msgread/internal/buildinfo"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it the version comes from the build information Go stamps in the binary.
var version = ""

// versionString is msgread's version (see buildinfo.Version).
func versionString() string { return buildinfo.Version(version) }

// versionOptions are the settings of "msgread version": none.
type versionOptions struct{}

func (versionOptions) register(*flag.FlagSet) {}

func (versionOptions) validate(args []string) error {
	if len(args) > 0 {
		return argsError("version takes no arguments")
	}
	return nil
}

func (versionOptions) run(_ context.Context, e *env) error {
	fmt.Fprintf(e.stdout, "msgread %s %s %s/%s\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

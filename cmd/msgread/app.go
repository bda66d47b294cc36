package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/mockserver"
)

// appFlags name the app and its admin, shared by several commands.
type appFlags struct {
	sdkappid uint64
	admins   stringList
	keyFile  string
	ttl      time.Duration
	// flags is the set registered in, to tell a value given (on the
	// command line or by its MSGREAD_* twin) from the mock's default.
	flags *flag.FlagSet
}

func (a *appFlags) register(fs *flag.FlagSet) {
	a.flags = fs
	fs.Uint64Var(&a.sdkappid, "sdkappid", mockserver.DefaultSDKAppID, "the app's `SDKAppID` (the default is the mock's: a real --region or --endpoint needs it given)")
	a.admins = stringList{values: []string{mockserver.DefaultAdmin}}
	fs.Var(&a.admins, "admin", "app admin `account` (repeatable for the mock; the first one signs; the default is the mock's:\na real --region or --endpoint needs it given)")
	fs.StringVar(&a.keyFile, "secret-key-file", "", "`file` holding the app's secret key (else MSGREAD_SECRET_KEY)")
	fs.DurationVar(&a.ttl, "usersig-ttl", batch.DefaultUserSigTTL, "lifetime of each generated UserSig; renewed well before expiry")
}

// validate checks the app's settings before anything starts.
func (a *appFlags) validate() error {
	switch {
	case len(a.admins.values) == 0 || a.admins.values[0] == "":
		return usageError("--admin: give an app admin account")
	case a.sdkappid == 0:
		return usageError("--sdkappid: give the app's SDKAppID")
	case a.ttl < time.Second:
		return usageError("--usersig-ttl must be at least 1s")
	}
	return nil
}

// requireGiven refuses the mock's default app and admin for a real
// target: against a region or an endpoint msgread acts as an admin of an
// app, and which ones must be said, on the command line or by their
// MSGREAD_* twins. target is the flag that names the target.
func (a *appFlags) requireGiven(target string) error {
	given := map[string]bool{}
	if a.flags != nil {
		a.flags.Visit(func(f *flag.Flag) { given[f.Name] = true }) // the twins are set through the flag set too
	}
	var missing []string
	for _, name := range []string{"sdkappid", "admin"} {
		if !given[name] {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return usageError(fmt.Sprintf("%s names a real service: give %s (or %s), the app and the admin to act as; "+
		"the defaults (app %d, admin %q) are the bundled mock's, for the mock only",
		target, strings.Join(missing, " and "), envNames(missing), mockserver.DefaultSDKAppID, mockserver.DefaultAdmin))
}

// envNames names the environment twins of flags ("--sdkappid"), joined
// with "and".
func envNames(flags []string) string {
	names := make([]string, len(flags))
	for i, f := range flags {
		names[i] = envName(strings.TrimPrefix(f, "--"))
	}
	return strings.Join(names, " and ")
}

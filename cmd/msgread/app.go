package main

import (
	"flag"
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
}

func (a *appFlags) register(fs *flag.FlagSet) {
	fs.Uint64Var(&a.sdkappid, "sdkappid", mockserver.DefaultSDKAppID, "the app's `SDKAppID`")
	a.admins = stringList{values: []string{mockserver.DefaultAdmin}}
	fs.Var(&a.admins, "admin", "app admin `account` (repeatable for the mock; the first one signs)")
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

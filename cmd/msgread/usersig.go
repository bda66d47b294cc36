package main

import (
	"context"
	"fmt"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/mockserver"
)

func runUserSig(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "usersig", "", `
Prints a UserSig for the admin, signed with the app's secret key
(MSGREAD_SECRET_KEY or --secret-key-file; without either, the mock's
development key), to call the API or the mock by hand:

  curl -d '{"Report_Account":"alice","Peer_Account":"bob"}' \
    "http://127.0.0.1:8080/v4/openim/admin_set_msg_read?sdkappid=1400000000&identifier=administrator&usersig=$(msgread usersig)&random=1&contenttype=json"`)
	var app appFlags
	app.register(fs)
	rest, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("usersig takes no arguments")
	}
	key, given, err := loadSecretKey(e, app.keyFile)
	if err != nil {
		return err
	}
	if !given {
		key = mockserver.DevKey
		fmt.Fprintln(e.stderr, "msgread usersig: no MSGREAD_SECRET_KEY or --secret-key-file: signing with the mock's development key")
	}
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: app.sdkappid, Admin: app.admins.values[0], Key: key, TTL: app.ttl})
	if err != nil {
		return usageError(err.Error())
	}
	sig, err := signer.UserSig()
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, sig)
	return nil
}

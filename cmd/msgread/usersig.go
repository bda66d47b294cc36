package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/mockserver"
)

// usersigOptions are the settings of "msgread usersig".
type usersigOptions struct{ app appFlags }

func (o *usersigOptions) register(fs *flag.FlagSet) { o.app.register(fs) }

func (o *usersigOptions) validate(args []string) error {
	if len(args) > 0 {
		return argsError("usersig takes no arguments")
	}
	return o.app.validate()
}

func (o *usersigOptions) run(ctx context.Context, e *env) error {
	key, given, err := loadSecretKey(ctx, e, o.app.keyFile)
	if err != nil {
		return err
	}
	if !given {
		key = mockserver.DevKey
		fmt.Fprintln(e.stderr, "msgread usersig: no MSGREAD_SECRET_KEY or --secret-key-file: signing with the mock's development key")
	}
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: o.app.sdkappid, Admin: o.app.admins.values[0], Key: key, TTL: o.app.ttl})
	if err != nil {
		return usageErrorOf("", err)
	}
	sig, err := signer.UserSig()
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, sig)
	return nil
}

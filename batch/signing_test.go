package batch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// TestSigningAcrossExpiry runs for about 2.5 s of real time, because UserSigs
// carry whole seconds from the real clock (tencentyun stamps them itself).
func TestSigningAcrossExpiry(t *testing.T) {
	t.Parallel() // 2.5 s of real time: beside the rest of the package
	rows := make([]string, 250)
	for i := range rows {
		rows[i] = fmt.Sprintf("u%d,p,", i)
	}
	// 2.5 s of the run's clock. tencentyun stamps a UserSig with the real
	// time, which a fake clock cannot move, so the run whose UserSigs must
	// really age runs on the real clock (in parallel): with a 2 s maximum
	// age and its time in whole seconds, a UserSig is refused 1 to 2 s after
	// it was made, and a renewed one is never refused at its retry. The
	// other run shares a fake clock between signer and runner.
	run := func(t *testing.T, cfg mockserver.Config, ttl time.Duration, clock batch.Clock) (digest.Summary, *mockserver.Server, *batch.Signer) {
		srv := startMock(t, cfg)
		signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Key: mockserver.DevKey, TTL: ttl, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL(), SDKAppID: mockserver.DefaultSDKAppID, Admin: mockserver.DefaultAdmin, Signer: signer})
		r, _ := batch.New(batch.Config{Caller: c, Profile: batch.Constant(100), Workers: 8, Clock: clock})
		sum, err := r.Run(context.Background(), input(t, rows...), &memOutput{})
		if err != nil {
			t.Fatal(err)
		}
		return sum, srv, signer
	}
	t.Run("short TTL renews before expiry", func(t *testing.T) {
		t.Parallel()
		sum, srv, signer := run(t, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1}}, time.Second, newFakeClock())
		if sum.ByStatus[reports.StatusOK] != 250 || srv.Stats().ByCode["70001"] != 0 {
			t.Errorf("statuses %v, 70001 answers %d: want all ok and no expired UserSig", sum.ByStatus, srv.Stats().ByCode["70001"])
		}
		if signer.Signings() < 2 {
			t.Errorf("%d signings in 2.5 s with a 1 s TTL", signer.Signings())
		}
	})
	t.Run("expired answers renew once and retry", func(t *testing.T) {
		t.Parallel()
		sum, srv, signer := run(t, mockserver.Config{SigMaxAge: 2 * time.Second}, 24*time.Hour, batch.RealClock{})
		if sum.ByStatus[reports.StatusOK] != 250 {
			t.Errorf("statuses %v: a renewed UserSig must keep every row ok", sum.ByStatus)
		}
		if srv.Stats().ByCode["70001"] == 0 || signer.Signings() < 2 {
			t.Errorf("70001 answers %d, signings %d: the mock should have refused the aged UserSig", srv.Stats().ByCode["70001"], signer.Signings())
		}
	})
}

package batch_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/mockserver"
)

// BenchmarkVerify reads back a sample of 100 000 rows spread over 50 000
// accounts (MSGREAD_BENCH_VERIFY_ROWS sets another size; two rows an
// account) at get_c2c_unread_msg_num's 200 calls/s against the mock
// enforcing that ceiling: 50 000 calls, about 250 s. It reports the
// achieved rate over the ceiling (goal >= 0.99), the calls the mock
// refused over its ceiling (goal 0) and the calls made.
func BenchmarkVerify(b *testing.B) {
	rows := 100_000
	if s := os.Getenv("MSGREAD_BENCH_VERIFY_ROWS"); s != "" {
		fmt.Sscan(s, &rows)
	}
	sample := make([]batch.VerifyRow, rows)
	for i := range sample {
		sample[i] = batch.VerifyRow{Line: i + 2, ReportAccount: fmt.Sprintf("acct%06d", i/2), PeerAccount: fmt.Sprintf("peer%06d", i), MsgReadTime: "1750000000"}
	}
	for range b.N {
		srv, err := mockserver.New(mockserver.Config{})
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Start(""); err != nil {
			b.Fatal(err)
		}
		client := benchClient(srv)
		rowsCopy := append([]batch.VerifyRow(nil), sample...)
		sum, err := batch.Verify(context.Background(), batch.VerifyConfig{Runner: batch.Config{Profile: batch.Constant(200), Share: batch.ShareGreedy}, Counter: client, Rows: rowsCopy})
		st := srv.Stats()
		srv.Close()
		if err != nil || sum.Sampled != rows {
			b.Fatalf("%v: %d sampled", err, sum.Sampled)
		}
		b.ReportMetric(sum.Calls.RateRatio, "rate/ceiling")
		b.ReportMetric(float64(st.Unread.ByCode["60007"]), "throttled")
		b.ReportMetric(float64(sum.Calls.Attempts), "calls")
	}
}

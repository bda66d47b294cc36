package reports_test

import (
	"io"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
)

// BenchmarkWriterWrite writes report rows to io.Discard: the cost a row of
// the one goroutine that writes the report.
func BenchmarkWriterWrite(b *testing.B) {
	w, err := reports.NewWriter(io.Discard, true)
	if err != nil {
		b.Fatal(err)
	}
	rec := reports.Record{Line: 1234567, ReportAccount: "user_123456", PeerAccount: "peer_654321", MsgReadTime: "1600000000",
		Status: reports.StatusOK, HasCode: true, HTTPStatus: 200, Attempts: 1, Latency: 12 * time.Millisecond, FinishedAt: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
}

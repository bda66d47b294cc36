package mockserver_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
)

// BenchmarkServeMarkRead is the handler's cost per valid call (no network):
// query checks, cached UserSig verification, body parsing, the mark.
func BenchmarkServeMarkRead(b *testing.B) {
	srv := newMock(b, mockserver.Config{Scenario: mockserver.Scenario{Ceiling: -1}})
	target := chatapi.Path + "?" + apiQuery(devSig(b))
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) % 100_000
			body := `{"Report_Account":"user` + strconv.FormatInt(i, 10) + `","Peer_Account":"p","MsgReadTime":"1700000000"}`
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest("POST", target, strings.NewReader(body)))
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
}

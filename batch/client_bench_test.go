package batch_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
)

// canned answers every request with the OK envelope, in memory: what is
// left is the client's own work per call.
type canned struct{}

func (canned) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader([]byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}` + "\n"))), Request: r}, nil
}

// BenchmarkClientMarkRead measures the client's work for one call (the
// request built, the answer decoded), without the network.
func BenchmarkClientMarkRead(b *testing.B) {
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: 1400000000, Admin: "administrator", Key: chatapi.NewSecret("bench-key")})
	if err != nil {
		b.Fatal(err)
	}
	c, err := batch.NewClient(batch.ClientConfig{Endpoint: "http://127.0.0.1:1", SDKAppID: 1400000000, Admin: "administrator",
		Signer: signer, HTTPClient: &http.Client{Transport: canned{}}})
	if err != nil {
		b.Fatal(err)
	}
	req := chatapi.Request{ReportAccount: "user1234", PeerAccount: "user5678", MsgReadTime: "1748543774"}
	b.ReportAllocs()
	for b.Loop() {
		if res := c.MarkRead(context.Background(), req); res.Class != chatapi.ClassOK {
			b.Fatal(res.Describe())
		}
	}
}

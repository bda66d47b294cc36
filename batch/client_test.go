package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
)

// captured is what a fake service saw of one request.
type captured struct {
	method, path string
	query        map[string][]string
	body         string
}

// fakeAPI answers every request with status and body, and records it.
func fakeAPI(t *testing.T, status int, body string) (*httptest.Server, chan captured) {
	t.Helper()
	seen := make(chan captured, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- captured{r.Method, r.URL.Path, r.URL.Query(), string(b)}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

func plainClient(t *testing.T, endpoint string, timeout time.Duration) *batch.Client {
	t.Helper()
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: 1400000000, Admin: "admin & co", Key: chatapi.NewSecret(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := batch.NewClient(batch.ClientConfig{Endpoint: endpoint, SDKAppID: 1400000000, Admin: "admin & co", Signer: signer, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientRequestShape(t *testing.T) {
	srv, seen := fakeAPI(t, 200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":"abc"}`)
	c := plainClient(t, srv.URL+"/", time.Second)

	res := c.MarkRead(context.Background(), chatapi.Request{ReportAccount: "alice", PeerAccount: "bob"})
	if res.Class != chatapi.ClassOK || res.Err != nil {
		t.Fatalf("result %+v, want ok (extra fields must be tolerated)", res)
	}
	got := <-seen
	if got.method != "POST" || got.path != chatapi.Path {
		t.Errorf("request %s %s, want POST %s", got.method, got.path, chatapi.Path)
	}
	for param, want := range map[string]string{"sdkappid": "1400000000", "identifier": "admin & co", "contenttype": "json"} {
		if v := got.query[param]; len(v) != 1 || v[0] != want {
			t.Errorf("query %s = %q, want %q (escaped and unescaped intact)", param, v, want)
		}
	}
	if v := got.query["usersig"]; len(v) != 1 || v[0] == "" {
		t.Errorf("usersig missing")
	}
	if got.body != `{"Report_Account":"alice","Peer_Account":"bob"}` {
		t.Errorf("body %s: MsgReadTime must be omitted when empty", got.body)
	}

	c.MarkRead(context.Background(), chatapi.Request{ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1700000000"})
	if got := <-seen; !strings.Contains(got.body, `"MsgReadTime":1700000000}`) {
		t.Errorf("body %s lacks MsgReadTime as a JSON number", got.body)
	}
	signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: 1400000000, Admin: "admin & co", Key: chatapi.NewSecret(testKey)})
	c, _ = batch.NewClient(batch.ClientConfig{Endpoint: srv.URL, SDKAppID: 1400000000, Admin: "admin & co", Signer: signer, TimeAsString: true})
	c.MarkRead(context.Background(), chatapi.Request{ReportAccount: "alice", PeerAccount: "bob", MsgReadTime: "1700000000"})
	if got := <-seen; !strings.Contains(got.body, `"MsgReadTime":"1700000000"`) {
		t.Errorf("body %s lacks MsgReadTime as a string (TimeAsString)", got.body)
	}
}

func TestClientRandomVaries(t *testing.T) {
	srv, seen := fakeAPI(t, 200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	c := plainClient(t, srv.URL, time.Second)
	randoms := map[string]bool{}
	for range 20 {
		c.MarkRead(context.Background(), pairAB)
		randoms[(<-seen).query["random"][0]] = true
	}
	if len(randoms) < 19 {
		t.Errorf("random took %d distinct values in 20 calls; it must be fresh per request", len(randoms))
	}
}

func TestClientClassifiesFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		class  chatapi.Class
		code   int
	}{
		{"502 from a gateway", 502, "<html>Bad Gateway</html>", chatapi.ClassRetry, 0},
		{"503", 503, "", chatapi.ClassRetry, 0},
		{"truncated JSON", 200, `{"ActionStatus":"OK","Err`, chatapi.ClassRetry, 0},
		{"empty 200", 200, ``, chatapi.ClassRetry, 0},
		{"JSON without envelope", 200, `{"hello":1}`, chatapi.ClassRetry, 0},
		{"throttled", 200, `{"ActionStatus":"FAIL","ErrorInfo":"slow down","ErrorCode":60007}`, chatapi.ClassRetry, 60007},
		{"per row", 200, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":90003}`, chatapi.ClassPerRow, 90003},
		{"fatal", 200, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":70009}`, chatapi.ClassFatal, 70009},
		{"unknown code fails the row", 200, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":12345}`, chatapi.ClassPerRow, 12345},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeAPI(t, tt.status, tt.body)
			res := plainClient(t, srv.URL, time.Second).MarkRead(context.Background(), pairAB)
			if res.Class != tt.class || res.Code != tt.code || res.HTTPStatus != tt.status {
				t.Fatalf("got class %v code %d status %d, want %v %d %d", res.Class, res.Code, res.HTTPStatus, tt.class, tt.code, tt.status)
			}
			if tt.code == 0 && res.Err == nil {
				t.Errorf("no Err for a failure without an envelope")
			}
		})
	}
}

func TestClientTimeoutIsRetryAndRedacted(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	res := plainClient(t, srv.URL, 50*time.Millisecond).MarkRead(context.Background(), pairAB)
	if res.Class != chatapi.ClassRetry || res.Err == nil {
		t.Fatalf("result %+v, want a retryable timeout", res)
	}
	if msg := res.Err.Error(); !strings.Contains(msg, "usersig=REDACTED") || strings.Contains(msg, "eAE") {
		t.Errorf("error %q must name the URL with its UserSig redacted", msg)
	}
	if !strings.Contains(res.Err.Error(), "timed out") {
		t.Errorf("error %q does not say it timed out", res.Err)
	}
}

// A redirect is not followed (it would carry the UserSig to the address it
// names): the call is refused, and the error names where it pointed with
// any UserSig there redacted.
func TestClientDoesNotFollowRedirects(t *testing.T) {
	followed := make(chan struct{}, 1)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed <- struct{}{} }))
	defer elsewhere.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res := plainClient(t, srv.URL, time.Second).MarkRead(context.Background(), pairAB)
	if res.Class != chatapi.ClassFatal || res.HTTPStatus != http.StatusTemporaryRedirect || res.Err == nil {
		t.Fatalf("result %+v, want a refused call with status 307", res)
	}
	msg := res.Err.Error()
	if !strings.Contains(msg, elsewhere.URL+chatapi.Path) || !strings.Contains(msg, "give "+elsewhere.URL+" as the endpoint") ||
		!strings.Contains(msg, "usersig=REDACTED") || strings.Contains(msg, "eAE") {
		t.Errorf("error %q must name the redirect's target with its UserSig redacted", msg)
	}
	select {
	case <-followed:
		t.Error("the redirect was followed")
	default:
	}
}

// A redirect's address is server text: however long, the error quotes it
// cut short, the endpoint it suggests too.
func TestClientCutsALongRedirect(t *testing.T) {
	long := "https://evil.example/" + strings.Repeat("a", 20000) + chatapi.Path
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", long)
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	res := plainClient(t, srv.URL, time.Second).MarkRead(context.Background(), pairAB)
	if msg := res.Describe(); res.Class != chatapi.ClassFatal || len(msg) > 1000 || !strings.Contains(msg, "as the endpoint") {
		t.Fatalf("class %v, %d bytes: %.200s", res.Class, len(msg), msg)
	}
}

func TestClientCancelled(t *testing.T) {
	srv, _ := fakeAPI(t, 200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := plainClient(t, srv.URL, time.Second).MarkRead(ctx, pairAB)
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", res.Err)
	}
}

func TestClientCapsResponseBody(t *testing.T) {
	huge := `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"` + strings.Repeat("x", 1<<20) + `"}`
	srv, _ := fakeAPI(t, 200, huge)
	res := plainClient(t, srv.URL, 5*time.Second).MarkRead(context.Background(), pairAB)
	if res.Class != chatapi.ClassRetry || !errors.Is(res.Err, batch.ErrMalformedResponse) {
		t.Fatalf("a 1 MiB body: %+v, want it cut and refused as malformed", res)
	}
}

func TestNewClientRefusesBadEndpoint(t *testing.T) {
	signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey)})
	for _, ep := range []string{"", "console.tim.qq.com", "ftp://x", "http://"} {
		if _, err := batch.NewClient(batch.ClientConfig{Endpoint: ep, SDKAppID: 1, Admin: "a", Signer: signer}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}

// leak finds a usersig parameter whose value was not redacted.
var leak = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9_])usersig(?:=|%3D|":\s*")(?:[A-QS-Za-qs-z0-9*_\-+/=%.]|[Rr](?:[^Ee]|$))`)

func FuzzDecodeResponse(f *testing.F) {
	f.Add(200, []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`))
	f.Add(200, []byte(`{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":60007,"RequestId":"r"}`))
	f.Add(200, []byte(`{"ActionStatus":"FAIL","ErrorCode":0}`))
	f.Add(200, []byte(`{"ErrorCode":0,"ErrorInfo":""}`))
	f.Add(200, []byte(`{"ErrorCode":70500,"ErrorInfo":"see https://x/v4?usersig=eJwSECRET&random=1"}`))
	f.Add(404, []byte(`<html>not found</html>`))
	f.Add(200, []byte(`{"ActionStatus":"OK","ErrorCode":"0"}`))
	f.Add(200, []byte(`[1,2]`))
	f.Add(200, []byte(`null`))
	f.Add(502, []byte(`<html>`))
	f.Add(200, []byte{})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res := batch.DecodeResponse(status, body)
		if res.Class == chatapi.ClassOK {
			var env chatapi.Response
			if status != 200 || json.Unmarshal(body, &env) != nil || env.ErrorCode != 0 {
				t.Fatalf("status %d body %q decoded as ok", status, body)
			}
		}
		if (res.Err != nil) != (res.Code == 0 && res.Class != chatapi.ClassOK) {
			t.Fatalf("Err %v inconsistent with code %d class %v", res.Err, res.Code, res.Class)
		}
		if leak.MatchString(res.Describe()) || len(res.Info) > 400 {
			t.Fatalf("server text not redacted or not cut: %q", res.Describe())
		}
	})
}

// TestDecodeOKFastPath: the OK envelope taken without parsing decodes as
// the parsed one does.
func TestDecodeOKFastPath(t *testing.T) {
	fast := batch.DecodeResponse(200, []byte("{\"ActionStatus\":\"OK\",\"ErrorInfo\":\"\",\"ErrorCode\":0}\n"))
	parsed := batch.DecodeResponse(200, []byte(`{"ErrorCode":0,"ActionStatus":"OK","ErrorInfo":""}`))
	if fast.Class != parsed.Class || fast.Code != parsed.Code || fast.Info != parsed.Info || fast.Throttle != parsed.Throttle || fast.Err != nil || parsed.Err != nil {
		t.Fatalf("fast %+v, parsed %+v", fast, parsed)
	}
}

// TestClientOverTLS: the request the client builds itself (not through
// http.NewRequest) goes over HTTPS as the real service is reached, with its
// Host, path, query and Content-Type.
func TestClientOverTLS(t *testing.T) {
	seen := make(chan *http.Request, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		seen <- r
		io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	}))
	defer srv.Close()
	signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: 1400000000, Admin: "administrator", Key: chatapi.NewSecret(testKey)})
	c, err := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL, SDKAppID: 1400000000, Admin: "administrator", Signer: signer, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.MarkRead(context.Background(), pairAB); res.Class != chatapi.ClassOK || res.Err != nil {
		t.Fatalf("over TLS: %+v", res)
	}
	r := <-seen
	if r.TLS == nil || r.Host != strings.TrimPrefix(srv.URL, "https://") || r.URL.Path != chatapi.Path ||
		r.Header.Get("Content-Type") != "application/json" || r.URL.Query().Get("sdkappid") != "1400000000" {
		t.Errorf("request over TLS %v, host %s, %s %v", r.TLS != nil, r.Host, r.URL, r.Header)
	}
}

// TestClientKeepsTheServiceDate: an answer's Date header (the service's
// clock, which a safe pacer reads) reaches the Result as sent, a slow-down
// answer's included; none, none.
func TestClientKeepsTheServiceDate(t *testing.T) {
	const date = "Sat, 05 Dec 2026 05:30:01 GMT"
	for _, c := range []struct{ date, body string }{
		{date, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`},
		{date, `{"ActionStatus":"FAIL","ErrorInfo":"slow down","ErrorCode":60007}`},
		{"", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header()["Date"] = nil // net/http adds its own unless told not to
			if c.date != "" {
				w.Header().Set("Date", c.date)
			}
			io.WriteString(w, c.body)
		}))
		signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: 1400000000, Admin: "administrator", Key: chatapi.NewSecret(testKey)})
		cl, err := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL, SDKAppID: 1400000000, Admin: "administrator", Signer: signer, HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if res := cl.MarkRead(context.Background(), pairAB); res.Date != c.date {
			t.Errorf("answer %s with Date %q: Result.Date %q", c.body, c.date, res.Date)
		}
		srv.Close()
	}
}

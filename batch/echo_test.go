package batch_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// sigLeak returns a run of chatapi.MinEcho characters of sig, as sent or
// escaped, that text holds across line breaks and spaces, or "".
func sigLeak(text, sig string) string {
	flat := strings.NewReplacer(" ", "", "\t", "", "\r", "", "\n", "", `\n`, "", `\r`, "").Replace(text)
	once := url.QueryEscape(sig)
	for _, form := range []string{sig, once, url.QueryEscape(once)} {
		for i := 0; i+chatapi.MinEcho <= len(form); i++ {
			if g := form[i : i+chatapi.MinEcho]; strings.Contains(flat, g) {
				return g
			}
		}
	}
	return ""
}

// echoing is a service that echoes the UserSig it was sent back in the
// form its Report_Account names.
// It returns the last UserSig it saw.
func echoing(t *testing.T) (*httptest.Server, func() string) {
	var mu sync.Mutex
	var last string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Report_Account string }
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &req)
		sig := r.URL.Query().Get("usersig")
		mu.Lock()
		last = sig
		mu.Unlock()
		info := func(text string) {
			b, _ := json.Marshal(map[string]any{"ActionStatus": "FAIL", "ErrorCode": 70402, "ErrorInfo": text})
			w.Write(b)
		}
		switch req.Report_Account {
		case "raw":
			info("refused " + sig)
		case "colon":
			info("usersig: " + sig)
		case "escaped":
			info("query " + url.QueryEscape(r.URL.RawQuery))
		case "quoted":
			info(`sig "` + sig + `" refused`)
		case "sig=":
			info("sig=" + sig + "&random=1")
		case "split":
			info("usersig=" + sig[:120] + "\n" + sig[120:])
		case "reversed":
			info("refused " + reverse(sig))
		case "base64":
			info("sig " + base64.StdEncoding.EncodeToString([]byte(sig)))
		case "percent every character":
			var b strings.Builder
			for i := range len(sig) {
				fmt.Fprintf(&b, "%%%02X", sig[i])
			}
			info(b.String())
		case "html entities":
			var b strings.Builder
			for i := range len(sig) {
				fmt.Fprintf(&b, "&#%d;", sig[i])
			}
			info(b.String())
		case "upper case":
			info("usersig " + strings.ToUpper(sig))
		case "15-character pieces":
			var parts []string
			for s := sig; s != ""; s = s[min(15, len(s)):] {
				parts = append(parts, s[:min(15, len(s))])
			}
			info(strings.Join(parts, "|"))
		case "decoded", "decoded TLS.sig":
			doc, tlsSig := decodeUserSig(sig)
			if req.Report_Account == "decoded" {
				info("UserSig invalid: " + doc)
			} else {
				info("want sig " + tlsSig)
			}
		case "http 500 reversed":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "upstream saw "+reverse(sig))
		case "http 500":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "<pre>upstream saw usersig: "+sig+"</pre>")
		case "malformed":
			io.WriteString(w, "<html>"+sig[:190]+"</html>")
		case "redirect":
			w.Header().Set("Location", "https://elsewhere.example/"+sig+chatapi.Path)
			w.WriteHeader(http.StatusFound)
		case "broken HTTP":
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				fmt.Fprintf(buf, "XTTP/1.1 %s\r\n\r\n", sig)
				buf.Flush()
				conn.Close()
			}
		default:
			info("")
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() string { mu.Lock(); defer mu.Unlock(); return last }
}

// decodeUserSig returns the JSON inside a UserSig and its TLS.sig, as a
// service that decodes it has them; "" if it does not decode.
func decodeUserSig(sig string) (doc, tlsSig string) {
	b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("*", "+", "-", "/", "_", "=").Replace(sig))
	if err != nil {
		return "", ""
	}
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", ""
	}
	data, _ := io.ReadAll(zr)
	var fields struct {
		Sig string `json:"TLS.sig"`
	}
	json.Unmarshal(data, &fields)
	return strings.TrimSpace(string(data)), fields.Sig
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// TestClientWithholdsDisguisedUserSigs: an ErrorInfo or a body that echoes
// the UserSig in disguise is withheld whole; the code, class and status
// stay.
func TestClientWithholdsDisguisedUserSigs(t *testing.T) {
	srv, _ := echoing(t)
	c := plainClient(t, srv.URL, time.Second)
	for _, form := range []string{"reversed", "base64", "percent every character", "html entities", "upper case", "15-character pieces"} {
		t.Run(form, func(t *testing.T) {
			res := c.MarkRead(context.Background(), chatapi.Request{ReportAccount: form, PeerAccount: "p"})
			if res.Info != chatapi.Withheld || res.Code != 70402 || res.Class != chatapi.Lookup(70402).Class || res.Err != nil {
				t.Errorf("result %+v, want code 70402 with its text withheld", res)
			}
		})
	}
	res := c.MarkRead(context.Background(), chatapi.Request{ReportAccount: "http 500 reversed", PeerAccount: "p"})
	if res.Err == nil || res.Err.Error() != chatapi.Withheld || res.HTTPStatus != 500 || res.Class != chatapi.ClassRetry {
		t.Errorf("result %+v, want a retried 500 with its text withheld", res)
	}
}

// TestClientRedactsEchoedUserSigs: whatever form a service echoes the
// UserSig in, in its ErrorInfo, its body, a redirect or a broken answer,
// no run of 16 of its characters is left in the Result.
func TestClientRedactsEchoedUserSigs(t *testing.T) {
	srv, lastSig := echoing(t)
	c := plainClient(t, srv.URL, time.Second)
	for _, form := range []string{"raw", "colon", "escaped", "quoted", "sig=", "split", "http 500", "malformed", "redirect", "broken HTTP"} {
		t.Run(form, func(t *testing.T) {
			res := c.MarkRead(context.Background(), chatapi.Request{ReportAccount: form, PeerAccount: "p"})
			if res.Describe() == "" {
				t.Fatalf("result %+v: no text to check", res)
			}
			sig := lastSig()
			if len(sig) < 100 {
				t.Fatalf("the service saw UserSig %q", sig)
			}
			if g := sigLeak(res.Describe()+" "+res.Info, sig); g != "" {
				t.Errorf("%q still holds %q of the UserSig", res.Describe(), g)
			}
		})
	}
}

// TestClientRedactsDecodedUserSigs: a service that echoes the UserSig
// decoded (its JSON, or only its TLS.sig, from which the UserSig can be
// rebuilt) has the TLS.sig cut out of the Result; the public fields stay.
func TestClientRedactsDecodedUserSigs(t *testing.T) {
	srv, lastSig := echoing(t)
	c := plainClient(t, srv.URL, time.Second)
	for _, form := range []string{"decoded", "decoded TLS.sig"} {
		t.Run(form, func(t *testing.T) {
			res := c.MarkRead(context.Background(), chatapi.Request{ReportAccount: form, PeerAccount: "p"})
			_, tlsSig := decodeUserSig(lastSig())
			if len(tlsSig) != 44 {
				t.Fatalf("the service saw a UserSig with TLS.sig %q", tlsSig)
			}
			if g := sigLeak(res.Describe()+" "+res.Info, tlsSig); g != "" {
				t.Errorf("%q still holds %q of TLS.sig", res.Describe(), g)
			}
			if res.Code != 70402 || !strings.Contains(res.Info, "REDACTED") {
				t.Errorf("result %+v, want code 70402 with TLS.sig cut out", res)
			}
			if form == "decoded" && !strings.Contains(res.Info, "TLS.identifier") {
				t.Errorf("result %+v: the public fields went too", res)
			}
		})
	}
}

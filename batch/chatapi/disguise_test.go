package chatapi_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"

	"github.com/msgread/msgread/batch/chatapi"
)

// This file checks Redact against a UserSig echoed in disguise with a
// normaliser of its own, written apart from Redact's.

func reversed(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// folded keeps the characters of the UserSig alphabet, in lower case
// (full-width letters and digits as their ASCII).
func folded(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '*' || r == '_' || r == '-') {
			b.WriteRune(r | 0x20*boolRune(r >= 'A' && r <= 'Z'))
		}
	}
	return b.String()
}

func boolRune(b bool) rune {
	if b {
		return 1
	}
	return 0
}

var (
	percentEsc = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)
	unicodeEsc = regexp.MustCompile(`\\u[0-9A-Fa-f]{4}`)
	otherEsc   = regexp.MustCompile(`\\[nrt\\/"]`)
	hexEsc     = regexp.MustCompile(`\\x[0-9A-Fa-f]{2}`)
	space      = regexp.MustCompile(`\s+`)
)

// layers returns text and what is left of it as escapes come off, one
// layer at a time.
func layers(text string) []string {
	out := []string{text}
	for range 40 {
		next := space.ReplaceAllString(text, "")
		next = percentEsc.ReplaceAllStringFunc(next, func(e string) string {
			v, _ := strconv.ParseUint(e[1:], 16, 8)
			return string([]byte{byte(v)})
		})
		next = html.UnescapeString(next)
		next = unicodeEsc.ReplaceAllStringFunc(next, func(e string) string {
			v, _ := strconv.ParseUint(e[2:], 16, 32)
			return string(rune(v))
		})
		next = hexEsc.ReplaceAllStringFunc(next, func(e string) string {
			v, _ := strconv.ParseUint(e[2:], 16, 8)
			return string([]byte{byte(v)})
		})
		next = otherEsc.ReplaceAllStringFunc(next, func(e string) string {
			if e[1] == 'n' || e[1] == 'r' || e[1] == 't' {
				return " "
			}
			return e[1:]
		})
		if next == text {
			break
		}
		out = append(out, next)
		text = next
	}
	return out
}

// sigForms are sig's folded disguises, forwards and reversed. Its base64
// is taken as it stands alone and as it reads inside the base64 of a
// longer text, after 1 or 2 bytes (less the first and last 4 characters,
// which depend on the bytes around it).
func sigForms(sig string) []string {
	all := []string{sig, hex.EncodeToString([]byte(sig))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		all = append(all, enc.EncodeToString([]byte(sig)))
		for _, before := range []string{"\x00", "\x00\x00"} {
			e := enc.EncodeToString([]byte(before + sig))
			all = append(all, e[4:len(e)-4])
		}
	}
	var forms []string
	for _, f := range all {
		forms = append(forms, folded(f), reversed(folded(f)))
	}
	return forms
}

var gramsOf sync.Map // sig → map[string]bool of its forms' runs

// disguisedLeak returns a run of chatapi.MinEcho characters of a folded
// disguise of sig that some layer of text holds, folded, or "".
func disguisedLeak(text, sig string) string {
	v, ok := gramsOf.Load(sig)
	if !ok {
		grams := map[string]bool{}
		for _, form := range sigForms(sig) {
			for i := 0; i+chatapi.MinEcho <= len(form); i++ {
				grams[form[i:i+chatapi.MinEcho]] = true
			}
		}
		v, _ = gramsOf.LoadOrStore(sig, grams)
	}
	grams := v.(map[string]bool)
	for _, layer := range layers(text) {
		flat := folded(layer)
		for i := 0; i+chatapi.MinEcho <= len(flat); i++ {
			if g := flat[i : i+chatapi.MinEcho]; grams[g] {
				return g
			}
		}
	}
	return ""
}

func eachByte(s string, f func(c byte) string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(f(s[i]))
	}
	return b.String()
}

func pieces(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

// disguise is every form of echo the tests throw at Redact, by name.
var disguise = []struct {
	name string
	f    func(sig string) string
}{
	{"raw", func(s string) string { return s }},
	{"reversed", reversed},
	{"base64 std", func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }},
	{"base64 url", func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }},
	{"base64 raw url", func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }},
	{"base64 of usersig=", func(s string) string { return base64.StdEncoding.EncodeToString([]byte("usersig=" + s)) }},
	{"base64 of x", func(s string) string { return base64.StdEncoding.EncodeToString([]byte("x" + s)) }},
	{"base64 reversed", func(s string) string { return reversed(base64.StdEncoding.EncodeToString([]byte(s))) }},
	{"base64 wrapped at 76", func(s string) string { return pieces(base64.StdEncoding.EncodeToString([]byte(s)), 76, "\r\n") }},
	{"percent every character", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf("%%%02X", c) }) }},
	{"percent lower case", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf("%%%02x", c) }) }},
	{"percent twice", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf("%%25%02X", c) }) }},
	{"html decimal", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf("&#%d;", c) }) }},
	{"html hex", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf("&#x%x;", c) }) }},
	{"html escaped twice", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf("&amp;#%d;", c) }) }},
	{"upper case", strings.ToUpper},
	{"lower case", strings.ToLower},
	{"15-character pieces joined by |", func(s string) string { return pieces(s, 15, "|") }},
	{"15-character pieces joined by spaces", func(s string) string { return pieces(s, 15, " ") }},
	{"15-character pieces on lines", func(s string) string { return pieces(s, 15, "\n") }},
	{"15-character pieces on escaped lines", func(s string) string { return pieces(s, 15, `\n`) }},
	{"one character each, dotted", func(s string) string { return pieces(s, 1, ".") }},
	{"reversed upper-case pieces", func(s string) string { return pieces(strings.ToUpper(reversed(s)), 15, ", ") }},
	{"JSON escaped", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf(`\u%04x`, c) }) }},
	{"JSON escaped twice", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf(`\\u%04X`, c) }) }},
	{"JSON escaped in a percent escape", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf(`%%5Cu%04x`, c) }) }},
	{"Go quoted hex", func(s string) string { return eachByte(s, func(c byte) string { return fmt.Sprintf(`\x%02x`, c) }) }},
	{"hex", func(s string) string { return hex.EncodeToString([]byte(s)) }},
	{"full width", func(s string) string {
		return strings.Map(func(r rune) rune {
			if r > ' ' && r < 0x7F {
				return r + 0xFEE0
			}
			return r
		}, s)
	}},
}

// TestRedactWithholdsDisguisedEchoes: a UserSig echoed in any disguise
// (whole, or as much as a 200-byte cut leaves of it, or older) leaves no
// run of 16 characters of any folded form of it in Redact's answer: the
// plain echoes are cut out, the others withheld.
func TestRedactWithholdsDisguisedEchoes(t *testing.T) {
	sig, older := testSig(1), testSig(2)
	sent := chatapi.NewSentSigs(sig, older)
	for _, d := range disguise {
		for _, s := range []string{sig, older} {
			for _, wrap := range []func(string) string{
				func(e string) string { return "UserSig verification failed: " + e + " (code 70003)" },
				func(e string) string { return e },
				// As the client has it: spaces squeezed, cut to 200 bytes.
				func(e string) string { return chatapi.RedactText("refused "+e, 200) },
			} {
				text := wrap(d.f(s))
				if disguisedLeak(text, s) == "" {
					t.Fatalf("%s: the test's own check misses the echo in %.80q", d.name, text)
				}
				got := sent.Redact(text)
				if g := disguisedLeak(got, s); g != "" {
					t.Errorf("%s: Redact(%.80q…)\n = %q\nstill holds %q", d.name, text, got, g)
				}
				if got != chatapi.Withheld && !strings.Contains(got, "REDACTED") {
					t.Errorf("%s: Redact(%.80q…) = %q: neither withheld nor marked", d.name, text, got)
				}
			}
		}
	}
	// A plain echo is still cut out precisely: the rest stays.
	if got := sent.Redact("expired: " + sig + " (again)"); got != "expired: REDACTED (again)" {
		t.Errorf("a plain echo: %q", got)
	}
}

// TestRedactKeepsOrdinaryText: the ErrorInfos the service sends, and text
// like them with IDs, times, URLs and hex, are never withheld, for random
// test UserSigs and for real ones.
func TestRedactKeepsOrdinaryText(t *testing.T) {
	texts := []string{
		"",
		"Fail to Parse json data of body, Please check it",
		"To_Account not exist: user_0000017 | RequestId: 5f3c1a2b-9d4e-4c1b-8f7a-0123456789ab",
		"invalid parameter: Peer_Account=p9, MsgReadTime=1712345678 (ActionStatus \"OK\" disagrees with ErrorCode 70402: ErrorCode decides)",
		"sdkappid 1400000000 identifier administrator: account switching timeout, retry later",
		"Err_TLS_Sig_Expired: UserSig has expired, please generate a new one. usersig=REDACTED&random=4294967295",
		"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center></body></html>",
		"trace 0af7651916cd43dd8448eb211c80319c span b7ad6b7169203331 at 2024-04-05T06:07:08.123456789Z",
		"base64 aGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IGEgc2lnbmF0dXJl and %E4%BD%A0%E5%A5%BD &#20320;&#22909; \\u4f60\\u597d",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_*",
		strings.Repeat("the quick brown fox jumps over the lazy dog ", 5),
	}
	for _, c := range chatapi.Codes() {
		texts = append(texts, c.Info, fmt.Sprintf("%d %s", c.Code, c.Info))
	}
	var sigs []string
	for i := range 8 {
		sigs = append(sigs, testSig(uint64(100+i)))
		real, err := tencentyun.GenUserSig(1400000000, "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e", []string{"administrator", "admin", "user_0000017"}[i%3], 86400*(i+1))
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, real)
	}
	for _, sig := range sigs {
		sent := chatapi.NewSentSigs(sig)
		for _, text := range texts {
			if got := sent.Redact(text); got != text {
				t.Errorf("UserSig %.12q…: Redact(%q) = %q, want it unchanged", sig, text, got)
			}
		}
	}
}

// BenchmarkRedactReported is the cost of Redact on a 200-byte ErrorInfo
// that echoes nothing, once the forms are built.
func BenchmarkRedactReported(b *testing.B) {
	sent := chatapi.NewSentSigs(testSig(1), testSig(2), testSig(3), testSig(4))
	text := chatapi.RedactText(strings.Repeat("To_Account not exist: user_0000017 %41 &amp; \\u0041 ", 6), 200)
	sent.Redact(text)
	b.ReportAllocs()
	for b.Loop() {
		sent.Redact(text)
	}
}

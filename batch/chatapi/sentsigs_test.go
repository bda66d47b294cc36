package chatapi_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
)

// testSig is a UserSig-like string of 256 characters of the UserSig
// alphabet, "*" (which a query escapes) included.
func testSig(seed uint64) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_"
	r := rand.New(rand.NewPCG(seed, 1))
	b := []byte("eAEA")
	for len(b) < 256 {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	b[100], b[200] = '*', '*'
	return string(b)
}

// unbroken is text without the breaks Redact looks through.
func unbroken(text string) string {
	return strings.NewReplacer(" ", "", "\t", "", "\r", "", "\n", "", `\n`, "", `\r`, "", `\t`, "").Replace(text)
}

// leak returns a run of chatapi.MinEcho characters of sig (as sent or
// escaped) that text still holds across its breaks, or "".
func leak(text, sig string) string {
	flat := unbroken(text)
	once := url.QueryEscape(sig)
	for _, form := range []string{sig, once, strings.ToLower(once), url.QueryEscape(once)} {
		for i := 0; i+chatapi.MinEcho <= len(form); i++ {
			if g := form[i : i+chatapi.MinEcho]; strings.Contains(flat, g) || strings.Contains(strings.ToLower(flat), strings.ToLower(g)) && strings.Contains(g, "%") {
				return g
			}
		}
	}
	return ""
}

// TestSentSigsRedactEveryEchoForm: a UserSig echoed raw, after "usersig: "
// or "sig=", quoted, URL-escaped (once, twice, in lower case), cut by a line
// break anywhere, or only its first 190 characters, leaves no run of 16 of
// its characters, and the text around it stays.
func TestSentSigsRedactEveryEchoForm(t *testing.T) {
	sig, older := testSig(1), testSig(2)
	sent := chatapi.NewSentSigs(sig, older)
	esc := url.QueryEscape(sig)
	forms := map[string]string{
		"raw":                        "invalid sig " + sig + " for admin",
		"usersig colon":              "usersig: " + sig,
		"usersig colon no space":     "usersig:" + sig + ";",
		"escaped usersig=":           "url=%2Fv4%3Fusersig%3D" + esc + "%26random%3D1",
		"escaped twice":              "u=" + url.QueryEscape("usersig="+esc),
		"lower-case escapes":         "usersig%3d" + strings.ReplaceAll(esc, "%2A", "%2a"),
		"single quotes":              "sig '" + sig + "' refused",
		"double quotes":              `{"sig":"` + sig + `"}`,
		"sig=":                       "sig=" + sig + "&x=1",
		"glued to letters":           "abc" + sig + "xyz",
		"line break":                 "usersig=" + sig[:120] + "\n" + sig[120:] + " end",
		"CRLF after 5":               "sig " + sig[:5] + "\r\n" + sig[5:],
		"line break 10 before end":   sig[:246] + "\n" + sig[246:] + " end",
		"indented continuation":      sig[:64] + "\n    " + sig[64:128] + "\n    " + sig[128:],
		"escaped line break in JSON": `usersig=` + sig[:100] + `\n` + sig[100:],
		"first 190 characters":       "usersig:" + sig[:190] + "…",
		"a middle 16":                "x " + sig[77:93] + " y",
		"an older UserSig":           "expired: " + older,
		"twice":                      sig + " and again " + sig,
	}
	for name, text := range forms {
		t.Run(name, func(t *testing.T) {
			got := sent.Redact(text)
			for _, s := range []string{sig, older} {
				if g := leak(got, s); g != "" {
					t.Errorf("Redact(%q)\n = %q\nstill holds %q", text, got, g)
				}
			}
			if !strings.Contains(got, "REDACTED") {
				t.Errorf("Redact(%q) = %q: nothing marked", text, got)
			}
		})
	}
	for _, keep := range []string{"", "a perfectly ordinary ErrorInfo of the service", sig[:15] + " is too short to matter",
		"usersig=REDACTED"} {
		if got := sent.Redact(keep); got != keep {
			t.Errorf("Redact(%q) = %q, want it unchanged", keep, got)
		}
	}
	if got := sent.Redact("before " + sig + " after"); got != "before REDACTED after" {
		t.Errorf("the text around a UserSig: %q", got)
	}
	var none *chatapi.SentSigs
	if got := none.Redact(sig); got != sig {
		t.Errorf("a nil SentSigs redacted %q", got)
	}
}

// FuzzSentSigsRedact echoes a UserSig in any of the disguises, cuts it at
// any point with any break and wraps it in any text: no run of 16 of its
// characters, as sent, escaped, or in any folded disguise, survives.
func FuzzSentSigsRedact(f *testing.F) {
	sig := testSig(3)
	f.Add("usersig: ", 100, uint8(0), "\"}", uint8(0))
	f.Add("", 0, uint8(1), "", uint8(1))
	f.Add("sig=", 255, uint8(2), "&random=1", uint8(2))
	f.Add("x", 17, uint8(3), "y", uint8(9))
	f.Add("%", 40, uint8(5), ";", uint8(12))
	f.Add("\\", 3, uint8(6), "&#", uint8(17))
	breaks := []string{"", "\n", "\r\n", " ", "\t", `\n`, "\n\t ", `\r\n`}
	sent := chatapi.NewSentSigs(sig)
	f.Fuzz(func(t *testing.T, before string, cut int, brk uint8, after string, form uint8) {
		d := disguise[int(form)%len(disguise)]
		echo := d.f(sig)
		if cut < 0 || cut > len(echo) {
			return
		}
		text := before + echo[:cut] + breaks[int(brk)%len(breaks)] + echo[cut:] + after
		got := sent.Redact(text)
		if g := leak(got, sig); g != "" {
			t.Fatalf("Redact(%q) = %q still holds %q", text, got, g)
		}
		if g := disguisedLeak(got, sig); g != "" {
			t.Fatalf("%s: Redact(%q) = %q still holds %q", d.name, text, got, g)
		}
	})
}

func ExampleSentSigs_Redact() {
	sig := strings.Repeat("eAEAxyz*", 32)
	sent := chatapi.NewSentSigs(sig)
	fmt.Println(sent.Redact("refused usersig: " + sig[:90] + "\n" + sig[90:] + " (expired)"))
	// Output: refused usersig: REDACTED (expired)
}

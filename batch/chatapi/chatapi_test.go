package chatapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
)

func TestClassesMatchAPIDoc(t *testing.T) {
	want := map[chatapi.Class][]int{
		chatapi.ClassOK: {0},
		chatapi.ClassRetry: {60007, 60008, 60011, 60014, 60018, 60019, 70169, 70202, 70500,
			20004, 20005, 60013, 90992, 90994, 90995, 91000},
		chatapi.ClassRenew:  {70001, 70052, 20002},
		chatapi.ClassPerRow: {70107, 70402, 90003, 90008, 60015, 70051},
		chatapi.ClassFatal: {60002, 60003, 60004, 60005, 60006, 60009, 60010, 60012, 60016, 60020, 60021,
			70002, 70003, 70005, 70009, 70013, 70014, 70016, 70020, 70050, 70403, 90001, 90009, 60017},
	}
	n := 0
	for class, codes := range want {
		for _, code := range codes {
			n++
			c := chatapi.Lookup(code)
			if c.Class != class || !chatapi.Known(code) {
				t.Errorf("code %d: class %v, want %v", code, c.Class, class)
			}
			if code != 0 && c.Info == "" {
				t.Errorf("code %d has no documented ErrorInfo", code)
			}
			if class == chatapi.ClassFatal && c.Check == chatapi.CheckNone {
				t.Errorf("fatal code %d has no hint for the operator", code)
			}
		}
	}
	if len(chatapi.Codes()) != n {
		t.Errorf("the table has %d codes, API.md %d", len(chatapi.Codes()), n)
	}
	for _, code := range []int{60007, 60011, 60018, 60019} {
		if !chatapi.Lookup(code).Throttle {
			t.Errorf("code %d should ask the client to slow down", code)
		}
	}
}

// TestTableMatchesAPIDoc walks the error-code tables of API.md (beside the
// project, in shared/) and checks msgread's table code by code: the same
// codes, each in the class the document gives it.
func TestTableMatchesAPIDoc(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "API.md"))
	if err != nil {
		t.Skipf("API.md is not beside the project here: %v", err)
	}
	classOf := func(text string) (chatapi.Class, bool) {
		text = strings.ToLower(text)
		switch {
		case strings.Contains(text, "renew"):
			return chatapi.ClassRenew, true
		case strings.Contains(text, "retry"):
			return chatapi.ClassRetry, true
		case strings.Contains(text, "per row"):
			return chatapi.ClassPerRow, true
		case strings.Contains(text, "fatal"):
			return chatapi.ClassFatal, true
		case strings.TrimSpace(text) == "ok":
			return chatapi.ClassOK, true
		}
		return 0, false
	}
	code := regexp.MustCompile(`\b\d{1,5}\b`)
	seen := map[int]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		class, ok := classOf(cells[len(cells)-1])
		if !ok {
			continue
		}
		for _, c := range code.FindAllString(cells[0], -1) {
			n, _ := strconv.Atoi(c)
			seen[n] = true
			if got := chatapi.Lookup(n); !chatapi.Known(n) || got.Class != class {
				t.Errorf("code %d: msgread has %v (known %v), API.md says %v", n, got.Class, chatapi.Known(n), class)
			}
		}
	}
	for _, c := range chatapi.Codes() {
		if !seen[c.Code] {
			t.Errorf("code %d is in msgread's table but not in API.md's", c.Code)
		}
	}
	if len(seen) < 40 {
		t.Errorf("found only %d codes in API.md: the parser lost its tables", len(seen))
	}
}

func TestUnknownCodeIsPerRow(t *testing.T) {
	if c := chatapi.Lookup(99999); c.Class != chatapi.ClassPerRow || chatapi.Known(99999) {
		t.Fatalf("unknown code: %+v", c)
	}
}

func TestRegionEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"china": "https://console.tim.qq.com", "Singapore": "https://adminapisgp.im.qcloud.com",
		"silicon valley": "https://adminapiusa.im.qcloud.com", "Silicon_Valley": "https://adminapiusa.im.qcloud.com",
		"frankfurt": "https://adminapiger.im.qcloud.com", "jakarta": "https://adminapiidn.im.qcloud.com",
		"seoul": "https://adminapikr.im.qcloud.com", "tokyo": "https://adminapijpn.im.qcloud.com",
	} {
		if got, err := chatapi.RegionEndpoint(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := chatapi.RegionEndpoint("mars"); err == nil || !strings.Contains(err.Error(), "singapore") {
		t.Errorf("unknown region error %v should list the known ones", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://h/p?sdkappid=1&usersig=eAEAsecret&random=2":            "https://h/p?sdkappid=1&usersig=REDACTED&random=2",
		"https://h/p?usersig=eAEA*-_":                                   "https://h/p?usersig=REDACTED",
		`Post "http://h/p?identifier=a&usersig=abc": dial tcp: refused`: `Post "http://h/p?identifier=a&usersig=REDACTED": dial tcp: refused`,
		"https://h/p?xusersig=keep&usersig=drop":                        "https://h/p?xusersig=keep&usersig=REDACTED",
		"no url here":                                                   "no url here",
	} {
		if got := chatapi.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuildURLEscapes(t *testing.T) {
	base, _ := url.Parse("https://example.test/prefix/")
	req := chatapi.RequestURL(base)
	req.RawQuery = chatapi.QueryPrefix(1400000000, "a&b c", "x+y/z=") + "4294967295"
	got := req.String()
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/prefix"+chatapi.Path || q.Get("identifier") != "a&b c" || q.Get("usersig") != "x+y/z=" ||
		q.Get("random") != "4294967295" || q.Get("sdkappid") != "1400000000" || q.Get("contenttype") != "json" {
		t.Fatalf("BuildURL = %s", got)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := chatapi.NewSecret("hunter2")
	out := fmt.Sprintf("%v %s %+v %#v %q", s, s, s, s, s)
	b, _ := s.MarshalText()
	if strings.Contains(out+string(b), "hunter2") {
		t.Fatalf("secret printed: %s", out)
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the value")
	}
	// fmt prints unexported fields without calling String: the value must
	// still not show.
	type holder struct {
		key  chatapi.Secret
		keys []chatapi.Secret
	}
	h := holder{key: s, keys: []chatapi.Secret{s}}
	if out := fmt.Sprintf("%v %+v %#v", h, &h, h); strings.Contains(out, "hunter2") {
		t.Fatalf("a Secret in an unexported field printed: %s", out)
	}
	if !chatapi.NewSecret("").IsZero() || s.IsZero() {
		t.Error("IsZero is wrong")
	}
}

// TestAppendJSONIsMarshal: the request body is json.Marshal's, byte for
// byte, whatever the strings hold.
func TestAppendJSONIsMarshal(t *testing.T) {
	odd := []string{"", "user1", "a\"b", `a\b`, "<script>", "a&b", "tab\there", "\x00", "é", "\u2028", "\xff", "1748543774", "x y"}
	for _, r := range odd {
		for _, p := range odd {
			for _, tm := range []string{"", "1700000000", "<"} {
				for _, asString := range []bool{false, true} {
					req := chatapi.Request{ReportAccount: r, PeerAccount: p, MsgReadTime: tm, TimeAsString: asString}
					want, _ := json.Marshal(req)
					if got := req.AppendJSON([]byte("prefix")); string(got) != "prefix"+string(want) {
						t.Fatalf("%+v: AppendJSON %s, json.Marshal %s", req, got[6:], want)
					}
				}
			}
		}
	}
	for _, tc := range []struct {
		req  chatapi.Request
		want string
	}{
		{chatapi.Request{ReportAccount: "a", PeerAccount: "b", MsgReadTime: "1700000000"}, `{"Report_Account":"a","Peer_Account":"b","MsgReadTime":1700000000}`},
		{chatapi.Request{ReportAccount: "a", PeerAccount: "b", MsgReadTime: "1700000000", TimeAsString: true}, `{"Report_Account":"a","Peer_Account":"b","MsgReadTime":"1700000000"}`},
		{chatapi.Request{ReportAccount: "a", PeerAccount: "b"}, `{"Report_Account":"a","Peer_Account":"b"}`},
	} {
		if got := string(tc.req.AppendJSON(nil)); got != tc.want {
			t.Errorf("body %s, want %s", got, tc.want)
		}
	}
	if ok, _ := json.Marshal(chatapi.NewResponse(chatapi.CodeOK)); string(ok) != string(chatapi.OKEnvelope) {
		t.Fatalf("OKEnvelope %s differs from the OK response %s", chatapi.OKEnvelope, ok)
	}
}

package chatapi_test

import (
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
)

func TestRedactEndpoint(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "https://console.tim.qq.com", "https://console.tim.qq.com"},
		{"with a path", "http://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix/"},
		{"user and password", "http://user:hunter2@host:8080/p", "http://xxxxx@host:8080/p"},
		{"a user alone, maybe a token", "https://hunter2@host", "https://xxxxx@host"},
		{"an escaped password", "http://u:hun%40ter2@host", "http://xxxxx@host"},
		{"a password with a slash", "http://u:hunter/2@host", "http://xxxxx@host"},
		{"a password with a question mark", "http://u:hunter?2@host", "http://xxxxx@host"},
		{"a password with a question mark after a port-like start", "http://u:1?hunter2@host", "http://u:1?REDACTED"},
		{"a password with a hash", "http://u:hunter#2@host", "http://xxxxx@host"},
		{"a password with a space", "http://u:hun ter2@host", "http://xxxxx@host"},
		{"no scheme", "u:hunter2@host", "xxxxx@host"},
		{"usersig in the query", "https://h/?usersig=hunter2&random=1", "https://h/?usersig=REDACTED&random=1"},
		{"other secret-looking queries", "https://h/?sig=hunter2&api_key=hunter2&Token=hunter2&password=hunter2&region=sg",
			"https://h/?sig=REDACTED&api_key=REDACTED&Token=REDACTED&password=REDACTED&region=sg"},
		{"an escaped usersig", "https://h/x%3Fusersig%3Dhunter2", "https://h/x%3Fusersig%3DREDACTED"},
		{"a fragment", "https://h/#access_token=hunter2", "https://h/#REDACTED"},
		{"an e-mail in the query", "https://h/?contact=a@b.example", "https://h/?contact=a@b.example"},
		{"userinfo and query", "https://u:hunter2@h/?key=hunter2", "https://xxxxx@h/?key=REDACTED"},
		{"not a URL", "%zz", "%zz"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := chatapi.RedactEndpoint(tt.in)
			if got != tt.want {
				t.Errorf("RedactEndpoint(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "hunter") {
				t.Errorf("RedactEndpoint(%q) = %q shows the secret", tt.in, got)
			}
		})
	}
}

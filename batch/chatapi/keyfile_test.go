package chatapi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
)

func TestKeyOfFile(t *testing.T) {
	for _, c := range []struct {
		name, data, key, reason string
	}{
		{name: "a key and a line end", data: "s3cr3t\n", key: "s3cr3t"},
		{name: "spaces, a BOM and a second line", data: "\uFEFF  s3cr3t \r\nnot this\n", key: "s3cr3t"},
		{name: "empty", data: "\n\n", reason: "is empty"},
		{name: "NUL bytes", data: "s3cr3t\x00\n", reason: "is not a key file: it holds NUL bytes"},
		{name: "over the cap", data: strings.Repeat("k", chatapi.MaxKeyFile+1), reason: "is not a key file: over 4 KiB"},
		{name: "a byte that is not printable", data: "s3\xe9cr3t\n", reason: "byte 3 of the key, 0xe9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			key, err := chatapi.KeyOfFile([]byte(c.data))
			if c.reason == "" {
				if err != nil || key.Reveal() != c.key {
					t.Fatalf("key %q, %v; want %q", key.Reveal(), err, c.key)
				}
				return
			}
			var kerr *chatapi.KeyFileError
			if !errors.As(err, &kerr) || !strings.Contains(kerr.Reason, c.reason) || !key.IsZero() {
				t.Fatalf("%v, want a KeyFileError saying %q", err, c.reason)
			}
			if strings.Contains(err.Error(), "s3") {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

func TestLooksLikeKey(t *testing.T) {
	for v, want := range map[string]bool{
		"k3yThatLooksLikeAKey0123":   true,
		"abc+def/ghi=jklmnopqrst":    false, // a path separator
		"secrets/key":                false,
		"key.txt":                    false,
		"short":                      false,
		"a-key-of-twenty-chars_=":    true,
		"has spaces in it somewhere": false,
	} {
		if got := chatapi.LooksLikeKey(v); got != want {
			t.Errorf("LooksLikeKey(%q) = %v, want %v", v, got, want)
		}
	}
}

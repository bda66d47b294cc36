package chatapi

import (
	"bytes"
	"fmt"
	"strings"
)

// MaxKeyFile is the most a key file may hold: a key and a line end, with
// room to spare. A caller reads no more than one byte past it, so that a
// device (/dev/zero, /dev/urandom) is refused at once rather than taken
// for a key.
const MaxKeyFile = 4 << 10

// KeyFileError says why a file's bytes hold no secret key. It never holds
// the key's text, for it reaches the terminal.
type KeyFileError struct {
	// Reason completes "the key file …": "is empty", "is not a key file:
	// it holds NUL bytes"...
	Reason string
}

func (e *KeyFileError) Error() string { return "chatapi: the key file " + e.Reason }

// KeyOfFile returns the secret key in a key file's data: its first line,
// spaces (and a UTF-8 BOM) trimmed. Data over MaxKeyFile, data holding NUL
// bytes, or a key of anything but printable ASCII is no key file: the
// *KeyFileError says why.
func KeyOfFile(data []byte) (Secret, error) {
	switch {
	case len(data) > MaxKeyFile:
		return Secret{}, &KeyFileError{fmt.Sprintf("is not a key file: over %d KiB", MaxKeyFile>>10)}
	case bytes.IndexByte(data, 0) >= 0:
		return Secret{}, &KeyFileError{"is not a key file: it holds NUL bytes"}
	}
	key, _, _ := strings.Cut(string(data), "\n")
	key = strings.TrimSpace(strings.TrimPrefix(key, "\uFEFF"))
	if key == "" {
		return Secret{}, &KeyFileError{"is empty"}
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return Secret{}, &KeyFileError{fmt.Sprintf("is not a key file: its first line holds a byte that is not printable ASCII (byte %d of the key, 0x%02x)", i+1, c)}
		}
	}
	return NewSecret(key), nil
}

// LooksLikeKey reports whether v, given where a key file's path was
// expected, looks like a secret key itself (long, no path separator, no
// dot, letters and digits), so that it is never echoed back.
func LooksLikeKey(v string) bool {
	if len(v) < 16 || strings.ContainsAny(v, "/\\.") {
		return false
	}
	for _, c := range v {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '+' || c == '=') {
			return false
		}
	}
	return true
}

package chatapi

// Secret holds a credential, such as an app's secret key. Its printed and
// marshalled forms are always "[redacted]". The value sits behind a pointer,
// so that even a Secret in an unexported struct field, which fmt prints
// without calling String, shows only an address.
type Secret struct {
	v *string
}

const redacted = "[redacted]"

// NewSecret wraps s; an empty s gives the zero Secret.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{v: &s}
}

// IsZero reports whether the Secret holds nothing.
func (s Secret) IsZero() bool { return s.v == nil }

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (Secret) GoString() string { return redacted }

// MarshalText returns "[redacted]".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the credential itself, for the one place that signs with it.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

package chatapi

// Secret holds a credential, such as an app's secret key. Its printed and
// marshalled forms are always "[redacted]", so a Secret that reaches a log
// line, an error or a JSON dump by mistake shows nothing.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (Secret) GoString() string { return redacted }

// MarshalText returns "[redacted]".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the credential itself, for the one place that signs with it.
func (s Secret) Reveal() string { return string(s) }

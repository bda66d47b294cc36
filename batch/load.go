package batch

import "time"

// Load test defaults; the CLI reuses them as flag defaults.
const (
	// DefaultLoadDuration is how long a load test runs when nothing else
	// bounds it: no duration, row count, input file, or profile with an
	// end.
	DefaultLoadDuration = 60 * time.Second
	// DefaultProjectRows is the migration size a load test's projection is
	// made for.
	DefaultProjectRows = 10_000_000
)

// LoadLength is how long a load test sends: duration when given; else
// the end of the profile's steps or stages; else DefaultLoadDuration when
// nothing bounds it (bounded: a row count or an input file, which end it
// with their last row), else zero (until the rows end).
func LoadLength(profile Profile, duration time.Duration, bounded bool) time.Duration {
	switch {
	case duration > 0:
		return duration
	case profile != nil && profile.Length() > 0:
		return profile.Length()
	case !bounded:
		return DefaultLoadDuration
	}
	return 0
}

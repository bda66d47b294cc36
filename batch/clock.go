package batch

import "github.com/msgread/msgread/internal/clock"

// Clock is the one source of time of a run: the dispatcher paces on it,
// workers back off on it, the meter stamps with it, the signer renews on it.
// Tests pass a fake one, so that pacing, retries and throttling are tested
// without sleeping. The mock (mockserver.Config.Clock) takes the same type.
type Clock = clock.Clock

// RealClock is the wall clock. Its zero value is ready.
type RealClock = clock.Real

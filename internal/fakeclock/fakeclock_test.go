package fakeclock_test

import (
	"github.com/msgread/msgread/internal/clock"
	"github.com/msgread/msgread/internal/fakeclock"
)

// The fake clock stands in for the real one wherever a clock.Clock is taken.
var _ clock.Clock = (*fakeclock.Clock)(nil)

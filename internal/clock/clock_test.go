package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/msgread/msgread/internal/clock"
)

var _ clock.Clock = clock.Real{}

func TestRealSleep(t *testing.T) {
	var c clock.Real
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{name: "no wait returns at once", ctx: context.Background(), d: 0},
		{name: "a negative wait returns at once", ctx: context.Background(), d: -time.Second},
		{name: "a short wait passes", ctx: context.Background(), d: time.Millisecond},
		{name: "a canceled context ends a long wait", ctx: canceled, d: time.Hour, want: context.Canceled},
		{name: "a canceled context is reported even with no wait", ctx: canceled, d: 0, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if err := c.Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) {
				t.Fatalf("Sleep(%v) = %v, want %v", tt.d, err, tt.want)
			}
			if took := time.Since(start); tt.want == nil && took < tt.d {
				t.Errorf("Sleep(%v) returned after %v", tt.d, took)
			}
		})
	}
}

func TestRealSleepUntilThePast(t *testing.T) {
	if err := (clock.Real{}).SleepUntil(context.Background(), time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
}

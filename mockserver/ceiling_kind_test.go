package mockserver

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCeilingKinds: each limiter, 2 calls a second, on the same calls: a
// fixed window forgets at the clock second (refused calls count), a
// sliding one a second after each accepted call, a token bucket refills 2
// tokens a second from a full bucket of 2.
func TestCeilingKinds(t *testing.T) {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := []time.Duration{900 * time.Millisecond, 950 * time.Millisecond, 990 * time.Millisecond, 1000 * time.Millisecond,
		1500 * time.Millisecond, 1950 * time.Millisecond, 2000 * time.Millisecond, 2100 * time.Millisecond}
	for _, tc := range []struct {
		kind, want string
	}{
		{CeilingFixedWindow, "ok ok no ok ok no ok ok"},
		{CeilingSlidingWindow, "ok ok no no no ok ok no"},
		{CeilingTokenBucket, "ok ok no no ok ok no no"},
	} {
		c := newCeilingKind(tc.kind, 0, 2, nil)
		var got []string
		for _, d := range at {
			v := "no"
			if c.allow(base.Add(d)) {
				v = "ok"
			}
			got = append(got, v)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: %s, want %s", tc.kind, g, tc.want)
		}
	}
	// A token bucket's burst: 5 at once from a full bucket, then the rate.
	c := newCeilingKind(CeilingTokenBucket, 5, 2, nil)
	n := 0
	for range 10 {
		if c.allow(base) {
			n++
		}
	}
	if n != 5 {
		t.Errorf("a burst of 5: %d calls at once, want 5", n)
	}
	for _, bad := range []string{`{"ceiling_kind":"leaky"}`, `{"ceiling_burst":3}`, `{"ceiling_kind":"token-bucket","ceiling_burst":-1}`} {
		if _, err := DecodeScenario("x.json", []byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := DecodeScenario("x.json", []byte(`{"ceiling_kind":"token-bucket","ceiling_burst":50}`)); err != nil {
		t.Error(fmt.Sprint(err))
	}
}

// TestCeilingBurstIsBounded: a token bucket's burst is from 1 to
// MaxCeilingBurst: 9223372036854775807 was taken, and a bucket that starts
// that full is no ceiling at all, while the banner still said 200/s.
func TestCeilingBurstIsBounded(t *testing.T) {
	for _, burst := range []string{"-1", "1000001", "9223372036854775807"} {
		_, err := DecodeScenario("s.json", []byte(`{"ceiling_kind":"token-bucket","ceiling_burst":`+burst+`}`))
		if err == nil || !strings.Contains(err.Error(), "ceiling_burst") {
			t.Errorf("ceiling_burst %s: %v", burst, err)
		}
	}
	if _, err := DecodeScenario("s.json", []byte(`{"ceiling_kind":"token-bucket","ceiling_burst":1000000}`)); err != nil {
		t.Error(err)
	}
}

package mockserver

import (
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// BenchmarkVerify compares the mock's cached check of a UserSig with running
// tencentyun.VerifyUserSig (base64, zlib, JSON, HMAC) on every request.
func BenchmarkVerify(b *testing.B) {
	sig, _ := tencentyun.GenUserSig(DefaultSDKAppID, DevKey.Reveal(), DefaultAdmin, 86400)
	now := time.Now()
	b.Run("cached", func(b *testing.B) {
		c := newSigCache(DevKey)
		b.ReportAllocs()
		for range b.N {
			if code := c.verify(DefaultSDKAppID, DefaultAdmin, sig, now, 0); code != 0 {
				b.Fatal(code)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := tencentyun.VerifyUserSig(DefaultSDKAppID, DevKey.Reveal(), DefaultAdmin, sig, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestSigCacheVerifiesOnce(t *testing.T) {
	sig, _ := tencentyun.GenUserSig(DefaultSDKAppID, DevKey.Reveal(), DefaultAdmin, 86400)
	c := newSigCache(DevKey)
	for range 3 {
		if code := c.verify(DefaultSDKAppID, DefaultAdmin, sig, time.Now(), 0); code != 0 {
			t.Fatal(code)
		}
	}
	if len(c.items) != 1 {
		t.Fatalf("cache holds %d entries for one UserSig", len(c.items))
	}
	// Expiry is checked per request, not cached.
	if code := c.verify(DefaultSDKAppID, DefaultAdmin, sig, time.Now().Add(48*time.Hour), 0); code != 70001 {
		t.Errorf("a cached UserSig past its expiry: %d, want 70001", code)
	}
}

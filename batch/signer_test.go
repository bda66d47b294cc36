package batch_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

const testKey = "s3cr3t-k3y-for-tests"

func TestSignerCachesAndRenewsEarly(t *testing.T) {
	clock := newFakeClock()
	s, err := batch.NewSigner(batch.SignerConfig{SDKAppID: 1400000000, Admin: "administrator", Key: chatapi.NewSecret(testKey), TTL: time.Hour, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.UserSig()
	if err != nil {
		t.Fatal(err)
	}
	if err := tencentyun.VerifyUserSig(1400000000, testKey, "administrator", first, time.Now()); err != nil {
		t.Fatalf("the library rejects the signer's UserSig: %v", err)
	}
	clock.Advance(44 * time.Minute)
	if again, _ := s.UserSig(); again != first || s.Signings() != 1 {
		t.Fatalf("at 44 of 60 minutes the signer re-signed (%d signings); it should reuse its UserSig", s.Signings())
	}
	clock.Advance(2 * time.Minute) // 46 minutes: less than a quarter of the hour is left
	if _, err := s.UserSig(); err != nil {
		t.Fatal(err)
	}
	if s.Signings() != 2 {
		t.Fatalf("at 46 of 60 minutes signings = %d, want 2 (renewed before expiry)", s.Signings())
	}
}

func TestSignerRenewMarginIsCappedAtAnHour(t *testing.T) {
	clock := newFakeClock()
	s, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey), Clock: clock}) // 24 h
	s.UserSig()
	clock.Advance(22*time.Hour + 59*time.Minute)
	s.UserSig()
	if s.Signings() != 1 {
		t.Fatalf("renewed %v before expiry; want an hour's margin", time.Hour+time.Minute)
	}
	clock.Advance(2 * time.Minute)
	s.UserSig()
	if s.Signings() != 2 {
		t.Fatalf("not renewed within the last hour of a 24 h UserSig")
	}
}

func TestSignerInvalidateKeepsAFresherSig(t *testing.T) {
	s, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey)})
	sig, _ := s.UserSig()
	s.Invalidate("some-older-sig")
	s.UserSig()
	if s.Signings() != 1 {
		t.Fatalf("invalidating another UserSig dropped the current one")
	}
	s.Invalidate(sig)
	s.UserSig()
	if s.Signings() != 2 {
		t.Fatalf("invalidating the current UserSig did not renew it")
	}
}

func TestSignerConcurrentUse(t *testing.T) {
	s, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey)})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				sig, err := s.UserSig()
				if err != nil || sig == "" {
					t.Error("no UserSig", err)
					return
				}
				if sig[0]%2 == 0 {
					s.Invalidate(sig)
				}
			}
		}()
	}
	wg.Wait()
}

func TestSignerNeverPrintsTheKey(t *testing.T) {
	s, err := batch.NewSigner(batch.SignerConfig{SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := batch.SignerConfig{SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey)}
	for _, out := range []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s),
		fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg),
	} {
		if strings.Contains(out, testKey) {
			t.Errorf("printed form shows the key: %s", out)
		}
	}
}

func TestNewSignerRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]batch.SignerConfig{
		"no app":     {Admin: "a", Key: chatapi.NewSecret(testKey)},
		"no admin":   {SDKAppID: 1, Key: chatapi.NewSecret(testKey)},
		"no key":     {SDKAppID: 1, Admin: "a"},
		"short ttl":  {SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey), TTL: time.Millisecond},
		"negative":   {SDKAppID: 1, Admin: "a", Key: chatapi.NewSecret(testKey), TTL: -time.Hour},
		"huge appid": {SDKAppID: 1 << 63, Admin: "a", Key: chatapi.NewSecret(testKey)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := batch.NewSigner(cfg); err == nil {
				t.Fatal("accepted")
			} else if strings.Contains(err.Error(), testKey) {
				t.Fatalf("error shows the key: %v", err)
			}
		})
	}
}

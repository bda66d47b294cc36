package batch

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// DefaultUserSigTTL is the lifetime of the UserSigs a Signer generates.
const DefaultUserSigTTL = 24 * time.Hour

// SignerConfig configures a Signer.
type SignerConfig struct {
	// SDKAppID is the app's SDKAppID. Required.
	SDKAppID uint64
	// Admin is the app admin account the UserSig is for. Required.
	Admin string
	// Key is the app's secret key. Required.
	Key chatapi.Secret
	// TTL is each UserSig's lifetime; zero means DefaultUserSigTTL. Whole
	// seconds, at least one.
	TTL time.Duration
	// Clock decides when to renew; nil means RealClock. The UserSig's own
	// time stamp is the wall clock's whatever the Clock: tencentyun takes
	// it itself.
	Clock Clock
}

// Signer generates the admin's UserSig with tencentyun.GenUserSig, caches it
// and renews it well before it expires: once a quarter of its lifetime (at
// most an hour) is left. It is safe for concurrent use. Its printed forms never
// show the key.
type Signer struct {
	cfg SignerConfig

	mu       sync.Mutex
	sig      string
	renewAt  time.Time
	signings int
}

// NewSigner validates cfg and returns a Signer. It signs lazily, on the
// first call to UserSig.
func NewSigner(cfg SignerConfig) (*Signer, error) {
	if cfg.TTL == 0 {
		cfg.TTL = DefaultUserSigTTL
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	switch {
	case cfg.SDKAppID == 0 || cfg.SDKAppID > math.MaxInt64:
		return nil, errors.New("batch: signer: SDKAppID is required")
	case cfg.Admin == "":
		return nil, errors.New("batch: signer: admin account is required")
	case cfg.Key.IsZero():
		return nil, errors.New("batch: signer: secret key is required")
	case cfg.TTL < time.Second || cfg.TTL > math.MaxInt32*time.Second:
		return nil, fmt.Errorf("batch: signer: UserSig TTL %v is out of range (1s to ~68 years)", cfg.TTL)
	}
	return &Signer{cfg: cfg}, nil
}

// renewMargin is how long before expiry a UserSig is replaced.
func (s *Signer) renewMargin() time.Duration {
	return min(s.cfg.TTL/4, time.Hour)
}

// UserSig returns a valid UserSig for the admin, signing a new one when the
// cached one is near expiry or was invalidated. It does not block on I/O.
func (s *Signer) UserSig() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock.Now()
	if s.sig != "" && now.Before(s.renewAt) {
		return s.sig, nil
	}
	sig, err := tencentyun.GenUserSig(int(s.cfg.SDKAppID), s.cfg.Key.Reveal(), s.cfg.Admin, int(s.cfg.TTL/time.Second))
	if err != nil {
		// The library's errors come from JSON and zlib, never from the key,
		// but do not risk echoing anything of it.
		return "", errors.New("batch: signer: generating the UserSig failed")
	}
	s.sig = sig
	s.renewAt = now.Add(s.cfg.TTL - s.renewMargin())
	s.signings++
	return sig, nil
}

// Invalidate drops the cached UserSig if it is still stale, so that the next
// call to UserSig signs anew. The client calls it when the service answers
// that the UserSig expired. stale is the UserSig that was refused: when another
// goroutine has already renewed, Invalidate leaves the fresh one alone.
func (s *Signer) Invalidate(stale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sig == stale {
		s.sig = ""
	}
}

// Signings returns how many UserSigs the Signer has generated.
func (s *Signer) Signings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signings
}

// String describes the Signer without its key.
func (s *Signer) String() string {
	return fmt.Sprintf("Signer{SDKAppID: %d, Admin: %q, TTL: %v}", s.cfg.SDKAppID, s.cfg.Admin, s.cfg.TTL)
}

// GoString is String, so that %#v shows no key either.
func (s *Signer) GoString() string { return s.String() }

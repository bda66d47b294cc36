package mockserver

import (
	"fmt"
	"time"
)

// Quota is the app's calls-a-second quota on mark-read as the mock judges
// it: a ceiling of one kind, shared with the scenario's production traffic
// (production's calls due before a call are judged first). The mock's
// Server keeps one; a simulation drives one on its own times, with no
// HTTP, to check a pacer against the same limiter and production the mock
// serves.
type Quota struct {
	ceiling    *ceiling
	production *production
}

// QuotaConfig sets a Quota: the limiter's kind ("" is fixed-window), its
// limit a second and token-bucket burst, production traffic (nil for none)
// from start, and the seed of production's arrivals.
type QuotaConfig struct {
	Kind       string
	Limit      int
	Burst      int
	Production *Production
	Start      time.Time
	Seed       uint64
}

// NewQuota returns the quota cfg describes; a kind or burst a scenario
// would refuse is an error.
func NewQuota(cfg QuotaConfig) (*Quota, error) {
	if err := validateLimiter(cfg.Kind, cfg.Burst); err != nil {
		return nil, fmt.Errorf("mockserver: quota: %w", err)
	}
	if cfg.Production != nil {
		if err := cfg.Production.Validate(); err != nil {
			return nil, err
		}
	}
	return &Quota{
		ceiling:    newCeilingKind(cfg.Kind, cfg.Burst, cfg.Limit, nil),
		production: newProduction(cfg.Production, cfg.Start, cfg.Seed),
	}, nil
}

// Allow judges a call at now (times must not go backwards), production's
// calls due before it first.
func (q *Quota) Allow(now time.Time) bool {
	if q.production != nil {
		return q.production.admit(q.ceiling, now, true)
	}
	return q.ceiling.allow(now)
}

// Production returns production's calls up to now and those refused.
func (q *Quota) Production(now time.Time) ProductionStats {
	if q.production == nil {
		return ProductionStats{}
	}
	return q.production.counts(q.ceiling, now)
}

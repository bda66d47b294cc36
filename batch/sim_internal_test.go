package batch

import (
	"math/rand/v2"
	"time"

	"github.com/msgread/msgread/mockserver"
)

// appSim drives one or more pacers (runs of msgread on one app) against
// the mock's own Quota (a limiter kind with production traffic) on
// simulated time: each call is judged when sent, and a refusal reaches its
// pacer rtt later, as the mock's answers do.
type appSim struct {
	Kind       string
	Burst      int
	Limit      int
	Production *mockserver.Production
	Seed       uint64
	Starts     []time.Duration // each run's start
	Share      Share
	Profile    Profile
	RTT        time.Duration
	Jitter     time.Duration // each call leaves up to this late (uniform)
	For        time.Duration
	From       time.Duration // measure from here to For
	Skew       time.Duration // the service's clock less the runs'
	Trace      func(run int, at time.Time, ok bool)
	Pacers     func(run int, p *Pacer) // sees each run's pacer before its first call
}

// simResult is what each run took and what production lost, over [From, For).
type simResult struct {
	Accepted   []int     // each run's accepted calls
	Sent       []int     // each run's calls
	Refused    []int     // each run's refused calls
	Throttled  []float64 // each run's refused share over the whole run
	Late       []int     // each run's calls booked late in their second
	Production mockserver.ProductionStats
	Seconds    float64
}

// Left is what production left over the window, calls.
func (r simResult) Left(limit int) float64 {
	return float64(limit)*r.Seconds - float64(r.Production.Calls)
}

// Total is the runs' accepted calls together.
func (r simResult) Total() int {
	n := 0
	for _, a := range r.Accepted {
		n += a
	}
	return n
}

// ProductionRefused is production's refused share.
func (r simResult) ProductionRefused() float64 {
	if r.Production.Calls == 0 {
		return 0
	}
	return float64(r.Production.Refused) / float64(r.Production.Calls)
}

func (s appSim) run() simResult {
	t0 := time.Unix(1_800_000_000, 0).Add(137 * time.Millisecond)
	q, err := mockserver.NewQuota(mockserver.QuotaConfig{Kind: s.Kind, Limit: s.Limit, Burst: s.Burst,
		Production: s.Production, Start: t0, Seed: s.Seed})
	if err != nil {
		panic(err)
	}
	profile := s.Profile
	if profile == nil {
		profile = Constant(float64(s.Limit))
	}
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	type run struct {
		p    *Pacer
		b    booking
		send time.Time
	}
	type answer struct {
		at  time.Time
		run int
		b   booking
	}
	runs := make([]*run, len(s.Starts))
	for i, st := range s.Starts {
		p := NewPacer(profile, t0.Add(st), DefaultWindowSlack)
		p.SetShare(s.Share)
		runs[i] = &run{p: p}
		if s.Pacers != nil {
			s.Pacers(i, p)
		}
		runs[i].b = p.book(t0.Add(st))
	}
	res := simResult{Accepted: make([]int, len(runs)), Sent: make([]int, len(runs)),
		Refused: make([]int, len(runs)), Throttled: make([]float64, len(runs)), Late: make([]int, len(runs))}
	total, refused := make([]int, len(runs)), make([]int, len(runs))
	jitter := func() time.Duration {
		if s.Jitter <= 0 {
			return 0
		}
		return time.Duration(rng.Int64N(int64(s.Jitter)))
	}
	for i := range runs {
		runs[i].send = runs[i].b.at.Add(jitter())
	}
	var pending []answer
	from, end := t0.Add(s.From), t0.Add(s.For)
	var prodFrom mockserver.ProductionStats
	measured := false
	for {
		i := 0
		for j := range runs {
			if runs[j].send.Before(runs[i].send) {
				i = j
			}
		}
		r := runs[i]
		now := r.send
		if !now.Before(end) {
			break
		}
		if !measured && !now.Before(from) {
			prodFrom, measured = q.Production(from.Add(s.Skew)), true
		}
		for len(pending) > 0 && !pending[0].at.After(now) {
			a := pending[0]
			pending = pending[1:]
			runs[a.run].p.Throttle(a.at, a.b)
		}
		if r.p.Withdraw(r.b) {
			// As the dispatcher does: a "slow down" for its second came
			// while the call waited.
			r.b = r.p.book(now)
			r.send = r.b.at.Add(jitter())
			continue
		}
		r.p.Sent(r.b.slot, r.b.at, now)
		service := now.Add(s.Skew)
		ok := q.Allow(service)
		if s.Trace != nil {
			s.Trace(i, now, ok)
		}
		r.p.ServiceClock(r.b, now.Add(s.RTT), time.Unix(service.Unix(), 0))
		in := !now.Before(from)
		total[i]++
		if r.b.late {
			res.Late[i]++
		}
		if in {
			res.Sent[i]++
		}
		if ok {
			if in {
				res.Accepted[i]++
			}
		} else {
			refused[i]++
			if in {
				res.Refused[i]++
			}
			pending = append(pending, answer{now.Add(s.RTT), i, r.b})
		}
		// The dispatcher books the next call once it handed this one out,
		// at its booked time; the worker sending it is late on its own
		// (a late call does not make the next one later), in order.
		at := now.Add(-s.Jitter)
		if r.b.at.After(at) {
			at = r.b.at
		}
		r.b = r.p.book(at)
		r.send = r.b.at.Add(jitter())
		if r.send.Before(now) {
			r.send = now
		}
	}
	p := q.Production(end.Add(s.Skew))
	res.Production = mockserver.ProductionStats{Calls: p.Calls - prodFrom.Calls, Refused: p.Refused - prodFrom.Refused}
	res.Seconds = (s.For - s.From).Seconds()
	for i := range runs {
		res.Throttled[i] = float64(refused[i]) / float64(max(total[i], 1))
	}
	return res
}

package mockserver

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// decision is what the mock does with one valid request: the latency it
// adds, and the fault that answers it (nil: the normal answer).
type decision struct {
	latency time.Duration
	fault   Fault
}

// decider draws decisions from a pure function of (seed, report account,
// peer account, how many times the pair was called before), so that a run's
// faults do not depend on goroutine scheduling, and two runs of the same
// input and seed meet the same faults row by row.
type decider struct {
	seed    uint64
	latency Latency
	faults  []Fault
	probs   []float64
}

func newDecider(seed uint64, latency Latency, faults []Fault, probs []float64) *decider {
	return &decider{seed: seed, latency: latency, faults: faults, probs: probs}
}

// rng returns the random source of one request.
func (d *decider) rng(report, peer string, n uint64) *rand.Rand {
	s := pairHash(d.seed, report, peer, n)
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// pairHash hashes a seed, a pair of accounts and more numbers: the mock's
// draws for a pair are pure functions of them.
func pairHash(seed uint64, report, peer string, more ...uint64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(report))
	h.Write([]byte{0})
	h.Write([]byte(peer))
	for _, m := range more {
		binary.LittleEndian.PutUint64(b[:], m)
		h.Write(b[:])
	}
	return h.Sum64()
}

// decide returns the decision for the n-th call (from 0) of the pair.
func (d *decider) decide(report, peer string, n uint64) decision {
	rng := d.rng(report, peer, n)
	u := rng.Float64()
	var dec decision
	cum := 0.0
	for i, p := range d.probs {
		cum += p
		if u < cum {
			dec.fault = d.faults[i]
			break
		}
	}
	dec.latency = d.latency.Sample(rng)
	return dec
}

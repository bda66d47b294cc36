package mockserver

import (
	"strconv"
	"sync"
)

// Stats is the read-out of GET /mock/stats.
type Stats struct {
	// Requests counts the calls to the API path.
	Requests uint64 `json:"requests"`
	// ByCode counts the answers by ErrorCode, keyed by the code in decimal.
	ByCode map[string]uint64 `json:"by_code"`
	// Marks is the number of distinct pairs marked read.
	Marks int `json:"marks"`
}

type stats struct {
	mu       sync.Mutex
	requests uint64
	byCode   map[int]uint64
}

func newStats() *stats { return &stats{byCode: make(map[int]uint64)} }

func (s *stats) record(code int) {
	s.mu.Lock()
	s.requests++
	s.byCode[code]++
	s.mu.Unlock()
}

func (s *stats) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Requests: s.requests, ByCode: make(map[string]uint64, len(s.byCode))}
	for code, n := range s.byCode {
		out.ByCode[strconv.Itoa(code)] = n
	}
	return out
}

func (s *stats) reset() {
	s.mu.Lock()
	s.requests = 0
	clear(s.byCode)
	s.mu.Unlock()
}

// Package memtest samples a process's memory for benchmarks: the live heap
// (what the program retains, as of each GC) and all the memory the Go
// runtime holds from the OS.
package memtest

import (
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sample samples the live heap, the runtime's total memory and the
// process's resident set (where /proc tells it) every 5 ms until the
// returned function is called, which returns the peaks seen.
func Sample() func() (live, total, rss uint64) {
	var peakLive, peakTotal, peakRSS atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peakLive.Load() {
			peakLive.Store(v)
		}
		if v := sample[1].Value.Uint64(); v > peakTotal.Load() {
			peakTotal.Store(v)
		}
		if v := residentBytes(); v > peakRSS.Load() {
			peakRSS.Store(v)
		}
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				read()
			case <-done:
				return
			}
		}
	}()
	return func() (uint64, uint64, uint64) {
		close(done)
		wg.Wait()
		read()
		return peakLive.Load(), peakTotal.Load(), peakRSS.Load()
	}
}

// residentBytes reads the process's resident set from /proc/self/statm
// (its second field, in pages); 0 where there is no /proc.
func residentBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(fields[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

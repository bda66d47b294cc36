package batch

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"
)

// heapAfter returns the live heap after a full collection.
func heapAfter() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A rebuild of a 10 M-line chain holds every line: in 4 bytes each, not
// the 40 to 65 of a map (650 MB resident for 10 M lines).
func TestLineTableHoldsDenseLinesInFourBytesEach(t *testing.T) {
	const lines = 1 << 20
	before := heapAfter()
	tab := newLineTable()
	for l := 2; l < lines+2; l++ {
		s := lineState{status: uint8(l % 3), hasCode: l%2 == 0, code: int32(l % 5 * 10000)}
		if err := tab.set(l, s); err != nil {
			t.Fatal(err)
		}
	}
	held := heapAfter() - before
	if perLine := float64(held) / lines; perLine > 5 {
		t.Errorf("%.1f bytes a line held (%d MB for %d lines), want at most 5", perLine, held>>20, lines)
	}
	if tab.len() != lines {
		t.Errorf("%d lines held, want %d", tab.len(), lines)
	}
	runtime.KeepAlive(tab)
}

// Lines scattered far apart (a hand-made report, line numbers in the
// billions) cost a few pages at most, not a page each nor an array up to
// the largest.
func TestLineTableScatteredLinesStayCheap(t *testing.T) {
	const lines = 20_000
	before := heapAfter()
	tab := newLineTable()
	for i := range lines {
		if err := tab.set(i*1_000_003+7, lineState{status: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tab.set(1<<62, lineState{status: 2}); err != nil {
		t.Fatal(err)
	}
	if err := tab.set(-5, lineState{status: 2}); err != nil {
		t.Fatal(err)
	}
	held := heapAfter() - before
	if held > 8<<20 {
		t.Errorf("%d MB held for %d scattered lines, want at most 8 MB", held>>20, lines+2)
	}
	if tab.len() != lines+2 || !tab.has(1<<62) || !tab.has(-5) || tab.has(8) {
		t.Errorf("%d lines held (want %d); has 1<<62 %v, -5 %v, 8 %v", tab.len(), lines+2, tab.has(1<<62), tab.has(-5), tab.has(8))
	}
	runtime.KeepAlive(tab)
}

// The table says what a map would: the last state set of each line, each
// line once, whatever the order of lines and whether a line's page came
// into reach after it was first set.
func TestLineTableAgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tab, want := newLineTable(), map[int]lineState{}
	for range 200_000 {
		var line int
		switch rng.IntN(4) {
		case 0:
			line = rng.IntN(1 << 30) // far, often past the pages in reach
		case 1:
			line = rng.IntN(64)
		default:
			line = len(want) + rng.IntN(4096)
		}
		s := lineState{status: uint8(rng.IntN(5))}
		if rng.IntN(2) == 0 {
			s.hasCode, s.code = true, int32(rng.IntN(7)-3)*70000
		}
		if err := tab.set(line, s); err != nil {
			t.Fatal(err)
		}
		want[line] = s
	}
	if tab.len() != len(want) {
		t.Fatalf("%d lines held, want %d", tab.len(), len(want))
	}
	got := map[lineState]int{}
	tab.each(func(s lineState) { got[s]++ })
	wantTally := map[lineState]int{}
	for line, s := range want {
		wantTally[s]++
		if !tab.has(line) {
			t.Fatalf("line %d set, not held", line)
		}
	}
	for s, n := range wantTally {
		if got[s] != n {
			t.Errorf("state %+v: %d lines, want %d", s, got[s], n)
		}
	}
	if len(got) != len(wantTally) {
		t.Errorf("%d states, want %d", len(got), len(wantTally))
	}
}

// A run's rebuild of its chain has room for its line table: the client's
// tight heap limit is lifted to rebuildHeapLimit while it runs, and put
// back after; a higher limit is left as it is.
func TestRebuildHasHeapRoom(t *testing.T) {
	prev, prevGC := debug.SetMemoryLimit(24<<20), debug.SetGCPercent(400)
	defer func() { debug.SetMemoryLimit(prev); debug.SetGCPercent(prevGC) }()
	var during int64
	var gcDuring int
	withHeapRoom(func() {
		during, gcDuring = debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
		debug.SetGCPercent(gcDuring)
	})
	if during != rebuildHeapLimit || debug.SetMemoryLimit(-1) != 24<<20 {
		t.Errorf("limit %d during the rebuild (want %d), %d after (want %d)", during, rebuildHeapLimit, debug.SetMemoryLimit(-1), 24<<20)
	}
	if after := debug.SetGCPercent(400); gcDuring != 100 || after != 400 {
		t.Errorf("GOGC %d during the rebuild (want 100), %d after (want 400)", gcDuring, after)
	}
	debug.SetMemoryLimit(1 << 30)
	withHeapRoom(func() { during = debug.SetMemoryLimit(-1) })
	if during != 1<<30 {
		t.Errorf("a higher limit became %d", during)
	}
}

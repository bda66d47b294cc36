package batch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChainBytesSumsTheChain: a run decides whether to chart its whole
// chain by the size of the chain's reports, found through the send logs'
// notes, the run's own included; an unreadable chain is 0 (the rebuild
// then says why).
func TestChainBytesSumsTheChain(t *testing.T) {
	dir := t.TempDir()
	old, cur := filepath.Join(dir, "r1.csv"), filepath.Join(dir, "r2.csv")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(old, strings.Repeat("x", 1000))
	write(cur, strings.Repeat("y", 300))
	write(cur+".sent", "# msgread send log: the input lines sent, each before its first call\n# resumed from r1.csv\n")
	if got := chainBytes(cur); got != 1300 {
		t.Errorf("chain of 1000 and 300 bytes: %d", got)
	}
	if got := chainBytes(old); got != 1000 {
		t.Errorf("the oldest report alone: %d", got)
	}
}

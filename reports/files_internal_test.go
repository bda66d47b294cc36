package reports

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRunBaseNumbersAnAppendedRunsFiles: a run that made its report names
// its files after it; a run appending to it takes the first number none of
// whose files exists, whichever of them an earlier run left.
func TestRunBaseNumbersAnAppendedRunsFiles(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "a1.csv")
	at := func(name string) string { return filepath.Join(dir, name) }
	if got := RunBase(report, false); got != at("a1") {
		t.Errorf("a new report's base = %q, want a1", got)
	}
	if got := RunBase(at("a1"), false); got != at("a1") {
		t.Errorf("a report not named .csv: base = %q, want a1", got)
	}
	if got := RunBase(report, true); got != at("a1.2") {
		t.Errorf("first append: base = %q, want a1.2", got)
	}
	for _, left := range []string{"a1.2.failed.csv", "a1.3.html", "a1.4.verify.csv", "a1.5.timeline.csv"} {
		os.WriteFile(at(left), nil, 0o600)
	}
	if got := RunBase(report, true); got != at("a1.6") {
		t.Errorf("with a1.2 to a1.5 taken by one file each: base = %q, want a1.6", got)
	}
}

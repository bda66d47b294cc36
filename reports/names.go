package reports

import (
	"os"
	"strconv"
	"strings"
)

// The names of a run's own files beside its report, after the run's base
// (Files.Base): BASE.failed.csv, BASE.timeline.csv, BASE.html and
// BASE.verify.csv.
const (
	FailedSuffix   = ".failed.csv"
	TimelineSuffix = ".timeline.csv"
	HTMLSuffix     = ".html"
	VerifySuffix   = ".verify.csv"
)

// runSuffixes are the files a run may make after its base.
var runSuffixes = []string{FailedSuffix, TimelineSuffix, HTMLSuffix, VerifySuffix}

// RunBase is the base of the names of a run's own files: the report's
// path without .csv for a run that made the report; for a run appending
// to it, the first REPORT.N (N from 2) none of whose files exists
// (a1.2.failed.csv, a1.2.timeline.csv, a1.2.html), so that every run of
// the report keeps its own and none is overwritten.
func RunBase(report string, appending bool) string {
	base := strings.TrimSuffix(report, ".csv")
	if !appending {
		return base
	}
	for n := 2; ; n++ {
		b := base + "." + strconv.Itoa(n)
		if !anyExists(b, runSuffixes) {
			return b
		}
	}
}

// anyExists says whether a file base+suffix exists for one of suffixes.
func anyExists(base string, suffixes []string) bool {
	for _, s := range suffixes {
		if _, err := os.Lstat(base + s); err == nil {
			return true
		}
	}
	return false
}

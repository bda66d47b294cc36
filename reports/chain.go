package reports

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Link is one report of a resume chain, with what its send log says of
// it: the timelines of the runs that wrote it, and the newer report it
// was resumed into, if any.
type Link struct {
	Report string
	// Timelines are the per-second timelines of the runs that wrote the
	// report, in the order they ran: the ones its send log names, else
	// (a report of an older msgread, or one with no send log) those found
	// by their default names (REPORT.timeline.csv, REPORT.2.timeline.csv,
	// ...). A path may name a file that is not there (moved, or a run
	// killed before it was made).
	Timelines []string
	// ResumedInto names the newer report a resume made from this one; ""
	// for the newest of its chain.
	ResumedInto string
}

// maxChain bounds the reports a chain is followed through: a loop of
// notes (hand-edited send logs) ends there.
const maxChain = 10_000

// Chain returns the resume chain that ends at report, oldest first: the
// report and the older reports it was resumed from, each found by the
// note in its successor's send log ("# resumed from"), or, for a chain an
// older msgread wrote, by the send log beside it in the same folder that
// says it was resumed into its successor. A report whose predecessor
// cannot be found starts the chain. Chain reads send logs only; it does
// not check that the reports are reports.
func Chain(report string) ([]Link, error) {
	var chain []Link
	seen := map[string]bool{}
	for path := report; path != "" && len(chain) < maxChain; {
		key := fileKey(path)
		if seen[key] {
			return nil, fmt.Errorf("%s: the resume chain comes back to %s: its send logs (.sent) were edited", report, path)
		}
		seen[key] = true
		notes, err := readNotes(path)
		if err != nil {
			return nil, err
		}
		link := Link{Report: path, Timelines: notes.timelines, ResumedInto: notes.into}
		if len(link.Timelines) == 0 {
			link.Timelines = defaultTimelines(path)
		}
		chain = append(chain, link)
		if path = notes.from; path == "" {
			path = predecessorBeside(link.Report)
		}
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}

// fileKey identifies a path for the loop check: its absolute form.
func fileKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// logNotes are the notes of a send log.
type logNotes struct {
	from, into string
	timelines  []string
}

// readNotes reads the notes of report's send log; none when it has none.
func readNotes(report string) (logNotes, error) {
	var n logNotes
	path := SendLogPath(report)
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return n, nil
	}
	if err != nil {
		return n, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return n, nil // not msgread's: no notes
	}
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		text, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) { // no line of msgread's: skip it
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil // the end, or a torn last line
			}
			return n, fmt.Errorf("%s: %w", path, err)
		}
		if len(text) == 0 || text[0] != '#' {
			continue
		}
		n.add(report, string(bytes.TrimSuffix(text, []byte("\n"))))
	}
}

// add takes one note line of report's send log.
func (n *logNotes) add(report, line string) {
	if v, ok := strings.CutPrefix(line, resumedFromPrefix); ok {
		n.from = noteName(report, v)
	} else if v, ok := strings.CutPrefix(line, resumedIntoPrefix); ok {
		n.into = noteName(report, v)
	} else if v, ok := strings.CutPrefix(line, timelinePrefix); ok {
		n.timelines = append(n.timelines, noteName(report, v))
	}
}

// defaultTimelines returns the timelines of report's runs by their default
// names: REPORT.timeline.csv, then REPORT.N.timeline.csv while a run N
// left one of its files.
func defaultTimelines(report string) []string {
	base := strings.TrimSuffix(report, ".csv")
	out := []string{base + TimelineSuffix}
	for n := 2; ; n++ {
		b := base + "." + strconv.Itoa(n)
		if !anyExists(b, runSuffixes) {
			return out
		}
		out = append(out, b+TimelineSuffix)
	}
}

// predecessorBeside finds, among the send logs in report's folder, the one
// whose note says its report was resumed into report (a chain written
// before the "resumed from" notes); "" when none does.
func predecessorBeside(report string) string {
	dir := filepath.Dir(report)
	entries, _ := os.ReadDir(dir) // sorted by name
	me, err := os.Stat(report)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), sentSuffix) {
			continue
		}
		old := filepath.Join(dir, strings.TrimSuffix(e.Name(), sentSuffix))
		into, ok := ResumedInto(old)
		if !ok {
			continue
		}
		if st, err := os.Stat(into); err == nil && os.SameFile(st, me) {
			return old
		}
	}
	return ""
}

package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/latency"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// Rebuilt is how a migration went, rebuilt from its reports and their
// timelines alone (msgread report): every input line once, with its final
// status, and every second of every run on one clock.
type Rebuilt struct {
	// Summary counts each input line of each chain once, with its last
	// status (a line failed in one run and ok in the next is ok; a skipped
	// line is ok from an earlier run). Its calls and latency are those of
	// the reports' rows (each row's last call; the timelines' calls when
	// every run has its timeline), its seconds the runs'.
	Summary digest.Summary
	// Info is what the summary JSON says beyond the Summary (the caller
	// adds the version and the exit code).
	Info digest.RunInfo
	// Page is the HTML report's: Timeline is the runs' merged, with gaps.
	Page digest.Page
	// Runs are the runs found, oldest first, one a timeline (a run whose
	// timeline is missing says so); the same as Page.Runs and Info.Runs.
	Runs []digest.RunSpan
	// Chains are the resume chains read, one for each report given that
	// no other given report's chain holds, each oldest first.
	Chains [][]reports.Link
	// Notes say what a reader should know: a timeline missing, a report
	// given that was resumed into a newer one, a predecessor not found.
	Notes []string
	// timelines are the timeline files read, each read once; unended
	// says of each chain whose last run did not end why (checkEnded).
	timelines []os.FileInfo
	unended   []string
}

// Rebuild reads the reports given (the newest report of a resume chain,
// or the reports of several shards of one migration), each with the
// older reports of its chain and the timelines of every run, and rebuilds
// the summary and the page of the whole. A report that is given and is in
// another given report's chain is read once. A missing, empty or damaged
// timeline is a note, not an error: the rows are rebuilt all the same. A
// file given that is not a msgread report is an error naming it.
// Rebuild reads only; ctx stops a long read.
func Rebuild(ctx context.Context, paths []string) (*Rebuilt, error) {
	if len(paths) == 0 {
		return nil, errors.New("batch: rebuild: no report given")
	}
	rb := &Rebuilt{}
	for _, p := range paths {
		if err := checkReport(p); err != nil {
			return nil, err
		}
		chain, err := reports.Chain(p)
		if err != nil {
			return nil, err
		}
		rb.Chains = append(rb.Chains, chain)
	}
	rb.Chains = dropHeldChains(rb.Chains)
	if err := sharedReport(rb.Chains); err != nil {
		return nil, err
	}
	acc := newRebuildCounts()
	var seconds [][]digest.Second
	for _, chain := range rb.Chains {
		if last := chain[len(chain)-1]; last.ResumedInto != "" {
			rb.note(fmt.Sprintf("%s was resumed into %s: give the newest report of the chain to cover all its runs", last.Report, last.ResumedInto))
		}
		rb.checkEnded(chain[len(chain)-1].Report)
		lines := newLineTable()
		for i, link := range chain {
			secs, err := rb.readLink(ctx, acc, link, lines, i == 0)
			if err != nil {
				return nil, err
			}
			seconds = append(seconds, secs...)
		}
		acc.count(lines)
	}
	rb.finish(acc, seconds)
	return rb, nil
}

// readLink reads one report of a chain into lines, and the timelines of
// its runs: their seconds, one slice a run (rb.Runs gets their spans).
// A report none of whose runs has its timeline adds its rows' span to
// the uncharted time.
func (rb *Rebuilt) readLink(ctx context.Context, acc *rebuildCounts, link reports.Link, lines *lineTable, oldest bool) ([][]digest.Second, error) {
	acc.repFirst, acc.repLast = time.Time{}, time.Time{}
	if err := acc.readReport(ctx, link.Report, lines, oldest); err != nil {
		if !oldest || !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		rb.note(fmt.Sprintf("%s, the oldest report of the chain, is not there: its lines are counted from the newer reports", link.Report))
	}
	var seconds [][]digest.Second
	charted := false
	for _, tl := range link.Timelines {
		secs, span := rb.readTimeline(link.Report, tl)
		seconds, rb.Runs = append(seconds, secs), append(rb.Runs, span)
		charted = charted || span.Missing == ""
	}
	if !charted && acc.repLast.After(acc.repFirst) {
		acc.uncharted += acc.repLast.Sub(acc.repFirst) // its runs' time, from its rows
	}
	return seconds, nil
}

// checkReport refuses a path that is not a msgread report, naming it.
func checkReport(path string) error {
	f, err := openRegularFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := reports.NewReader(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// openRegularFile opens a file that must be a regular file (a FIFO named
// by mistake would block): a report, or a timeline.
func openRegularFile(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (msgread wrote it as one)", path)
	}
	return os.Open(path)
}

// dropHeldChains drops each chain whose newest report is in another chain
// (given twice, or with its successor): its lines and runs are there.
func dropHeldChains(chains [][]reports.Link) [][]reports.Link {
	held := func(c []reports.Link, by []reports.Link) bool {
		head := c[len(c)-1].Report
		for _, l := range by {
			if sameReport(l.Report, head) {
				return true
			}
		}
		return false
	}
	var out [][]reports.Link
	for i, c := range chains {
		dropped := false
		for j, by := range chains {
			// A chain held by a longer one goes; of two alike, the later.
			if i != j && held(c, by) && (len(by) > len(c) || len(by) == len(c) && j < i) {
				dropped = true
				break
			}
		}
		if !dropped {
			out = append(out, c)
		}
	}
	return out
}

// sharedReport refuses chains that share a report (after dropHeldChains,
// none holds another's newest): shards share none, and a report read in
// two chains would count its lines and its seconds twice. It is a copy of
// a report with its send log, or two resumes of one report (refused when
// the second starts), or hand-edited notes.
func sharedReport(chains [][]reports.Link) error {
	heads := map[string]string{} // a report's real path: the head of the chain that holds it
	for _, c := range chains {
		head := c[len(c)-1].Report
		for _, l := range c {
			key, err := filepath.EvalSymlinks(l.Report)
			if err != nil {
				continue // gone: nothing of it is read
			}
			if abs, err := filepath.Abs(key); err == nil {
				key = abs
			}
			if other, ok := heads[key]; ok && other != head {
				return fmt.Errorf("%s and %s both go back to %s: shards share no report (a copy of a report and its send log, or two resumes of one report?); "+
					"give the newest report of one resume chain, or the newest of each shard: %w", other, head, l.Report, ErrSharedReport)
			}
			heads[key] = head
		}
	}
	return nil
}

// ErrSharedReport is wrapped when the reports given have a report in
// common, and are no shards.
var ErrSharedReport = errors.New("the reports given are not shards of one migration")

func sameReport(a, b string) bool {
	if a == b {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func (rb *Rebuilt) note(s string) { rb.Notes = append(rb.Notes, s) }

// checkEnded keeps why a chain's newest report's last run did not end:
// one writing it now, or one killed (its lock file left, held by none).
// The summary says it (Stopped) and its headline: lines of its input may
// be missing from every report, and a reader of "all ok" must know.
func (rb *Rebuilt) checkEnded(report string) {
	var why string
	if who, writing := reports.Writing(report); writing {
		why = fmt.Sprintf("%s is being written by a run now (%s): its lines so far", report, who)
	} else if who, left := reports.Left(report); left {
		why = fmt.Sprintf("the last run of %s did not end (killed? its lock file is left: %s): its input's lines after those reported are not counted; resume it to send them", report, who)
	} else {
		return
	}
	rb.unended = append(rb.unended, why) // said in the summary and its headline
}

// readTimeline reads one run's timeline; a missing, empty or damaged one
// gives no seconds and a span that says why.
func (rb *Rebuilt) readTimeline(report, path string) ([]digest.Second, digest.RunSpan) {
	span := digest.RunSpan{Report: report, Timeline: path}
	missing := func(why string) ([]digest.Second, digest.RunSpan) {
		span.Missing = "timeline " + why
		rb.note(fmt.Sprintf("%s: the timeline %s: the chart of its run is missing", report, why))
		return nil, span
	}
	f, err := openRegularFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return missing(path + " is not there")
	}
	if err != nil {
		return missing(path + ": " + err.Error())
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		for _, seen := range rb.timelines {
			if os.SameFile(seen, st) {
				return missing(path + " is an earlier run's as well (a send log's notes copied or edited), charted with that run")
			}
		}
		rb.timelines = append(rb.timelines, st)
	}
	secs, err := digest.ReadTimeline(f)
	switch {
	case err != nil:
		return missing(path + " is damaged (" + err.Error() + ")")
	case len(secs) == 0:
		return missing(path + " has no second (its run was killed before its first)")
	}
	return secs, span
}

// rebuildCounts gathers a rebuild's counts over every report read.
type rebuildCounts struct {
	sum      digest.Summary
	lat      *latency.Histogram
	attempts int // the reports' rows' calls
	// first and last are the earliest and latest finished_at of the
	// reports' rows: the rows' span, when no timeline has it.
	first, last time.Time
	// repFirst and repLast are the same of the report being read;
	// uncharted adds up the spans of the reports none of whose runs has
	// its timeline: their runs' time, which no timeline counts.
	repFirst, repLast time.Time
	uncharted         time.Duration
	classes           map[string]string
}

func newRebuildCounts() *rebuildCounts {
	sum := digest.NewSummary()
	sum.AttemptCodes = map[string]int{}
	return &rebuildCounts{sum: sum, lat: latency.New(), classes: map[string]string{}}
}

// readReport reads one report of a chain into lines: a row sets its
// line's status, except a skipped row, which stands for an ok in an
// earlier report (skipped stays only when no earlier report has the
// line). Every row that made calls adds them and its last call's latency.
func (acc *rebuildCounts) readReport(ctx context.Context, path string, lines *lineTable, oldest bool) error {
	f, err := openRegularFile(path)
	if err != nil {
		if !oldest {
			err = fmt.Errorf("%s, a report of the chain: %w", path, err)
		}
		return err
	}
	defer f.Close()
	rd, err := reports.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := acc.row(r, lines); err != nil {
			return fmt.Errorf("%s: input line %d: %w", path, r.Line, err)
		}
	}
}

// row counts one report row.
func (acc *rebuildCounts) row(r reports.Record, lines *lineTable) error {
	if r.Status == reports.StatusSkipped {
		if !lines.has(r.Line) {
			return lines.set(r.Line, lineState{status: uint8(statusIndex(r.Status))})
		}
		return nil
	}
	if !fitsInt32(r.ErrorCode) {
		return fmt.Errorf("error_code %d is out of range", r.ErrorCode)
	}
	if err := lines.set(r.Line, lineState{status: uint8(statusIndex(r.Status)), hasCode: r.HasCode, code: int32(r.ErrorCode)}); err != nil {
		return err
	}
	if r.Attempts <= 0 {
		return nil
	}
	acc.attempts += r.Attempts
	acc.lat.Record(r.Latency)
	key, class := answerOf(r)
	acc.sum.AttemptCodes[key]++
	acc.classes[key] = class
	if !r.FinishedAt.IsZero() {
		if acc.first.IsZero() || r.FinishedAt.Before(acc.first) {
			acc.first = r.FinishedAt
		}
		if r.FinishedAt.After(acc.last) {
			acc.last = r.FinishedAt
		}
		if acc.repFirst.IsZero() || r.FinishedAt.Before(acc.repFirst) {
			acc.repFirst = r.FinishedAt
		}
		if r.FinishedAt.After(acc.repLast) {
			acc.repLast = r.FinishedAt
		}
	}
	return nil
}

// answerOf names a row's last answer as the summary counts answers: its
// error code, "http NNN" or "network", with its class.
func answerOf(r reports.Record) (key, class string) {
	switch {
	case r.HasCode:
		return strconv.Itoa(r.ErrorCode), chatapi.Lookup(r.ErrorCode).Class.String()
	case r.HTTPStatus != 0 && r.HTTPStatus != 200:
		return "http " + strconv.Itoa(r.HTTPStatus), "retry"
	case r.HTTPStatus == 200:
		return "malformed", "retry"
	}
	return "network", "retry"
}

// count adds a chain's lines, each once with its last status.
func (acc *rebuildCounts) count(lines *lineTable) {
	tally := map[lineState]int{} // a few states for millions of lines
	lines.each(func(l lineState) { tally[l]++ })
	for l, n := range tally {
		st := reports.Statuses[l.status]
		acc.sum.Rows += n
		acc.sum.ByStatus[st] += n
		if l.hasCode {
			acc.sum.ByCode[strconv.Itoa(int(l.code))] += n
		}
	}
}

// finish merges the runs' seconds and fills the summary, the page and the
// summary JSON's info.
func (rb *Rebuilt) finish(acc *rebuildCounts, seconds [][]digest.Second) {
	tl := digest.MergeTimelines(seconds, rb.Runs)
	sum := acc.sum
	sum.InputRows, sum.Reported, sum.Rebuilt = sum.Rows, sum.Rows, true
	sum.Stopped = strings.Join(rb.unended, "; ")
	sum.AttemptClasses = acc.classes
	sum.Attempts = acc.attempts
	ran, intended, timelineCalls := timelineTotals(tl, &sum)
	if rb.everyRunCharted() {
		sum.Attempts = max(sum.Attempts, timelineCalls) // the timelines count the calls of rows a kill lost
	}
	sent, _ := sum.Sent()
	sum.Retries = max(sum.Attempts-sent, 0)
	// The charted runs' seconds, and the rows' span of the reports whose
	// runs have no timeline: the calls of every run over the time of
	// every run, not of the charted ones alone.
	sum.Wall = time.Duration(ran)*time.Second + acc.uncharted
	if sum.Wall == 0 && acc.last.After(acc.first) {
		sum.Wall = acc.last.Sub(acc.first) // no timeline: the rows' span
	}
	if sum.Wall > 0 {
		sum.Rate = float64(sum.Attempts) / sum.Wall.Seconds()
	}
	if ran > 0 {
		sum.TargetRate = intended / float64(ran)
	}
	if sum.TargetRate > 0 {
		sum.RateRatio = sum.Rate / sum.TargetRate
	}
	p := acc.lat.Percentiles()
	sum.Latency = digest.Latency{P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Max}
	ps := digest.DistributionPercentiles()
	for i, v := range acc.lat.At(ps) {
		sum.Distribution = append(sum.Distribution, digest.Quantile{Percentile: ps[i], Actual: v})
	}
	sum.Profile = fmt.Sprintf("as each of the %d runs had it", len(rb.Runs))
	started, finished := acc.first, acc.last
	if len(tl) > 0 {
		started, finished = time.Unix(tl[0].Unix, 0), time.Unix(tl[len(tl)-1].Unix+1, 0)
	}
	sum.Started = started
	rb.Summary = sum
	rb.Info = digest.RunInfo{Command: "report", StartedAt: started, FinishedAt: finished, TotalRows: -1, Runs: rb.Runs}
	rb.Page = digest.Page{Title: "msgread report", Command: "report", Scenario: fmt.Sprintf("the targets of %d run(s), rebuilt from their reports", len(rb.Runs)), Summary: sum, Timeline: tl,
		Runs: rb.Runs, Generated: time.Now(), Explain: explainCode}
}

// timelineTotals counts the merged timeline's seconds that a run ran, the
// rates they intended and the calls they sent, and fills the summary's
// peak, lowest rate and late calls from them.
func timelineTotals(tl []digest.Second, sum *digest.Summary) (ran int, intended float64, calls int) {
	for _, s := range tl {
		if s.Gap {
			continue
		}
		ran++
		intended += s.Intended
		calls += s.Sent
		sum.Late += s.Late
		sum.PeakWindow = max(sum.PeakWindow, s.Sent)
		if s.Sent > 0 && (sum.LowestRate == 0 || s.Rate < sum.LowestRate) {
			sum.LowestRate = s.Rate
		}
	}
	return ran, intended, calls
}

// everyRunCharted says whether every run's timeline was read.
func (rb *Rebuilt) everyRunCharted() bool {
	for _, r := range rb.Runs {
		if r.Missing != "" {
			return false
		}
	}
	return len(rb.Runs) > 0
}

package reports

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The send log is a report's sidecar, REPORT.sent: the input lines sent by
// the runs writing the report, one decimal line number a line, each written
// (handed to the operating system) before that line's first call goes out.
// A process killed at any moment has logged every line it sent, so a resume
// knows exactly which of the lines it sends an earlier run had sent too:
// the summary's re-sent count. It never decides what is skipped: only the
// report's ok lines do.
//
// A new report's send log starts with the lines of the old log that the
// old report did not finish ok (they were sent, and the new run may send
// them again), so the log of the newest report of a chain speaks for the
// whole chain.

// sendLogHeader is the send log's first line; a file beside a report that
// does not start with it is not msgread's, and never replaced.
const sendLogHeader = "# msgread send log: the input lines sent, each before its first call\n"

// SendLogPath is the send log's path for a report's.
func SendLogPath(report string) string { return report + sentSuffix }

// SendLog appends lines to a report's send log. Safe from several
// goroutines: the workers log their own lines.
type SendLog struct {
	mu  sync.Mutex
	f   *os.File
	buf []byte
}

// Sending logs line before its first call: when it returns nil, the line
// is in the operating system's hands (a kill loses it no more), not yet on
// disk (Sync does that).
func (l *SendLog) Sending(line int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = strconv.AppendInt(l.buf[:0], int64(line), 10)
	l.buf = append(l.buf, '\n')
	if _, err := l.f.Write(l.buf); err != nil {
		return &WriteError{Path: l.f.Name(), Err: err}
	}
	return nil
}

// Sync puts the log on disk.
func (l *SendLog) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Sync(); err != nil {
		return &WriteError{Path: l.f.Name(), Err: err}
	}
	return nil
}

// sendLog is what a report's send log says: the lines sent (done or not),
// its length without a torn last line, and the newer report it was
// resumed into, if any.
type sendLog struct {
	sent        bitset
	complete    int64
	resumedInto string
}

// HasSendLog says whether the resumed report has a send log.
func (r *Resume) HasSendLog() bool { return r != nil && r.log != nil }

// superseded refuses the resume of report when its log says a resume made
// a newer report from it: the newer one holds its done lines and those
// done since, which resuming this one would send again. The note names the
// newer report relative to this one's folder, so a folder moved whole
// keeps it; one moved apart, renamed or deleted still refuses, with the
// way out (move the .sent away, and accept that those lines go again).
func (l *sendLog) superseded(report string) error {
	if l == nil || l.resumedInto == "" {
		return nil
	}
	into := l.resumedInto
	if !filepath.IsAbs(into) {
		into = filepath.Join(filepath.Dir(report), into)
	}
	if _, err := os.Stat(into); err == nil {
		return fmt.Errorf("%s %w: it was resumed into %s, which holds its done lines and more; resume the newest report of the chain (%s, or the newest one resumed from it), or the lines done since would be sent again",
			report, ErrSuperseded, into, into)
	}
	return fmt.Errorf("%s %w: it was resumed into %s, which is not there now (moved, renamed or deleted): resume that report where it is; to resume this one anyway, sending again every line done since, move %s away",
		report, ErrSuperseded, into, SendLogPath(report))
}

// readSendLogFile reads the send log at path; nil, nil when there is none
// (a report of an older msgread). A torn last line (a kill while writing
// it) is left out: its call had not gone out.
func readSendLogFile(path string) (*sendLog, error) {
	if err := checkOwn(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := &sendLog{}
	br := bufio.NewReaderSize(f, 64<<10)
	head, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if head != sendLogHeader {
		if strings.HasPrefix(sendLogHeader, head) && errors.Is(err, io.EOF) {
			return l, nil // made, and killed before its header was whole
		}
		return nil, fmt.Errorf("%s is not a msgread send log", path)
	}
	l.complete = int64(len(head))
	for num := 2; ; num++ {
		text, err := br.ReadSlice('\n')
		if errors.Is(err, io.EOF) {
			return l, nil // nothing, or a torn last line
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		l.complete += int64(len(text))
		if text[0] == '#' {
			if into, ok := strings.CutPrefix(string(text[:len(text)-1]), resumedIntoPrefix); ok {
				l.resumedInto = into
			}
			continue
		}
		line, perr := parseLine(string(bytes.TrimSuffix(text, []byte("\n"))))
		if perr != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, num, perr)
		}
		l.sent.set(line)
	}
}

// resumedIntoPrefix starts the send log's line that names the report a
// resume made from this one: from then on that report is the chain's
// newest, and this one must not be resumed again.
const resumedIntoPrefix = "# resumed into "

// markResumed notes in the send log of the report resumed (res, read from
// path's log) that the new report into now holds its done lines. Its torn
// last line, if any, is cut first, as an append does.
func markResumed(res *Resume, path, into string) error {
	if res.log == nil || res.log.complete == 0 {
		return nil // no log to note it in (an older msgread's report)
	}
	lf, err := os.OpenFile(SendLogPath(path), os.O_WRONLY|noFollow, 0)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := lf.Truncate(res.log.complete); err != nil {
		return err
	}
	if _, err := lf.WriteAt([]byte(resumedIntoPrefix+relName(path, into)+"\n"), res.log.complete); err != nil {
		return &WriteError{Path: lf.Name(), Err: err}
	}
	return lf.Sync()
}

// relName names target for a note in the send log of report: relative to
// report's folder when it can be, so that a folder moved whole keeps the
// note true; else absolute.
func relName(report, target string) string {
	abs, err := filepath.Abs(target)
	if err != nil {
		return target
	}
	if dir, err := filepath.Abs(filepath.Dir(report)); err == nil {
		if rel, err := filepath.Rel(dir, abs); err == nil {
			return rel
		}
	}
	return abs
}

// noteName reads back a name relName wrote in the send log of report.
func noteName(report, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(report), name)
}

// resumedFromPrefix starts the send log's line, after its header, that
// names the report a resume made this one from; timelinePrefix a line
// that names the timeline of a run writing the report (one a run, in
// the order they ran).
const (
	resumedFromPrefix = "# resumed from "
	timelinePrefix    = "# timeline "
)

// note writes a line "# text" to the log, before its next line.
func (l *SendLog) note(text string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.WriteString(text + "\n"); err != nil {
		return &WriteError{Path: l.f.Name(), Err: err}
	}
	return nil
}

// NoteTimeline notes in the report's send log that this run's per-second
// timeline is at path, for msgread report; nothing without a send log. A
// run calls it once, before its first call.
func (f *Files) NoteTimeline(path string) error {
	if f.sends == nil {
		return nil
	}
	return f.sends.note(timelinePrefix + relName(f.ReportPath, path))
}

// unmarkResumed takes back markResumed's note in the send log of the
// report at path: the log is cut back to its length before the note. Best
// effort: a note that stays refuses the old report's resume with the way
// out (move its .sent away).
func unmarkResumed(res *Resume, path string) {
	if res == nil || res.log == nil || res.log.complete == 0 {
		return // markResumed wrote nothing
	}
	lf, err := os.OpenFile(SendLogPath(path), os.O_WRONLY|noFollow, 0)
	if err != nil {
		return
	}
	defer lf.Close()
	if lf.Truncate(res.log.complete) == nil {
		lf.Sync()
	}
}

// SentBefore says whether an earlier run of the chain may have sent line:
// with a send log, exactly when it logged the line; without one (a report
// of an older msgread, or a log moved away), for every line up to the
// report's highest.
func (r *Resume) SentBefore(line int) bool {
	if r == nil {
		return false
	}
	if r.log != nil {
		return r.log.sent.has(line)
	}
	return line <= r.MaxLine
}

// bitset is a set of line numbers, a bit a line, in pages of 65,536 lines
// made where lines are: a log naming line 10^12 costs one page, not a
// terabit.
type bitset map[int]*[1 << (pageShift - 6)]uint64

func (b *bitset) set(i int) {
	if *b == nil {
		*b = bitset{}
	}
	p := (*b)[i>>pageShift]
	if p == nil {
		p = new([1 << (pageShift - 6)]uint64)
		(*b)[i>>pageShift] = p
	}
	p[i&(1<<pageShift-1)>>6] |= 1 << (i & 63)
}

func (b bitset) has(i int) bool {
	p := b[i>>pageShift]
	return p != nil && p[i&(1<<pageShift-1)>>6]&(1<<(i&63)) != 0
}

// each calls fn for each line in the set, in order.
func (b bitset) each(fn func(int) error) error {
	keys := slices.Sorted(maps.Keys(b))
	for _, k := range keys {
		for w, word := range b[k] {
			for word != 0 {
				if err := fn(k<<pageShift | w<<6 | bits.TrailingZeros64(word)); err != nil {
					return err
				}
				word &= word - 1
			}
		}
	}
	return nil
}

// ResumedInto says, from the end of report's send log, whether a resume
// made a newer report from it (the newer one holds its done lines and
// more), and where: verifying this one would leave the newer rows out.
func ResumedInto(report string) (newer string, ok bool) {
	f, err := os.OpenFile(SendLogPath(report), os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return "", false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	const tail = 4096 // the note is the log's last line
	buf := make([]byte, min(st.Size(), tail))
	if _, err := f.ReadAt(buf, st.Size()-int64(len(buf))); err != nil && !errors.Is(err, io.EOF) {
		return "", false
	}
	i := bytes.LastIndex(buf, []byte("\n"+resumedIntoPrefix))
	if i < 0 && bytes.HasPrefix(buf, []byte(resumedIntoPrefix)) {
		i = -1
	} else if i < 0 {
		return "", false
	}
	line, _, _ := strings.Cut(string(buf[i+1:]), "\n")
	return noteName(report, strings.TrimPrefix(line, resumedIntoPrefix)), true
}

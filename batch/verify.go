package batch

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// UnreadCounter reads unread counts back; *Client is the real one.
type UnreadCounter interface {
	UnreadCounts(ctx context.Context, req chatapi.UnreadRequest) (Result, chatapi.UnreadResponse)
}

// VerifyConfig is one verification: a sample of a report's done rows read
// back with get_c2c_unread_msg_num, through the same engine as a run.
type VerifyConfig struct {
	// Runner configures the engine (rate, retries, probe, breaker); its
	// Caller and Resume are not used.
	Runner Config
	// Counter makes the calls. Required.
	Counter UnreadCounter
	// Rows is the sample (SampleReport); or, when Next is set, Next gives
	// it one row at a time (a SampleStream's Next, io.EOF after the last),
	// read ChunkRows at a time: memory stays flat however many rows come.
	Rows []VerifyRow
	Next func() (VerifyRow, error)
	// Abort, when closed, stops the calls in flight of a verification
	// whose context was cancelled (a second interrupt); nil never does.
	Abort <-chan struct{}
	// Out receives the verify report, one CSV row a sampled row; nil
	// writes none.
	Out io.Writer
}

// VerifyHeader is the verify report's header row.
var VerifyHeader = []string{"line", "report_account", "peer_account", "msg_read_time", "unread", "verdict", "error_code", "error"}

// VerifySummary counts what reading the sample back found.
type VerifySummary struct {
	Sampled, Read, Unread, Errors int
	// UnreadAfterPastTime counts the unread rows marked with a past
	// msg_read_time: the messages after that time stay unread, by design.
	UnreadAfterPastTime int
	// UnreadCounts is a histogram of the unread rows' counts: count (5 for
	// 5 or more) → rows.
	UnreadCounts map[int]int
	// ErrorsByCode counts the rows in error by code ("70107", "network"...).
	ErrorsByCode map[string]int
	// Calls is the engine's summary of the calls: attempts, rate, latency.
	Calls digest.Summary
}

// verifyCall is one unread-count call: an account and up to ten distinct
// peers, the sampled rows they answer for.
type verifyCall struct {
	line    int // the first row's line, naming the call in errors
	account string
	peers   []string
	rows    []*VerifyRow
}

// groupCalls groups rows by account into calls of at most
// chatapi.MaxUnreadPeers distinct peers.
func groupCalls(rows []VerifyRow) []*verifyCall {
	order := make([]*VerifyRow, len(rows))
	for i := range rows {
		order[i] = &rows[i]
	}
	slices.SortStableFunc(order, func(a, b *VerifyRow) int {
		return cmp.Or(cmp.Compare(a.ReportAccount, b.ReportAccount), cmp.Compare(a.Line, b.Line))
	})
	var calls []*verifyCall
	var cur *verifyCall
	for _, r := range order {
		if cur == nil || cur.account != r.ReportAccount || (!slices.Contains(cur.peers, r.PeerAccount) && len(cur.peers) == chatapi.MaxUnreadPeers) {
			cur = &verifyCall{line: r.Line, account: r.ReportAccount}
			calls = append(calls, cur)
		}
		if !slices.Contains(cur.peers, r.PeerAccount) {
			cur.peers = append(cur.peers, r.PeerAccount)
		}
		cur.rows = append(cur.rows, r)
	}
	return calls
}

// Verify reads the sample's conversations back and judges each row. Its
// error is the engine's: a fatal answer, the outage budget, an interrupt,
// or the verify report's write.
func Verify(ctx context.Context, cfg VerifyConfig) (VerifySummary, error) {
	feed := &verifyFeed{next: cfg.Next}
	if feed.next == nil {
		feed.calls = groupCalls(cfg.Rows)
	}
	e, err := NewEngine(cfg.Runner, Work[*verifyCall]{
		Call: func(ctx context.Context, c *verifyCall) Result {
			res, ans := cfg.Counter.UnreadCounts(ctx, chatapi.UnreadRequest{ToAccount: c.account, PeerAccounts: c.peers})
			if res.Err == nil && res.Code == chatapi.CodeOK {
				c.judge(ans)
			}
			return res
		},
		Line: func(c *verifyCall) int { return c.line },
	})
	if err != nil {
		return VerifySummary{}, err
	}
	sink := &verifySink{sum: VerifySummary{UnreadCounts: map[int]int{}, ErrorsByCode: map[string]int{}}, now: cfg.Runner.Clock}
	if sink.now == nil {
		sink.now = RealClock{}
	}
	if cfg.Out != nil {
		sink.csv = csv.NewWriter(cfg.Out)
		if err := sink.csv.Write(VerifyHeader); err != nil {
			return sink.sum, err
		}
	}
	if cfg.Abort != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-cfg.Abort:
				e.Abort()
			case <-done:
			}
		}()
	}
	sum, err := e.Run(ctx, feed, sink)
	sink.sum.Calls = sum
	return sink.sum, err
}

// judge records what the answer says of each of the call's rows.
func (c *verifyCall) judge(ans chatapi.UnreadResponse) {
	counts := make(map[string]int, len(ans.Peers))
	for _, p := range ans.Peers {
		counts[p.PeerAccount] = p.Unread
	}
	failed := make(map[string]int, len(ans.Errors))
	for _, p := range ans.Errors {
		failed[p.PeerAccount] = p.ErrorCode
	}
	for _, r := range c.rows {
		n, counted := counts[r.PeerAccount]
		code, inError := failed[r.PeerAccount]
		switch {
		case inError:
			r.Verdict, r.ErrorCode, r.HasCode, r.Error = VerdictError, code, true, chatapi.Lookup(code).Info
		case !counted:
			r.Verdict, r.Error = VerdictError, "the answer has no count for this peer"
		case n > 0:
			r.Verdict, r.Unread = VerdictUnread, n
		default:
			r.Verdict, r.Unread = VerdictRead, 0
		}
	}
}

// verifySink counts and writes the rows of each finished call.
type verifySink struct {
	sum VerifySummary
	csv *csv.Writer
	now Clock
}

func (s *verifySink) Write(c *verifyCall, o Outcome) error {
	for _, r := range c.rows {
		if o.Status != reports.StatusOK {
			r.Verdict, r.HasCode, r.ErrorCode = VerdictError, o.Last.Err == nil && o.Attempts > 0, o.Last.Code
			r.Error = o.Last.Describe()
		}
		s.count(r)
		if s.csv != nil {
			code := ""
			if r.HasCode {
				code = strconv.Itoa(r.ErrorCode)
			}
			unread := ""
			if r.Verdict != VerdictError {
				unread = strconv.Itoa(r.Unread)
			}
			if err := s.csv.Write([]string{strconv.Itoa(r.Line), reports.Cell(r.ReportAccount), reports.Cell(r.PeerAccount),
				reports.Cell(r.MsgReadTime), unread, r.Verdict, code, reports.Cell(r.Error)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *verifySink) count(r *VerifyRow) {
	s.sum.Sampled++
	switch r.Verdict {
	case VerdictRead:
		s.sum.Read++
	case VerdictUnread:
		s.sum.Unread++
		s.sum.UnreadCounts[min(r.Unread, 5)]++
		if s.pastReadTime(r.MsgReadTime) {
			s.sum.UnreadAfterPastTime++
		}
	default:
		s.sum.Errors++
		key := "no answer"
		if r.HasCode {
			key = strconv.Itoa(r.ErrorCode)
		}
		s.sum.ErrorsByCode[key]++
	}
}

// pastReadTime says the row was marked with a read time before now (in
// any form the input takes: Unix seconds or RFC 3339); an empty one was
// "now".
func (s *verifySink) pastReadTime(cell string) bool {
	secs, err := ParseReadTime(cell)
	if err != nil || secs == "" {
		return false
	}
	t, ok := chatapi.ParseSeconds(secs)
	return ok && time.Unix(t, 0).Before(s.now.Now())
}

func (s *verifySink) Flush() error {
	if s.csv == nil {
		return nil
	}
	s.csv.Flush()
	return s.csv.Error()
}

// ChunkRows is how many streamed rows verify groups into calls at a
// time: an account's rows within one chunk share calls.
const ChunkRows = 20_000

// verifyFeed hands out the calls of a sample: of rows given at once, or of
// the rows next gives, grouped a chunk at a time.
type verifyFeed struct {
	calls []*verifyCall
	next  func() (VerifyRow, error) // nil: calls is the whole sample
	read  int                       // calls handed out
	ended bool
}

func (f *verifyFeed) Next(context.Context) (*verifyCall, error) {
	if len(f.calls) == 0 && f.next != nil && !f.ended {
		chunk := make([]VerifyRow, 0, ChunkRows)
		for len(chunk) < ChunkRows {
			row, err := f.next()
			if errors.Is(err, io.EOF) {
				f.ended = true
				break
			}
			if err != nil {
				return nil, err
			}
			chunk = append(chunk, row)
		}
		f.calls = groupCalls(chunk)
	}
	if len(f.calls) == 0 {
		return nil, io.EOF
	}
	c := f.calls[0]
	f.calls = f.calls[1:]
	f.read++
	return c, nil
}

func (f *verifyFeed) Counts() (lines, rows, blank int, ended bool) {
	return f.read, f.read, 0, len(f.calls) == 0 && (f.next == nil || f.ended)
}

// String words the summary's counts in one line.
func (s VerifySummary) String() string {
	return fmt.Sprintf("%d sampled: %d read, %d unread (%d after a past read time), %d in error", s.Sampled, s.Read, s.Unread, s.UnreadAfterPastTime, s.Errors)
}

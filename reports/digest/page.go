package digest

import (
	"github.com/msgread/msgread/reports"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Page is what the HTML report shows.
type Page struct {
	Title string
	// Command is the run's: "run" or "load" (the headline's p99 is from
	// the intended send for a load test, as its thresholds).
	Command string
	// Scenario names the target (see TargetText): the mock's scenario, or
	// "external endpoint URL", "region NAME"; Mock is the mock's scenario
	// and seed when the target is one (the bundled mock, or a standalone
	// one that said them), else nil. Seed is Mock's seed, for older callers.
	Scenario string
	Seed     uint64
	Mock     *MockInfo
	// Ceiling is the target's own limit (the mock's), drawn on the rate
	// chart; zero for none. Ceilings, when set, is its limit in each second
	// of the timeline, for a limit that changes.
	Ceiling  float64
	Ceilings []float64
	Summary  Summary
	Timeline []Second
	// Bounds are the times the rate's steps or stages change, marked on
	// the charts.
	Bounds     []time.Duration
	Projection Projection
	Generated  time.Time
	// Verify is what reading a sample of the run's ok rows back found,
	// when it was asked for.
	Verify *VerifyResult
	// Runs, when set, are the runs a chain's page covers (msgread report,
	// or a run that resumed others): Timeline is then theirs merged, with
	// Gap seconds between them.
	Runs []RunSpan
	// Explain says what an API error code means and its class, for the
	// chart's legend; nil leaves the codes unexplained. (The codes' table
	// is batch/chatapi's, which this package does not import.)
	Explain func(code int) (meaning, class string)
}

// WriteHTML writes a self-contained HTML report: inline SVG charts (rate
// against the ceiling, latency percentiles over time, errors by code) and the
// summary. It needs no server, no script and no network to open.
func WriteHTML(w io.Writer, p Page) error {
	headline := NewHeadline(p) // over every second: the throttled share counts the last
	// The last second is cut short by the run's end: its counts would
	// draw a drop that never happened.
	if n := len(p.Timeline); n > 1 {
		p.Timeline = p.Timeline[:n-1]
	}
	codes := codeRows(p.Summary.AttemptCodes, p.Summary.AttemptClasses, p.Explain)
	return pageTemplate.Execute(w, view{Page: p, Headline: headline, Steps: stepRows(p.Timeline, p.Bounds),
		RateChart:    rateChart(p),
		LatencyChart: latencyChart(p.Timeline, p.Bounds, p.Runs),
		ErrorChart:   errorChart(codes),
		Codes:        codes,
		Distribution: distributionChart(p.Summary.Distribution),
		ShareChart:   errorShareChart(p.Timeline, p.Bounds, p.Runs),
		Statuses:     reports.Statuses,
	})
}

// StepRow is one step or stage of a run, from its per-second timeline.
type StepRow struct {
	From, To           int // seconds
	Intended, Achieved float64
	Calls, Errors      int
	WorstP99           float64
}

// stepRows cuts the timeline at bounds; none without bounds.
func stepRows(tl []Second, bounds []time.Duration) []StepRow {
	if len(bounds) == 0 || len(tl) == 0 {
		return nil
	}
	var rows []StepRow
	from := 0
	cuts := make([]int, 0, len(bounds)+1)
	for _, b := range bounds {
		if sec := int(b / time.Second); sec > 0 && sec < len(tl) {
			cuts = append(cuts, sec)
		}
	}
	cuts = append(cuts, len(tl))
	for _, to := range cuts {
		if to <= from {
			continue
		}
		r := StepRow{From: from, To: to}
		for _, s := range tl[from:to] {
			r.Intended += s.Intended
			r.Calls += s.Sent
			r.Errors += s.Retry + s.PerRow + s.Fatal
			r.WorstP99 = max(r.WorstP99, s.P99)
		}
		n := float64(to - from)
		r.Intended, r.Achieved = r.Intended/n, float64(r.Calls)/n
		rows = append(rows, r)
		from = to
	}
	return rows
}

type view struct {
	Steps []StepRow
	Page
	Headline                                                      []HeadlineItem
	Codes                                                         []CodeRow
	RateChart, LatencyChart, ErrorChart, ShareChart, Distribution template.HTML
	Statuses                                                      []reports.Status
}

// CodeRow is one error code of a run, for the legend of the error chart.
type CodeRow struct {
	Code, Class, Meaning string
	N                    int
}

// codeRows lists the answers that were not ok by code, the most frequent
// first, with what each code means.
func codeRows(codes map[string]int, classes map[string]string, explain func(int) (string, string)) []CodeRow {
	var rows []CodeRow
	for code, n := range codes {
		if code == "0" || n <= 0 {
			continue
		}
		r := CodeRow{Code: code, Class: classes[code], N: n}
		switch {
		case code == "network":
			r.Meaning = "no answer: the connection failed, was reset or timed out"
		case code == "malformed":
			r.Meaning = "HTTP 200 with a body that is not the API's JSON"
		case strings.HasPrefix(code, "http "):
			r.Meaning = "the service answered HTTP " + strings.TrimPrefix(code, "http ") + " without the API's JSON"
		default:
			c, err := strconv.Atoi(code)
			if err != nil || explain == nil {
				r.Meaning = "unknown"
				break
			}
			meaning, class := explain(c)
			r.Meaning = meaning
			if r.Class == "" {
				r.Class = class
			}
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		return rows[i].N > rows[j].N || (rows[i].N == rows[j].N && rows[i].Code < rows[j].Code)
	})
	return rows
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct":  func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" },
	"pct2": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + "%" },
	"f1":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"wall": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"inc":  func(i int) int { return i + 1 },
	"hasBaseline": func(vs []Verdict) bool {
		for _, v := range vs {
			if v.Baseline != nil {
				return true
			}
		}
		return false
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:960px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 12px;border-bottom:1px solid #eee;text-align:left}
.chart{width:100%;height:auto;border:1px solid #eee}
.breach{color:#b00;font-weight:bold}.ok{color:#080;font-weight:bold}
#headline{border:2px solid #888;margin:12px 0 20px}#headline th{width:7em}#headline td{font-size:17px}#headline .bad{color:#b00}
</style></head><body>
<h1>{{.Title}}</h1>
<table id="headline">
{{range .Headline}}<tr><th>{{.Label}}</th><td{{if .Bad}} class="bad"{{end}}>{{.Text}}</td></tr>
{{end}}</table>
<p>Rate {{.Summary.Profile}}; generated {{.Generated.Format "2006-01-02 15:04:05 MST"}}.</p>
<h2>Thresholds</h2>
{{if .Summary.Thresholds}}{{$base := hasBaseline .Summary.Thresholds}}<table><tr><th>threshold</th><th>limit</th>{{if $base}}<th>baseline</th>{{end}}<th>this run</th><th>verdict</th></tr>
{{range .Summary.Thresholds}}<tr><td>{{.Name}}</td><td>{{.LimitText}}</td>{{if $base}}<td>{{.BaselineText}}</td>{{end}}<td>{{.Text}}</td><td class="{{if .OK}}ok{{else}}breach{{end}}">{{if .OK}}held{{else}}not met{{end}}</td></tr>
{{end}}</table>{{else}}<p>No thresholds set.</p>{{end}}
{{with .Verify}}<h2>Verified</h2>
<p>A sample of {{.Sampled}} ok rows ({{.Sample}}) read back with get_c2c_unread_msg_num: <span class="{{if or .Unread .Errors}}breach{{else}}ok{{end}}">{{.Read}} read</span>, {{.Unread}} unread ({{.UnreadAfterPastReadTime}} of them marked with a past read time, whose later messages stay unread by design), {{.Errors}} in error{{if .Stopped}}; {{.Stopped}}{{end}}. Rows in <code>{{.Report}}</code>.</p>
{{end}}{{with .Runs}}<h2>Runs</h2>
<p>The charts cover {{len .}} runs, each second of each on the clock it ran; where none ran (a run stopped or was killed, and the next had not started) the charts are shaded grey{{if gt (len .) 1}}, and a dotted line marks where each run starts{{end}}.</p>
<table><tr><th>run</th><th>report</th><th>timeline</th><th>from</th><th>to</th><th>seconds</th></tr>
{{range $i, $r := .}}<tr><td>{{inc $i}}</td><td><code>{{.Report}}</code></td>{{if .Missing}}<td class="breach" colspan="4">{{.Missing}}: its seconds are not on the charts</td>{{else}}<td><code>{{.Timeline}}</code></td><td>{{.StartedAt.Format "2006-01-02 15:04:05 MST"}}</td><td>{{.EndedAt.Format "2006-01-02 15:04:05 MST"}}</td><td>{{.Seconds}}</td>{{end}}</tr>
{{end}}</table>
{{end}}<h2>Rate against the ceiling</h2>
{{.RateChart}}
{{if .Steps}}<h2>Per step</h2>
<table><tr><th>seconds</th><th>intended calls/s</th><th>achieved calls/s</th><th>calls</th><th>answers not ok</th><th>worst p99 of a second</th></tr>
{{range .Steps}}<tr><td>{{.From}}–{{.To}}</td><td>{{f1 .Intended}}</td><td>{{f1 .Achieved}}</td><td>{{.Calls}}</td><td>{{.Errors}}</td><td>{{f1 .WorstP99}} ms</td></tr>
{{end}}</table>{{end}}
<h2>Latency percentiles over time</h2>
<p>Measured from each call's intended send time, so calls that waited for a free worker count their wait.</p>
{{.LatencyChart}}
<h2>Latency distribution</h2>
<p>Every call's latency against its percentile, as HdrHistogram plots it: each decade of the tail (90, 99, 99.9, 99.99 %) as wide as the one before; the gap between the two lines is the time calls waited for a free worker.</p>
{{.Distribution}}
<h2>Errors over time</h2>
{{.ShareChart}}
<h2>Errors by code</h2>
{{.ErrorChart}}
{{if .Codes}}<table><tr><th>code</th><th>class</th><th>meaning</th><th>answers</th></tr>
{{range .Codes}}<tr><td>{{.Code}}</td><td>{{.Class}}</td><td>{{.Meaning}}</td><td>{{.N}}</td></tr>
{{end}}</table>
<p>Classes: <b>retry</b> is transient and retried (the rows succeed later or give up after the retries); <b>per-row</b> fails its row and the run goes on; <b>fatal</b> stops the run.</p>{{end}}
<h2>Summary</h2>
<table>
<tr><th>rows</th><td>{{.Summary.Rows}}{{range .Statuses}} · {{.}} {{index $.Summary.ByStatus .}}{{end}}</td></tr>
<tr><th>calls</th><td>{{.Summary.Attempts}} ({{.Summary.Retries}} retries) in {{wall .Summary.Wall}}</td></tr>
<tr><th>achieved rate</th><td>{{if gt .Summary.TargetRate 0.0}}{{f1 .Summary.Rate}} calls/s, {{pct .Summary.RateRatio}} of {{f1 .Summary.TargetRate}}; peak {{.Summary.PeakWindow}} in one second{{else}}{{.Summary.RateText}}{{end}}</td></tr>
<tr><th>latency from the actual send</th><td>p50 {{f1 .Summary.Latency.P50}} ms · p90 {{f1 .Summary.Latency.P90}} ms · p99 {{f1 .Summary.Latency.P99}} ms · max {{f1 .Summary.Latency.Max}} ms</td></tr>
{{if .Summary.LatencyIntended.Max}}<tr><th>latency from the intended send</th><td>p50 {{f1 .Summary.LatencyIntended.P50}} ms · p90 {{f1 .Summary.LatencyIntended.P90}} ms · p99 {{f1 .Summary.LatencyIntended.P99}} ms · max {{f1 .Summary.LatencyIntended.Max}} ms; {{.Summary.Late}} calls sent late</td></tr>{{end}}
<tr><th>slowed down</th><td>{{.Summary.Throttles}} times{{if .Summary.Throttles}}, lowest {{f1 .Summary.LowestRate}} calls/s{{end}}</td></tr>
{{with .Summary.Callbacks}}<tr><th>callbacks</th><td>to {{.URL}}: {{.Sent}} C2C.CallbackAfterMsgReport sent · {{.Answered}} answered 2xx · {{.Failed}} failed · {{.Dropped}} dropped (queue full) · {{.Pending}} not delivered by the end; the endpoint answered in p50 {{f1 .Latency.P50}} ms · p99 {{f1 .Latency.P99}} ms; {{.Alerts.Sent}} Alert.RequestOverLimit sent, {{.Alerts.Answered}} answered</td></tr>{{end}}
{{with .Summary.Quota}}{{if .Seconds}}<tr><th>quota</th><td>took {{pct .Share}} of the calls the service had left (from 5 s after each change, {{.Seconds}} s measured); {{pct .Throttled}} of calls answered "slow down"</td></tr>{{end}}{{if .ProductionCalls}}<tr><th>production traffic</th><td>{{.ProductionCalls}} calls, {{.ProductionRefused}} refused by the ceiling ({{pct2 .ProductionShare}})</td></tr>{{end}}{{end}}
{{if .Projection.Rows}}<tr><th>projection</th><td>{{.Projection.Rows}} rows would take {{f1 .Projection.Hours}} hours under this scenario</td></tr>{{end}}
</table>
</body></html>
`))

package reports

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Page is what the HTML report shows.
type Page struct {
	Title    string
	Scenario string
	Seed     uint64
	// Ceiling is the target's own limit (the mock's), drawn on the rate
	// chart; zero for none.
	Ceiling  float64
	Summary  Summary
	Timeline []Second
	// Bounds are the times the rate's steps or stages change, marked on
	// the charts.
	Bounds     []time.Duration
	Projection Projection
	Generated  time.Time
}

// Projection scales a run to a migration's size.
type Projection struct {
	Rows  int64   `json:"rows"`
	Hours float64 `json:"hours"`
}

// Project estimates how long rows would take at the summary's achieved call
// rate and retry overhead. It returns zero hours when nothing was sent.
func Project(s Summary, rows int64) Projection {
	sent, _ := s.Sent()
	if sent == 0 || s.Rate <= 0 {
		return Projection{Rows: rows}
	}
	callsPerRow := float64(s.Attempts) / float64(sent)
	return Projection{Rows: rows, Hours: float64(rows) * callsPerRow / s.Rate / 3600}
}

// WriteHTML writes a self-contained HTML report: inline SVG charts (rate
// against the ceiling, latency percentiles over time, errors by code) and the
// summary. It needs no server, no script and no network to open.
func WriteHTML(w io.Writer, p Page) error {
	// The last second is cut short by the run's end: its counts would
	// draw a drop that never happened.
	if n := len(p.Timeline); n > 1 {
		p.Timeline = p.Timeline[:n-1]
	}
	return pageTemplate.Execute(w, view{Page: p, Steps: stepRows(p.Timeline, p.Bounds),
		RateChart:    rateChart(p),
		LatencyChart: latencyChart(p.Timeline, p.Bounds),
		ErrorChart:   errorChart(p.Summary.AttemptCodes),
		ShareChart:   errorShareChart(p.Timeline, p.Bounds),
		Statuses:     Statuses,
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
	RateChart, LatencyChart, ErrorChart, ShareChart template.HTML
	Statuses                                        []Status
}

const (
	chartW, chartH = 900, 260
	padL, padR     = 60, 20
	padT, padB     = 20, 40
)

type series struct {
	name   string
	color  string
	dashed bool
	points []float64
}

// lineChart draws series over the seconds of a run as SVG.
func lineChart(title, unit string, seconds int, ss []series, bounds []time.Duration, logY bool) template.HTML {
	top := 0.0
	for _, s := range ss {
		for _, v := range s.points {
			top = max(top, v)
		}
	}
	top = niceCeil(top)
	y := func(v float64) float64 { return padT + float64(chartH-padT-padB)*(1-v/top) }
	ticks := []float64{0, top / 4, top / 2, 3 * top / 4, top}
	if logY {
		// Decades from the lowest positive value's (at least 0.1) to the
		// top's: a p99 ten times the p50 stays readable.
		low := top
		for _, s := range ss {
			for _, v := range s.points {
				if v > 0 {
					low = min(low, v)
				}
			}
		}
		lo := math.Pow(10, math.Floor(math.Log10(max(low, 0.1))))
		hi := math.Pow(10, math.Ceil(math.Log10(max(top, lo*10))))
		y = func(v float64) float64 {
			v = min(max(v, lo), hi)
			return padT + float64(chartH-padT-padB)*(1-math.Log10(v/lo)/math.Log10(hi/lo))
		}
		ticks = ticks[:0]
		for t := lo; t <= hi*1.0001; t *= 10 {
			ticks = append(ticks, t)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">`, template.HTMLEscapeString(title), chartW, chartH)
	plotW := float64(chartW - padL - padR)
	x := func(i int) float64 {
		if seconds <= 1 {
			return padL
		}
		return padL + plotW*float64(i)/float64(seconds-1)
	}
	for _, v := range ticks {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, padL-6, y(v)+4, trimFloat(v))
	}
	for i := 0; i <= 5 && seconds > 1; i++ {
		sec := (seconds - 1) * i / 5
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%ds</text>`, x(sec), chartH-padB+16, sec)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">%s</text>`, 4, padT-6, template.HTMLEscapeString(unit))
	for _, at := range bounds {
		if sec := int(at / time.Second); sec > 0 && sec < seconds {
			fmt.Fprintf(&b, `<line class="bound" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#999" stroke-dasharray="2 3"><title>the rate changes at %v</title></line>`, x(sec), x(sec), padT, chartH-padB, at)
		}
	}
	for _, s := range ss {
		if len(s.points) == 0 {
			continue
		}
		var pts strings.Builder
		for i, v := range s.points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(i), y(v))
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"><title>%s</title></polyline>`, s.color, dash, strings.TrimSpace(pts.String()), template.HTMLEscapeString(s.name))
	}
	lx := padL + 10
	for _, s := range ss {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d" font-size="12">%s</text>`, lx, chartH-12, s.color, lx+18, chartH-7, template.HTMLEscapeString(s.name))
		lx += 30 + 7*len(s.name)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func rateChart(p Page) template.HTML {
	n := len(p.Timeline)
	intended, rate, sent, ceiling := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, 0, n)
	for i, s := range p.Timeline {
		intended[i], rate[i], sent[i] = s.Intended, s.Rate, float64(s.Sent)
		if p.Ceiling > 0 {
			ceiling = append(ceiling, p.Ceiling)
		}
	}
	ss := []series{
		{name: "calls sent per second", color: "#1f77b4", points: sent},
		{name: "intended rate", color: "#7f7f7f", dashed: true, points: intended},
		{name: "pacer rate", color: "#2ca02c", points: rate},
	}
	if p.Ceiling > 0 {
		ss = append(ss, series{name: "service ceiling", color: "#d62728", dashed: true, points: ceiling})
	}
	return lineChart("Calls per second against the ceiling", "calls/s", n, ss, p.Bounds, false)
}

func latencyChart(tl []Second, bounds []time.Duration) template.HTML {
	p50, p99 := make([]float64, len(tl)), make([]float64, len(tl))
	for i, s := range tl {
		p50[i], p99[i] = s.P50, s.P99
	}
	return lineChart("Latency percentiles over time, from the intended send", "ms (log scale)", len(tl), []series{
		{name: "p50", color: "#1f77b4", points: p50},
		{name: "p99", color: "#ff7f0e", points: p99},
	}, bounds, true)
}

// errorShareChart draws, per second, the answers that were not ok as a share
// of the second's answers, by class.
func errorShareChart(tl []Second, bounds []time.Duration) template.HTML {
	retry, perRow, fatal := make([]float64, len(tl)), make([]float64, len(tl)), make([]float64, len(tl))
	for i, s := range tl {
		if n := float64(s.OK + s.Retry + s.PerRow + s.Fatal); n > 0 {
			retry[i], perRow[i], fatal[i] = 100*float64(s.Retry)/n, 100*float64(s.PerRow)/n, 100*float64(s.Fatal)/n
		}
	}
	return lineChart("Answers not ok, as a share of each second's answers, by class", "% of answers", len(tl), []series{
		{name: "retry (transient: retried)", color: "#ff7f0e", points: retry},
		{name: "per-row (the row failed)", color: "#9467bd", points: perRow},
		{name: "fatal (the run stops)", color: "#d62728", points: fatal},
	}, bounds, false)
}

// errorChart draws the answers that were not ok, by code, as bars.
func errorChart(codes map[string]int) template.HTML {
	type bar struct {
		code string
		n    int
	}
	var bars []bar
	top := 0
	for code, n := range codes {
		if code != "0" && n > 0 {
			bars = append(bars, bar{code, n})
			top = max(top, n)
		}
	}
	sort.Slice(bars, func(i, j int) bool {
		return bars[i].n > bars[j].n || (bars[i].n == bars[j].n && bars[i].code < bars[j].code)
	})
	h := 40 + 26*len(bars)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="Errors by code" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">`, chartW, h)
	if len(bars) == 0 {
		b.WriteString(`<text x="20" y="26" font-size="14">No errors: every call was answered ok.</text></svg>`)
		return template.HTML(b.String())
	}
	for i, bb := range bars {
		y := 14 + 26*i
		w := float64(chartW-260) * float64(bb.n) / float64(top)
		fmt.Fprintf(&b, `<text x="150" y="%d" font-size="12" text-anchor="end">%s</text>`, y+13, template.HTMLEscapeString(describeCode(bb.code)))
		fmt.Fprintf(&b, `<rect x="160" y="%d" width="%.1f" height="18" fill="#d62728"><title>%s: %d</title></rect>`, y, max(w, 1), template.HTMLEscapeString(bb.code), bb.n)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12">%d</text>`, 166+w, y+13, bb.n)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func describeCode(code string) string {
	if _, err := strconv.Atoi(code); err == nil {
		return "code " + code
	}
	return code
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct":  func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" },
	"f1":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"wall": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:960px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 12px;border-bottom:1px solid #eee;text-align:left}
.chart{width:100%;height:auto;border:1px solid #eee}
.breach{color:#b00;font-weight:bold}.ok{color:#080;font-weight:bold}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Scenario <b>{{.Scenario}}</b>, seed {{.Seed}}; rate {{.Summary.Profile}}; generated {{.Generated.Format "2006-01-02 15:04:05 MST"}}.</p>
<h2>Thresholds</h2>
{{if .Summary.Thresholds}}<table><tr><th>threshold</th><th>limit</th><th>this run</th><th>verdict</th></tr>
{{range .Summary.Thresholds}}<tr><td>{{.Name}}</td><td>{{.LimitText}}</td><td>{{.Text}}</td><td class="{{if .OK}}ok{{else}}breach{{end}}">{{if .OK}}held{{else}}not met{{end}}</td></tr>
{{end}}</table>{{else}}<p>No thresholds set.</p>{{end}}
<h2>Rate against the ceiling</h2>
{{.RateChart}}
{{if .Steps}}<h2>Per step</h2>
<table><tr><th>seconds</th><th>intended calls/s</th><th>achieved calls/s</th><th>calls</th><th>answers not ok</th><th>worst p99 of a second</th></tr>
{{range .Steps}}<tr><td>{{.From}}–{{.To}}</td><td>{{f1 .Intended}}</td><td>{{f1 .Achieved}}</td><td>{{.Calls}}</td><td>{{.Errors}}</td><td>{{f1 .WorstP99}} ms</td></tr>
{{end}}</table>{{end}}
<h2>Latency percentiles over time</h2>
<p>Measured from each call's intended send time, so calls that waited for a free worker count their wait.</p>
{{.LatencyChart}}
<h2>Errors over time</h2>
{{.ShareChart}}
<h2>Errors by code</h2>
{{.ErrorChart}}
<h2>Summary</h2>
<table>
<tr><th>rows</th><td>{{.Summary.Rows}}{{range .Statuses}} · {{.}} {{index $.Summary.ByStatus .}}{{end}}</td></tr>
<tr><th>calls</th><td>{{.Summary.Attempts}} ({{.Summary.Retries}} retries) in {{wall .Summary.Wall}}</td></tr>
<tr><th>achieved rate</th><td>{{f1 .Summary.Rate}} calls/s, {{pct .Summary.RateRatio}} of {{f1 .Summary.Ceiling}}; peak {{.Summary.PeakWindow}} in one second</td></tr>
<tr><th>latency from the actual send</th><td>p50 {{f1 .Summary.Latency.P50}} ms · p90 {{f1 .Summary.Latency.P90}} ms · p99 {{f1 .Summary.Latency.P99}} ms · max {{f1 .Summary.Latency.Max}} ms</td></tr>
<tr><th>latency from the intended send</th><td>p50 {{f1 .Summary.LatencyIntended.P50}} ms · p90 {{f1 .Summary.LatencyIntended.P90}} ms · p99 {{f1 .Summary.LatencyIntended.P99}} ms · max {{f1 .Summary.LatencyIntended.Max}} ms; {{.Summary.Late}} calls sent late</td></tr>
<tr><th>slowed down</th><td>{{.Summary.Throttles}} times{{if .Summary.Throttles}}, lowest {{f1 .Summary.LowestRate}} calls/s{{end}}</td></tr>
<tr><th>projection</th><td>{{.Projection.Rows}} rows would take {{f1 .Projection.Hours}} hours under this scenario</td></tr>
</table>
</body></html>
`))

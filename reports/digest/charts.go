package digest

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	chartW, chartH = 900, 260
	padL, padR     = 60, 20
	padT, padB     = 20, 40
	plotW, plotH   = chartW - padL - padR, chartH - padT - padB
)

type series struct {
	name   string
	color  string
	dashed bool
	points []float64
}

// tick is a labelled value on an axis.
type tick struct {
	at    float64
	label string
}

// plot is a line chart: series of n points each, point i at x(i) (0 to 1
// across the plot), with labelled ticks, dotted marks and hover text.
type plot struct {
	title, unit string
	n           int
	x           func(i int) float64
	xTicks      []tick
	marks       []tick // dotted vertical lines, label as hover text
	logY        bool
	series      []series
	// hover is the text shown over the column of point i; nil for none.
	hover func(i int) string
	// gap, when set, says point i is no run's (a chain's gap): the lines
	// break there, and gapText words the gap over its shading.
	gap     func(i int) bool
	gapText func(i int) string
}

// maxHoverColumns bounds the hover targets of a chart: a 14-hour run gets
// one for every 84 seconds rather than 50,400.
const maxHoverColumns = 600

// svg draws the plot.
func (p plot) svg() template.HTML {
	y, yTicks := p.yScale()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">`, template.HTMLEscapeString(p.title), chartW, chartH)
	p.drawGaps(&b)
	p.drawAxes(&b, y, yTicks)
	p.drawLines(&b, y)
	p.drawHover(&b)
	p.drawLegend(&b)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// xAt is where f (0 to 1 across the plot) sits on the chart.
func xAt(f float64) float64 { return padL + plotW*f }

// xOf is where the plot's point i sits on the chart.
func (p plot) xOf(i int) float64 { return xAt(p.x(i)) }

// top is the largest value of the plot's series; 0 for none above 0.
func (p plot) top() float64 {
	top := 0.0
	for _, s := range p.series {
		for _, v := range s.points {
			top = max(top, v)
		}
	}
	return top
}

// lowest is the smallest value of the plot's series above 0; top for none.
func (p plot) lowest(top float64) float64 {
	low := top
	for _, s := range p.series {
		for _, v := range s.points {
			if v > 0 {
				low = min(low, v)
			}
		}
	}
	return low
}

// yScale returns where a value sits on the chart and the ticks of the
// value axis, from 0 (or on a log scale the lowest value's decade) to the
// top's tick.
func (p plot) yScale() (y func(float64) float64, ticks []tick) {
	top := p.top()
	if p.logY {
		return logScale(p.lowest(top), top)
	}
	return linearScale(top)
}

// logScale is a value axis in decades from the lowest positive value's (at
// least 0.1) to the top's: a p99 ten times the p50 stays readable.
func logScale(low, top float64) (y func(float64) float64, ticks []tick) {
	lo := math.Pow(10, math.Floor(math.Log10(max(low, 0.1))))
	hi := math.Pow(10, math.Ceil(math.Log10(max(top, lo*10))))
	y = func(v float64) float64 {
		v = min(max(v, lo), hi)
		return padT + plotH*(1-math.Log10(v/lo)/math.Log10(hi/lo))
	}
	for t := lo; t <= hi*1.0001; t *= 10 {
		ticks = append(ticks, tick{t, trimFloat(t)})
	}
	return y, ticks
}

// linearScale is a value axis from 0 to top rounded up to a round step,
// about four steps.
func linearScale(top float64) (y func(float64) float64, ticks []tick) {
	step := niceStep(top / 4)
	top = step * math.Max(1, math.Ceil(top/step-1e-9))
	y = func(v float64) float64 { return padT + plotH*(1-v/top) }
	for i := 0.0; i*step <= top*1.0001; i++ {
		ticks = append(ticks, tick{i * step, trimFloat(roundTo(i*step, step))})
	}
	return y, ticks
}

// drawAxes draws the value axis's grid lines and labels, the time axis's
// labels, the unit and the dotted marks.
func (p plot) drawAxes(b *strings.Builder, y func(float64) float64, yTicks []tick) {
	for _, t := range yTicks {
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, chartW-padR, y(t.at), y(t.at))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, padL-6, y(t.at)+4, t.label)
	}
	for _, t := range p.xTicks {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>`, xAt(t.at), chartH-padB+16, template.HTMLEscapeString(t.label))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11" fill="#555">%s</text>`, 4, padT-6, template.HTMLEscapeString(p.unit))
	for _, m := range p.marks {
		fmt.Fprintf(b, `<line class="bound" x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#999" stroke-dasharray="2 3"><title>%s</title></line>`, xAt(m.at), xAt(m.at), padT, chartH-padB, template.HTMLEscapeString(m.label))
	}
}

// drawLines draws each series that has points as a line.
func (p plot) drawLines(b *strings.Builder, y func(float64) float64) {
	for _, s := range p.series {
		if len(s.points) == 0 {
			continue
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		for _, run := range p.pieces(len(s.points)) {
			var pts strings.Builder
			for i := run[0]; i < run[1]; i++ {
				fmt.Fprintf(&pts, "%.1f,%.1f ", p.xOf(i), y(s.points[i]))
			}
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"><title>%s</title></polyline>`, s.color, dash, strings.TrimSpace(pts.String()), template.HTMLEscapeString(s.name))
		}
	}
}

// pieces cuts points 0 to n-1 where the plot has gaps: the [from, to)
// of each stretch of points that are not gaps.
func (p plot) pieces(n int) [][2]int {
	if p.gap == nil {
		return [][2]int{{0, n}}
	}
	var out [][2]int
	for i := 0; i < n; {
		for i < n && p.gap(i) {
			i++
		}
		from := i
		for i < n && !p.gap(i) {
			i++
		}
		if i > from {
			out = append(out, [2]int{from, i})
		}
	}
	return out
}

// drawGaps shades the plot's gaps (no run was running), each with its
// words as hover text.
func (p plot) drawGaps(b *strings.Builder) {
	if p.gap == nil {
		return
	}
	for i := 0; i < p.n; i++ {
		if !p.gap(i) {
			continue
		}
		from := i
		for i+1 < p.n && p.gap(i+1) {
			i++
		}
		left, right := p.xOf(max(from-1, 0)), p.xOf(min(i+1, p.n-1))
		fmt.Fprintf(b, `<rect class="gap" x="%.1f" y="%d" width="%.1f" height="%d" fill="#eee"><title>%s</title></rect>`,
			left, padT, max(right-left, 1), plotH, template.HTMLEscapeString(p.gapText(from)))
	}
}

// withChain breaks the plot's lines at the chain's gaps, shades them, and
// marks where each run after the first starts; as it is without gaps and
// with one run.
func (p plot) withChain(tl []Second, runs []RunSpan) plot {
	for i, r := range runs {
		if i == 0 || r.Missing != "" || r.From <= 0 || r.From >= p.n {
			continue
		}
		p.marks = append(p.marks, tick{p.x(r.From), fmt.Sprintf("run %d starts: %s", i+1, r.Report)})
	}
	if !slices.ContainsFunc(tl, func(s Second) bool { return s.Gap }) {
		return p
	}
	p.gap = func(i int) bool { return i < len(tl) && tl[i].Gap }
	p.gapText = func(i int) string {
		return "no run: " + gapLength(tl, i).String() + " between runs (a run stopped or was killed, and the next had not started)"
	}
	hover := p.hover
	p.hover = func(i int) string {
		if p.gap(i) {
			return p.gapText(i)
		}
		return hover(i)
	}
	return p
}

// drawHover draws invisible columns over the plot, each with the values
// of its first point as a tooltip: no script needed. At most
// maxHoverColumns; none without hover text.
func (p plot) drawHover(b *strings.Builder) {
	if p.hover == nil || p.n <= 0 {
		return
	}
	every := (p.n + maxHoverColumns - 1) / maxHoverColumns
	b.WriteString(`<g class="hover" fill="#000" fill-opacity="0">`)
	for i := 0; i < p.n; i += every {
		left, right := p.column(i, every)
		fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d"><title>%s</title></rect>`, left, padT, max(right-left, 0.5), chartH-padT-padB, template.HTMLEscapeString(p.hover(i)))
	}
	b.WriteString(`</g>`)
}

// column returns the left and right of the hover column of points i to
// i+every-1: from halfway to the point before to halfway to the next
// column's first point; the ends reach the plot's edges.
func (p plot) column(i, every int) (left, right float64) {
	left, right = float64(padL), float64(chartW-padR)
	if i > 0 {
		left = (p.xOf(i-1) + p.xOf(i)) / 2
	}
	if i+every < p.n {
		right = (p.xOf(i+every-1) + p.xOf(i+every)) / 2
	}
	return left, right
}

// drawLegend draws each series' colour and name under the plot.
func (p plot) drawLegend(b *strings.Builder) {
	lx := padL + 10
	for _, s := range p.series {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d" font-size="12">%s</text>`, lx, chartH-12, s.color, lx+18, chartH-7, template.HTMLEscapeString(s.name))
		lx += 30 + 7*len(s.name)
	}
}

// overTime is a plot of one point a second of a run, with round time ticks,
// the rate's changes marked and each second's values on hover.
func overTime(title, unit string, seconds int, ss []series, bounds []time.Duration, logY bool) plot {
	x := func(i int) float64 {
		if seconds <= 1 {
			return 0
		}
		return float64(i) / float64(seconds-1)
	}
	p := plot{title: title, unit: unit, n: seconds, x: x, logY: logY, series: ss}
	for _, sec := range timeTicks(seconds) {
		p.xTicks = append(p.xTicks, tick{x(sec), clock(sec)})
	}
	for _, at := range bounds {
		if sec := int(at / time.Second); sec > 0 && sec < seconds {
			p.marks = append(p.marks, tick{x(sec), "the rate changes at " + at.String()})
		}
	}
	p.hover = func(i int) string {
		var t strings.Builder
		t.WriteString("at " + clock(i))
		for _, s := range ss {
			if i < len(s.points) {
				fmt.Fprintf(&t, "\n%s: %s", s.name, strconv.FormatFloat(s.points[i], 'f', 1, 64))
			}
		}
		return t.String()
	}
	return p
}

// timeTicks returns round seconds to label on an axis of n seconds: every
// 1, 2, 5, 10, 15 or 30 seconds, or minutes, or hours, about six of them.
func timeTicks(n int) []int {
	if n <= 1 {
		return []int{0}
	}
	step := 1
	for _, s := range []int{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		step = s
		if (n-1)/s <= 6 {
			break
		}
	}
	var out []int
	for t := 0; t <= n-1; t += step {
		out = append(out, t)
	}
	return out
}

// clock says sec as 45s, 2m, 1m30s, 1h or 1h15m.
func clock(sec int) string {
	h, m, s := sec/3600, sec%3600/60, sec%60
	switch {
	case h > 0 && m == 0 && s == 0:
		return fmt.Sprintf("%dh", h)
	case h > 0 && s == 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh%dm%ds", h, m, s)
	case m > 0 && s == 0:
		return fmt.Sprintf("%dm", m)
	case m > 0:
		return fmt.Sprintf("%dm%ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

func rateChart(p Page) template.HTML {
	n := len(p.Timeline)
	intended, rate, sent, ceiling := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, 0, n)
	for i, s := range p.Timeline {
		intended[i], rate[i], sent[i] = s.Intended, s.Rate, float64(s.Sent)
		switch {
		case i < len(p.Ceilings):
			ceiling = append(ceiling, p.Ceilings[i])
		case p.Ceiling > 0:
			ceiling = append(ceiling, p.Ceiling)
		}
	}
	ss := []series{
		{name: "calls sent per second", color: "#1f77b4", points: sent},
		{name: "intended rate", color: "#7f7f7f", dashed: true, points: intended},
		{name: "pacer rate", color: "#2ca02c", points: rate},
	}
	if len(ceiling) > 0 {
		ss = append(ss, series{name: "service ceiling", color: "#d62728", dashed: true, points: ceiling})
	}
	return overTime("Calls per second against the ceiling", "calls/s", n, ss, p.Bounds, false).withChain(p.Timeline, p.Runs).svg()
}

func latencyChart(tl []Second, bounds []time.Duration, runs []RunSpan) template.HTML {
	p50, p90, p99, top := make([]float64, len(tl)), make([]float64, len(tl)), make([]float64, len(tl)), make([]float64, len(tl))
	for i, s := range tl {
		p50[i], p90[i], p99[i], top[i] = s.P50, s.P90, s.P99, s.Max
	}
	return overTime("Latency percentiles over time, from the intended send", "ms (log scale)", len(tl), []series{
		{name: "p50", color: "#1f77b4", points: p50},
		{name: "p90", color: "#2ca02c", points: p90},
		{name: "p99", color: "#ff7f0e", points: p99},
		{name: "max", color: "#d62728", dashed: true, points: top},
	}, bounds, true).withChain(tl, runs).svg()
}

// distributionChart draws the latency distribution of every call as
// HdrHistogram plots it: latency against the percentile, the percentiles
// spread by decade (90, 99, 99.9, 99.99) so the tail is as wide as the body.
func distributionChart(q []Quantile) template.HTML {
	if len(q) == 0 || q[len(q)-1].Actual == 0 && q[len(q)-1].Intended == 0 {
		return template.HTML(`<svg class="chart" role="img" aria-label="Latency distribution" viewBox="0 0 900 40" xmlns="http://www.w3.org/2000/svg"><text x="20" y="26" font-size="14">No call was answered.</text></svg>`)
	}
	// Point i sits at -log10(1 - p/100) decades; the maximum half a decade
	// beyond the last.
	decade := func(p float64) float64 {
		if p >= 100 {
			return distributionDecades + 0.5
		}
		return -math.Log10(1 - p/100)
	}
	width := decade(100)
	actual, intended := make([]float64, len(q)), make([]float64, len(q))
	for i, v := range q {
		actual[i], intended[i] = v.Actual, v.Intended
	}
	p := plot{title: "Latency distribution", unit: "ms (log scale)", n: len(q), logY: true,
		x: func(i int) float64 { return decade(q[i].Percentile) / width },
		series: []series{
			{name: "from the actual send", color: "#1f77b4", points: actual},
			{name: "from the intended send", color: "#ff7f0e", dashed: true, points: intended},
		},
		hover: func(i int) string {
			name := "p" + trimFloat(math.Round(q[i].Percentile*1000)/1000) // p99.987 and p99.99 apart
			if q[i].Percentile >= 100 {
				name = "max"
			}
			return fmt.Sprintf("%s\nfrom the actual send: %.1f ms\nfrom the intended send: %.1f ms", name, q[i].Actual, q[i].Intended)
		},
	}
	if slices.Max(intended) == 0 {
		// Not known (a page rebuilt from reports): no line drawn at zero.
		p.series = p.series[:1]
		p.hover = func(i int) string {
			return fmt.Sprintf("p%s\nfrom the actual send: %.1f ms", trimFloat(math.Round(q[i].Percentile*1000)/1000), q[i].Actual)
		}
	}
	for d, label := range []string{"0%", "90%", "99%", "99.9%", "99.99%"} {
		p.xTicks = append(p.xTicks, tick{float64(d) / width, label})
	}
	p.xTicks = append(p.xTicks, tick{1, "max"})
	return p.svg()
}

// errorShareChart draws, per second, the answers that were not ok as a share
// of the second's answers, by class.
func errorShareChart(tl []Second, bounds []time.Duration, runs []RunSpan) template.HTML {
	retry, perRow, fatal := make([]float64, len(tl)), make([]float64, len(tl)), make([]float64, len(tl))
	for i, s := range tl {
		if n := float64(s.OK + s.Retry + s.PerRow + s.Fatal); n > 0 {
			retry[i], perRow[i], fatal[i] = 100*float64(s.Retry)/n, 100*float64(s.PerRow)/n, 100*float64(s.Fatal)/n
		}
	}
	return overTime("Answers not ok, as a share of each second's answers, by class", "% of answers", len(tl), []series{
		{name: "retry (transient: retried)", color: colorRetry, points: retry},
		{name: "per-row (the row failed)", color: colorPerRow, points: perRow},
		{name: "fatal (the run stops)", color: colorFatal, points: fatal},
	}, bounds, false).withChain(tl, runs).svg()
}

// errorChart draws the answers that were not ok, by code, as bars; the
// legend under it (the page's table) says what each code means.
func errorChart(rows []CodeRow) template.HTML {
	top := 0
	for _, r := range rows {
		top = max(top, r.N)
	}
	h := 40 + 26*len(rows)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="Errors by code" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">`, chartW, h)
	if len(rows) == 0 {
		b.WriteString(`<text x="20" y="26" font-size="14">No errors: every call was answered ok.</text></svg>`)
		return template.HTML(b.String())
	}
	for i, r := range rows {
		y := 14 + 26*i
		w := float64(chartW-260) * float64(r.N) / float64(top)
		fmt.Fprintf(&b, `<text x="150" y="%d" font-size="12" text-anchor="end">%s</text>`, y+13, template.HTMLEscapeString(describeCode(r.Code)))
		fmt.Fprintf(&b, `<rect x="160" y="%d" width="%.1f" height="18" fill="%s"><title>%s</title></rect>`, y, max(w, 1), classColor(r.Class),
			template.HTMLEscapeString(fmt.Sprintf("%s (%s): %s; %d answers", r.Code, r.Class, r.Meaning, r.N)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12">%d</text>`, 166+w, y+13, r.N)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// The colours of the answers' classes, in the errors-over-time lines and
// the errors-by-code bars alike.
const (
	colorRetry  = "#ff7f0e"
	colorPerRow = "#9467bd"
	colorFatal  = "#d62728"
)

// classColor is the colour of a class's bars.
func classColor(class string) string {
	switch class {
	case "retry", "renew":
		return colorRetry
	case "fatal":
		return colorFatal
	}
	return colorPerRow
}

func describeCode(code string) string {
	if _, err := strconv.Atoi(code); err == nil {
		return "code " + code
	}
	return code
}

// niceStep rounds v up to 1, 2, 2.5 or 5 times a power of ten: a tick
// step whose multiples read as round numbers.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0.25
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// roundTo removes the float noise of a multiple of step (0.30000000000000004).
func roundTo(v, step float64) float64 {
	scale := math.Pow(10, math.Max(0, 2-math.Floor(math.Log10(step))))
	return math.Round(v*scale) / scale
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

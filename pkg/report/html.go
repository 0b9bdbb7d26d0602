package report

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// WriteHTML writes the report as one self-contained HTML page (no script, no external file):
// the summary, a timeline chart of every action (Gantt-style, drawn in SVG), the parameters, the
// actions' results and the events. Every value is escaped.
func WriteHTML(w io.Writer, r *Report) error {
	return page.Execute(w, struct {
		*Report
		Summary [][2]string
		Chart   chart
	}{r, r.summary(), newChart(r)})
}

// chart is the timeline: one bar an action, on a common time axis.
type chart struct {
	Width, Height int
	Bars          []bar
	Ticks         []tick
}

type bar struct {
	Label, Title, Class string
	Y, X, W             int
}

type tick struct {
	X     int
	Label string
}

const (
	chartLabelWidth = 440
	chartBarsWidth  = 640
	chartRow        = 22
)

func newChart(r *Report) chart {
	end := r.End
	for _, st := range r.Stages {
		for _, w := range st.Workflows {
			for _, a := range w.Actions {
				if a.End.After(end) {
					end = a.End
				}
			}
		}
	}
	total := end.Sub(r.Start)
	if total <= 0 {
		total = time.Millisecond
	}
	x := func(t time.Time) int {
		return chartLabelWidth + int(float64(chartBarsWidth)*float64(t.Sub(r.Start))/float64(total))
	}
	c := chart{Width: chartLabelWidth + chartBarsWidth + 20}
	y := 30
	for _, st := range r.Stages {
		for _, w := range st.Workflows {
			for _, a := range w.Actions {
				b := bar{Label: fmt.Sprintf("%s/%s/%s", st.Name, w.Name, a.Name), Class: a.Phase, Y: y, X: chartLabelWidth, W: 0}
				if !a.Start.IsZero() && !r.Start.IsZero() {
					stop := a.End
					if stop.IsZero() {
						stop = end
					}
					b.X, b.W = x(a.Start), max(x(stop)-x(a.Start), 2)
				}
				b.Title = fmt.Sprintf("%s: %s, %s from %s", b.Label, a.Phase, took(a.Start, a.End), offset(a.Start, r.Start))
				c.Bars = append(c.Bars, b)
				y += chartRow
			}
		}
	}
	for i := 0; i <= 4; i++ {
		c.Ticks = append(c.Ticks, tick{X: chartLabelWidth + chartBarsWidth*i/4, Label: "+" + (total * time.Duration(i) / 4).Round(time.Millisecond).String()})
	}
	c.Height = y + 10
	return c
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Execution report: {{.Namespace}}/{{.Name}}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em; color: #1f2328; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.phase-Succeeded { color: #1a7f37; } .phase-Failed { color: #cf222e; } .phase-Skipped, .phase-Pending { color: #6e7781; }
.phase-Canceled, .phase-Unknown { color: #9a6700; }
svg text { font-size: 12px; font-family: inherit; }
pre { background: #f6f8fa; padding: 8px; font-size: 0.85em; white-space: pre-wrap; }
rect.Succeeded { fill: #2da44e; } rect.Failed { fill: #cf222e; } rect.Running { fill: #0969da; }
rect.Canceled, rect.Unknown { fill: #bf8700; } rect.Skipped, rect.Pending { fill: #afb8c1; }
</style>
</head>
<body>
<h1>Execution report: {{.Namespace}}/{{.Name}}</h1>
<table>
{{range .Summary}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>

<h2>Timeline</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Chart.Width}}" height="{{.Chart.Height}}" role="img" aria-label="timeline of the actions">
{{range .Chart.Ticks}}<line x1="{{.X}}" y1="16" x2="{{.X}}" y2="{{$.Chart.Height}}" stroke="#d0d7de"/><text x="{{.X}}" y="12" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Chart.Bars}}<text x="4" y="{{.Y}}" dy="12">{{.Label}}</text><rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="16" rx="2"><title>{{.Title}}</title></rect>
{{end}}</svg>

<h2>Parameters</h2>
{{if .Params}}<table><tr><th>name</th><th>value</th></tr>
{{range .Params}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Actions</h2>
{{range .Stages}}<h3>Stage {{.Name}}: <span class="phase-{{.Phase}}">{{.Phase}}</span></h3>
<table><tr><th>workflow</th><th>action</th><th>does</th><th>phase</th><th>attempts</th><th>result</th></tr>
{{range $w := .Workflows}}{{range .Actions}}<tr><td>{{$w.Name}}</td><td>{{.Name}}</td><td>{{.Target}}</td><td class="phase-{{.Phase}}">{{.Phase}}</td><td>{{.Attempts}}</td><td>{{.Result}}</td></tr>
{{end}}{{end}}</table>
{{end}}
<h2>Actions as run</h2>
{{range $s := .Stages}}{{range $w := .Workflows}}{{range .Actions}}{{if .AsRun}}<h4>{{$s.Name}}/{{$w.Name}}/{{.Name}}</h4>
<pre>{{range .AsRun}}{{.}}
{{end}}</pre>
{{end}}{{end}}{{end}}{{end}}
{{if .Signals}}<h2>Operator signals</h2>
<table><tr><th>time</th><th>by</th><th>signal</th><th>step</th><th>result</th><th>reason</th><th>message</th></tr>
{{range .Signals}}<tr><td>{{.Time.Format "2006-01-02T15:04:05Z07:00"}}</td><td>{{.By}}</td><td>{{.Verb}}</td><td>{{.Step}}</td><td>{{.Result}}</td><td>{{.Reason}}</td><td>{{.Message}}</td></tr>
{{end}}</table>
{{end}}<h2>Events</h2>
{{if .Events}}<table><tr><th>time</th><th>type</th><th>reason</th><th>message</th></tr>
{{range .Events}}<tr><td>{{.Time.Format "2006-01-02T15:04:05Z07:00"}}</td><td>{{.Type}}</td><td>{{.Reason}}</td><td>{{.Message}}</td></tr>
{{end}}</table>{{else}}<p>None recorded.</p>{{end}}
</body>
</html>
`))

package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the report as a Markdown document.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Execution report: %s/%s\n\n", r.Namespace, r.Name)
	b.WriteString("| | |\n|---|---|\n")
	for _, row := range r.summary() {
		fmt.Fprintf(&b, "| %s | %s |\n", row[0], cell(row[1]))
	}
	b.WriteString("\n## Parameters\n\n")
	if len(r.Params) == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| name | value |\n|---|---|\n")
		for _, p := range r.Params {
			fmt.Fprintf(&b, "| %s | %s |\n", cell(p.Name), cell(p.Value))
		}
	}
	b.WriteString("\n## Timeline\n")
	for _, st := range r.Stages {
		fmt.Fprintf(&b, "\n### Stage %s: %s%s\n\n", st.Name, st.Phase, span(st.Start, st.End, r.Start))
		b.WriteString("| workflow | action | does | phase | attempts | started | took | result |\n|---|---|---|---|---|---|---|---|\n")
		for _, w := range st.Workflows {
			for _, a := range w.Actions {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(w.Name), cell(a.Name), cell(a.Target), a.Phase,
					attempts(a.Attempts), offset(a.Start, r.Start), or(a.Took, took(a.Start, a.End)), cell(a.Result()))
			}
		}
	}
	b.WriteString("\n## Actions as run\n")
	for _, st := range r.Stages {
		for _, w := range st.Workflows {
			for _, a := range w.Actions {
				if len(a.AsRun) == 0 {
					continue
				}
				fmt.Fprintf(&b, "\n%s/%s/%s:\n\n", st.Name, w.Name, a.Name)
				for _, line := range a.AsRun { // an indented code block: nothing in it is markup
					fmt.Fprintf(&b, "    %s\n", line)
				}
			}
		}
	}
	if len(r.Signals) > 0 {
		b.WriteString("\n## Operator signals\n\n| time | by | signal | step | result | reason | message |\n|---|---|---|---|---|---|---|\n")
		for _, s := range r.Signals {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Time.Format(time.RFC3339), cell(s.By), s.Verb, cell(s.Step), s.Result, cell(s.Reason), cell(s.Message))
		}
	}
	b.WriteString("\n## Events\n\n")
	if len(r.Events) == 0 {
		b.WriteString("None recorded (events expire after an hour on most clusters).\n")
	} else {
		b.WriteString("| time | type | reason | message |\n|---|---|---|---|\n")
		for _, e := range r.Events {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", e.Time.Format(time.RFC3339), e.Type, cell(e.Reason), cell(e.Message))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summary is the report's header: one label and value a row.
func (r *Report) summary() [][2]string {
	rows := [][2]string{
		{"Plan", r.Namespace + "/" + r.Plan},
		{"Operation", r.Operation},
		{"Phase", r.Phase},
		{"Started", stamp(r.Start)},
		{"Ended", stamp(r.End)},
		{"Duration", or(r.Duration, "-")},
		{"Run by", fmt.Sprintf("%s on %s (pid %d, drctl %s)", or(r.Runner.User, "unknown"), or(r.Runner.Host, "unknown"), r.Runner.PID, or(r.Runner.Version, "unknown"))},
	}
	if r.Message != "" {
		rows = append(rows, [2]string{"Message", r.Message})
	}
	if r.Reverts != "" {
		rows = append(rows, [2]string{"Reverts", r.Reverts})
	}
	var reverts []string
	for _, rv := range r.RevertedBy {
		reverts = append(reverts, fmt.Sprintf("%s (%s)", rv.Name, or(rv.Phase, "Pending")))
	}
	rows = append(rows, [2]string{"Reverted by", or(strings.Join(reverts, ", "), "not reverted")})
	rows = append(rows, [2]string{"Earlier successful runs", or(strings.Join(r.Earlier, ", "), "none recorded")})
	return rows
}

// Result is what an action ended with: its objects, its response, its message.
func (a Action) Result() string {
	parts := append([]string{}, a.Objects...)
	if a.Response != "" {
		parts = append(parts, a.Response)
	}
	if a.Message != "" && a.Response == "" {
		parts = append(parts, a.Message)
	}
	return strings.Join(parts, "; ")
}

// cell makes s one Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// offset is t as time since the run began ("+1m2s").
func offset(t, start time.Time) string {
	if t.IsZero() || start.IsZero() {
		return "-"
	}
	return "+" + t.Sub(start).Round(time.Millisecond).String()
}

func took(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

func span(start, end, runStart time.Time) string {
	if start.IsZero() {
		return ""
	}
	return fmt.Sprintf(", from %s for %s", offset(start, runStart), took(start, end))
}

func attempts(n int32) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

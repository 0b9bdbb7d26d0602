package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// report is what a bench run found, rendered as the markdown of docs/benchmarks.md.
type report struct {
	Machine     machine
	Opts        options
	Executes    []executeResult
	History     *historyResult
	NotRun      []string // default scenarios this run did not select
	Interrupted bool
}

func (r report) anyFailed() bool {
	for _, e := range r.Executes {
		if e.Failure != "" {
			return true
		}
	}
	return r.History != nil && r.History.Failure != ""
}

// goal is one of drctl's performance targets, and which scenarios it is judged on.
type goal struct {
	What, Target string
	Applies      func(scenario) bool
	Measure      func(executeResult) (shown string, met bool)
}

const (
	kib = 1024
	mb  = 1000 * 1000
)

func is400(s scenario) bool { return s.Shape.total() == 400 }

var goals = []goal{
	{"400 actions, target at 50 ms: wall time", "≤ 1.1 × critical path",
		func(s scenario) bool { return is400(s) && s.Latency == 50*time.Millisecond },
		func(e executeResult) (string, bool) {
			ratio := e.Proc.Wall.Seconds() / e.Scenario.criticalPath().Seconds()
			return fmt.Sprintf("%.2f × (%s)", ratio, fmtDur(e.Proc.Wall)), ratio <= 1.1
		}},
	{"400 actions, target at 0 ms: wall time", "≤ 2 s",
		func(s scenario) bool { return is400(s) && s.Latency == 0 },
		func(e executeResult) (string, bool) { return fmtDur(e.Proc.Wall), e.Proc.Wall <= 2*time.Second }},
	{"process start to the first HTTP request", "≤ 0.5 s",
		func(scenario) bool { return true },
		func(e executeResult) (string, bool) {
			return fmtDur(e.FirstRequest), e.FirstRequest > 0 && e.FirstRequest <= 500*time.Millisecond
		}},
	{"400-action execution as `kubectl get -o json` prints it", "≤ 256 KiB",
		is400,
		func(e executeResult) (string, bool) { return fmtKiB(e.Object.Indented), e.Object.Indented <= 256*kib }},
	{"status lag seen by a watcher, p99", "≤ 1 s",
		func(scenario) bool { return true },
		func(e executeResult) (string, bool) {
			return fmt.Sprintf("%s (%d/%d seen)", fmtDur(e.Lag.P99), e.Lag.Seen, e.Lag.Total),
				e.Lag.Seen == e.Lag.Total && e.Lag.P99 <= time.Second
		}},
	{"peak RSS of drctl", "≤ 100 MB",
		func(scenario) bool { return true },
		func(e executeResult) (string, bool) { return fmtMB(e.Proc.MaxRSSKiB), e.Proc.MaxRSSKiB*kib <= 100*mb }},
}

func (r report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := r.Machine
	tree := "clean working tree"
	if m.Dirty {
		tree = "uncommitted changes in the working tree; the binary's version says whether it was built with them"
	}
	p("# drctl benchmarks\n\n")
	p("Written by `hack/bench` (`make bench`); do not edit by hand. Measured %s with the binary `%s` ",
		m.Date.Format("2006-01-02 15:04 UTC"), r.Opts.DrctlShown)
	p("(`drctl version`: %s), repository HEAD `%s` (%s), ", orDash(m.DrctlBinary), m.Commit, tree)
	p("run from the command line over a kubeconfig against the local control plane of `make cluster-up`.\n\n")
	if r.Interrupted {
		p("**The run was interrupted: the report is incomplete.**\n\n")
	}

	p("## Machine\n\n| | |\n|---|---|\n")
	p("| CPUs (nproc) | %d |\n| CPU model | %s |\n| memory | %.1f GiB |\n", m.CPUs, orDash(m.CPUModel), float64(m.MemoryKiB)/(1024*1024))
	p("| Go | %s |\n| kube-apiserver | %s (with etcd, on loopback) |\n| repository HEAD | `%s` |\n| date | %s |\n\n",
		m.GoVersion, orDash(m.APIServer), m.Commit, m.Date.Format(time.RFC3339))

	p("## Reproduce\n\n```sh\n")
	p("make cluster-up && make bench   # the in-process Go benchmarks (printed), then this report\n")
	p("make bench-binary                # this report only (BENCH_FLAGS, BENCH_DRCTL_ARGS pass flags through)\n")
	p("go run ./hack/bench --scenarios 400-50ms --stages 2 --workflows 2 --actions 3 --out -   # a smoke run\n")
	p("```\n\nThis report's command line: `bench %s`.\n\n", commandLine())

	r.writeMethod(&b)
	r.writeResults(&b)
	r.writeGoals(&b)
	r.writeRequests(&b)
	r.writeHistory(&b)
	r.writeDetails(&b)
	r.writeCaveats(&b)
	return b.String()
}

// commandLine is the bench's arguments with paths under the working directory made relative.
func commandLine() string {
	var args []string
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "/") {
			a = relative(a)
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

func (r report) writeMethod(b *strings.Builder) {
	fmt.Fprint(b, `## What is measured

Each execute scenario runs in a fresh namespace: one DRWorkflow per stage and workflow slot, each
a sequence of HTTP GETs to a distinct URL (`+"`/bench/s0w1/7`"+`) of a target served by the bench
process, which waits the scenario's latency and answers 200; a DRPlan of stages chained by
`+"`dependsOn`"+`, each `+"`parallel`"+`. Then `+"`drctl execute bench -n NS --kubeconfig K --progress plain`"+`
runs with its output on pipes.

- **wall**: the drctl process, start to exit. **Critical path**: stages × actions per workflow ×
  latency, what the run could not be shorter than.
- **first request**: process start to the target's first request (loading the plan, validation,
  the lock, creating the execution).
- **API requests / action**: `+"`apiserver_request_total`"+` read from the API server's `+"`/metrics`"+`
  before and after the process, the difference in drctl's kinds of request (its resources,
  Leases, Events, SelfSubjectReviews) divided by the actions; the API server's own Lease renewals,
  counted by a watch, are taken out.
- **status lag**: for each action, when a watch of the namespace's DRPlanExecutions, opened before
  the run, first delivered the action as Succeeded, minus when the target had sent its response.
- **object**: the execution at the end, as `+"`kubectl get -o json`"+` prints it (4-space indent,
  managedFields hidden) and compact.
- **peak RSS**: the drctl process's maximum resident set (getrusage).

`)
}

func (r report) writeResults(b *strings.Builder) {
	if len(r.Executes) == 0 {
		return
	}
	fmt.Fprint(b, "## Results\n\n")
	fmt.Fprint(b, "| scenario | plan | target latency | critical path | wall | wall ÷ critical path | first request | API requests / action | status lag p50 / p99 / max | transitions seen | object, indented / compact | peak RSS | outcome |\n")
	fmt.Fprint(b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range r.Executes {
		s := e.Scenario
		plan := fmt.Sprintf("%d×%d×%d = %d", s.Shape.Stages, s.Shape.Workflows, s.Shape.Actions, s.Shape.total())
		cp := fmtDur(s.criticalPath())
		if s.Latency == 0 {
			cp = "0 (no wait)"
		}
		if e.Failure != "" {
			fmt.Fprintf(b, "| %s | %s | %s | %s | — | — | — | — | — | — | — | — | **FAILED**: %s |\n",
				s.Key, plan, fmtDur(s.Latency), cp, mdEscape(e.Failure))
			continue
		}
		ratio := "— (nothing to wait for)"
		if s.Latency > 0 {
			ratio = fmt.Sprintf("%.2f ×", e.Proc.Wall.Seconds()/s.criticalPath().Seconds())
		}
		first := "no request"
		if e.FirstRequest > 0 {
			first = fmtDur(e.FirstRequest)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %.2f | %s / %s / %s | %d/%d | %s / %s | %s | Succeeded, exit 0 |\n",
			s.Key, plan, fmtDur(s.Latency), cp, fmtDur(e.Proc.Wall), ratio, first,
			e.API.Total/float64(s.Shape.total()),
			fmtDur(e.Lag.P50), fmtDur(e.Lag.P99), fmtDur(e.Lag.Max), e.Lag.Seen, e.Lag.Total,
			fmtKiB(e.Object.Indented), fmtKiB(e.Object.Compact), fmtMB(e.Proc.MaxRSSKiB))
	}
	fmt.Fprint(b, "\n")
}

func (r report) writeGoals(b *strings.Builder) {
	fmt.Fprint(b, "## Goals\n\n| goal | target | measured | met |\n|---|---|---|---|\n")
	for _, g := range goals {
		var shown []string
		met, judged := true, false
		for _, e := range r.Executes {
			if !g.Applies(e.Scenario) {
				continue
			}
			if e.Failure != "" {
				shown = append(shown, e.Scenario.Key+": run failed")
				met = false
				continue
			}
			v, ok := g.Measure(e)
			shown = append(shown, e.Scenario.Key+": "+v)
			met, judged = met && ok, true
		}
		verdict := "not measured"
		switch {
		case judged && met:
			verdict = "yes"
		case judged || len(shown) > 0:
			verdict = "**no**"
		}
		measured := strings.Join(shown, "; ")
		if measured == "" {
			measured = "— (no such scenario in this run)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", g.What, g.Target, measured, verdict)
	}
	fmt.Fprint(b, "\n")
}

func (r report) writeRequests(b *strings.Builder) {
	for _, e := range r.Executes {
		if e.Failure != "" || len(e.API.Rows) == 0 {
			continue
		}
		n := float64(e.Scenario.Shape.total())
		fmt.Fprintf(b, "### API requests of %s, by verb and resource\n\n", e.Scenario.Key)
		fmt.Fprint(b, "| verb | resource | requests | per action |\n|---|---|---|---|\n")
		for _, row := range e.API.Rows {
			fmt.Fprintf(b, "| %s | %s | %.0f | %s |\n", row.Key.Verb, row.Key, row.Count, fmtPer(row.Count/n))
		}
		fmt.Fprintf(b, "| **all** | | **%.0f** | **%.2f** |\n\n", e.API.Total, e.API.Total/n)
		verbs := e.API.byVerb()
		var names []string
		for v := range verbs {
			names = append(names, v)
		}
		slices.Sort(names)
		var parts []string
		for _, v := range names {
			parts = append(parts, fmt.Sprintf("%s %s", v, fmtPer(verbs[v]/n)))
		}
		fmt.Fprintf(b, "Per action by verb: %s. Other requests the API server served meanwhile (its own housekeeping, discovery, the bench's scrapes; not per action): %.0f.\n\n",
			strings.Join(parts, ", "), e.API.Other)
	}
}

func (r report) writeHistory(b *strings.Builder) {
	h := r.History
	if h == nil {
		return
	}
	fmt.Fprint(b, "## `drctl history` over many executions\n\n")
	fmt.Fprint(b, "| executions of the plan | runs | median wall | every run | peak RSS | outcome |\n|---|---|---|---|---|---|\n")
	if h.Failure != "" {
		fmt.Fprintf(b, "| %d | — | — | — | — | **FAILED**: %s |\n\n", h.Count, mdEscape(h.Failure))
		return
	}
	var runs []string
	for _, w := range h.Walls {
		runs = append(runs, fmtDur(w))
	}
	fmt.Fprintf(b, "| %d | %d | %s | %s | %s | exit 0, every execution listed |\n\n",
		h.Count, len(h.Walls), fmtDur(h.Median), strings.Join(runs, ", "), fmtMB(h.MaxRSSKiB))
}

func (r report) writeDetails(b *strings.Builder) {
	fmt.Fprint(b, "## Details\n\n")
	if args := r.Opts.extraArgs(); len(args) > 0 {
		fmt.Fprintf(b, "- Extra drctl arguments: `%s`.\n", strings.Join(args, " "))
	}
	for _, e := range r.Executes {
		fmt.Fprintf(b, "- **%s**: namespace `%s`, execution `%s`, drctl exit %d; the watcher got %d events about the execution",
			e.Scenario.Key, orDash(e.Namespace), e.Execution, e.Proc.ExitCode, e.Watch.Events)
		if !e.WatchedEnd {
			fmt.Fprint(b, " and did not see it end")
		}
		if e.Object.Compact > 0 {
			fmt.Fprintf(b, "; status %s compact", fmtKiB(e.Object.Status))
		}
		fmt.Fprint(b, ".")
		if e.Lag.Resent > 0 || e.Lag.NeverCalled > 0 || e.Lag.SeenBeforeSent > 0 {
			fmt.Fprintf(b, " Target: %d actions called more than once, %d never called, %d seen Succeeded before their response was sent.",
				e.Lag.Resent, e.Lag.NeverCalled, e.Lag.SeenBeforeSent)
		}
		if e.Profile != "" {
			fmt.Fprintf(b, " CPU profile: `%s`.", e.Profile)
		} else if e.ProfileNote != "" {
			fmt.Fprintf(b, " %s.", e.ProfileNote)
		}
		fmt.Fprint(b, "\n")
		if e.Failure != "" {
			var out []string
			for _, o := range [][]byte{e.Proc.Stdout, e.Proc.Stderr} {
				if t := tail(o, 10); t != "" {
					out = append(out, indent(t))
				}
			}
			if len(out) > 0 {
				fmt.Fprintf(b, "\n  Last lines of drctl's output:\n\n  ```\n%s\n  ```\n", strings.Join(out, "\n"))
			}
		}
	}
	if len(r.NotRun) > 0 {
		fmt.Fprintf(b, "- Not run this time (`--scenarios` selects): %s.\n", strings.Join(r.NotRun, ", "))
	}
	fmt.Fprint(b, "\n")
}

func (r report) writeCaveats(b *strings.Builder) {
	fmt.Fprint(b, `## Caveats

- The API server, etcd, drctl, the HTTP target and the watcher all run on the same machine and
  share its cores (see Machine). Time the API server and etcd spend on drctl's writes, and the
  watcher decoding every version of a large execution, is taken from drctl's run: on a cluster
  with its own control-plane nodes the wall times would be shorter, the request counts the same.
- The API server's request counter has no user or namespace label. drctl's kinds of request are
  counted whoever made them; the API server's own Lease renewals are subtracted, and nothing
  else writes those kinds on the local control plane during a run.
- The status lag includes the API server's watch delivery and the watcher's decoding of each
  event, as any observer's would.
- One run per scenario: figures vary from run to run by a few per cent (more on a busy machine).
`)
}

func (e executeResult) summary() string {
	if e.Failure != "" {
		return "FAILED: " + e.Failure
	}
	return fmt.Sprintf("wall %s, first request %s, %.2f API requests/action, lag p99 %s (%d/%d seen), object %s indented, RSS %s",
		fmtDur(e.Proc.Wall), fmtDur(e.FirstRequest), e.API.Total/float64(e.Scenario.Shape.total()),
		fmtDur(e.Lag.P99), e.Lag.Seen, e.Lag.Total, fmtKiB(e.Object.Indented), fmtMB(e.Proc.MaxRSSKiB))
}

func (h historyResult) summary() string {
	if h.Failure != "" {
		return "FAILED: " + h.Failure
	}
	return fmt.Sprintf("median %s over %d runs, RSS %s", fmtDur(h.Median), len(h.Walls), fmtMB(h.MaxRSSKiB))
}

// fmtDur shows a duration at the precision that matters for it.
func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "0 ms"
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

// fmtPer shows a per-action figure; the rare requests (one per run) keep a significant digit.
func fmtPer(x float64) string {
	if x > 0 && x < 0.1 {
		return fmt.Sprintf("%.3f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func fmtKiB(n int) string { return fmt.Sprintf("%.1f KiB", float64(n)/kib) }

// fmtMB shows a size given in KiB in MB (10⁶ bytes), the unit of the RSS goal.
func fmtMB(k int64) string { return fmt.Sprintf("%.1f MB", float64(k*kib)/mb) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

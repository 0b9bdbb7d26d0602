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
	Executes    []scenarioResult
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

// goal is one of drctl's performance targets, which scenarios it is judged on, and which of
// their runs' figures.
type goal struct {
	What, Target string
	Over         judgedOn
	Applies      func(scenario) bool
	Measure      func(scenarioResult) (shown string, met bool)
}

// judgedOn is which of a scenario's runs a goal's figure comes from.
type judgedOn int

const (
	medianOfRuns  judgedOn = iota // times, which vary from run to run: each figure's median
	medianWallRun                 // figures that hardly vary: the median-wall run's, as in Results
	highestOfRuns                 // a ceiling: the worst run, which a median would let pass
)

func (j judgedOn) describe(runs int) string {
	switch j {
	case medianWallRun:
		return fmt.Sprintf("the median-wall run (of %d)", runs)
	case highestOfRuns:
		return "highest of " + plural(runs, "run")
	default:
		return "median of " + plural(runs, "run")
	}
}

const (
	kib = 1024
	mb  = 1000 * 1000
)

func is400(s scenario) bool { return s.Shape.total() == 400 }

var goals = []goal{
	{"400 actions, target at 50 ms: wall time", "≤ 1.1 × critical path", medianOfRuns,
		func(s scenario) bool { return is400(s) && s.Latency == 50*time.Millisecond },
		func(s scenarioResult) (string, bool) {
			wall, _, _ := s.wall()
			ratio := wall.Seconds() / s.Scenario.criticalPath().Seconds()
			return fmt.Sprintf("%.2f × (%s)", ratio, fmtDur(wall)), ratio <= 1.1
		}},
	{"400 actions, target at 0 ms: wall time", "≤ 2 s", medianOfRuns,
		func(s scenario) bool { return is400(s) && s.Latency == 0 },
		func(s scenarioResult) (string, bool) {
			wall, _, _ := s.wall()
			return fmtDur(wall), wall <= 2*time.Second
		}},
	{"process start to the first HTTP request", "≤ 0.5 s", medianOfRuns,
		func(scenario) bool { return true },
		func(s scenarioResult) (string, bool) {
			first := s.medianOf(firstRequest)
			return fmtDur(first), first > 0 && first <= 500*time.Millisecond
		}},
	{"400-action execution as `kubectl get -o json` prints it", "≤ 256 KiB", medianWallRun,
		is400,
		func(s scenarioResult) (string, bool) {
			size := s.medianRun().Object.Indented
			return fmtKiB(size), size <= 256*kib
		}},
	{"status lag seen by a watcher, p99", "≤ 1 s", medianOfRuns,
		func(scenario) bool { return true },
		func(s scenarioResult) (string, bool) {
			p99, seen, total := s.medianOf(lagP99), s.fewestSeen(), s.Scenario.Shape.total()
			return fmt.Sprintf("%s (%d/%d seen)", fmtDur(p99), seen, total), seen == total && p99 <= time.Second
		}},
	{"peak RSS of drctl", "≤ 100 MB", highestOfRuns,
		func(scenario) bool { return true },
		func(s scenarioResult) (string, bool) { return fmtMB(s.peakRSS()), s.peakRSS()*kib <= 100*mb }},
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
	p("go run ./hack/bench --scenarios 400-50ms --stages 2 --workflows 2 --actions 3 --runs 1 --out -   # a smoke run\n")
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

Each run of an execute scenario is in a fresh namespace: one DRWorkflow per stage and workflow
slot, each a sequence of HTTP GETs to a distinct URL (`+"`/bench/s0w1/7`"+`) of a target served by
the bench process, which waits the scenario's latency and answers 200; a DRPlan of stages chained
by `+"`dependsOn`"+`, each `+"`parallel`"+`. Then `+"`drctl execute bench -n NS --kubeconfig K --progress plain`"+`
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
	fmt.Fprintf(b, `Each execute scenario runs %s (`+"`--runs`"+`), one after the other, each in a namespace
of its own: one run on a small machine varies by tens of per cent from the next, too much to judge
a goal by. Wall time (with the fastest and slowest run beside it), wall ÷ critical path, first
request and status lag p50, p99 and max are each the median over the runs (for an even count,
the upper of the two middle values), taken one figure at a time, so they need not all come from
the same run. Transitions seen are the fewest any run's watcher saw; peak RSS is the highest of
the runs, the memory goal being a ceiling. API requests per action, the per-verb tables and the
object size are those of the median-wall run, so that a table's rows add up to its total; they
vary little from run to run. A failed run (drctl exiting non-zero, or the execution not
Succeeded) fails its scenario, and the scenario's remaining runs are not made.

`, times(r.Opts.Runs))
}

func (r report) writeResults(b *strings.Builder) {
	if len(r.Executes) == 0 {
		return
	}
	fmt.Fprint(b, "## Results\n\n")
	fmt.Fprintf(b, "Medians of %s of each scenario; the wall time has the fastest and slowest run beside it. "+
		"What is measured says which run the other columns come from.\n\n", plural(r.Opts.Runs, "run"))
	fmt.Fprint(b, "| scenario | plan | target latency | critical path | wall, median (min–max) | wall ÷ critical path | first request | API requests / action | status lag p50 / p99 / max | transitions seen | object, indented / compact | peak RSS | outcome |\n")
	fmt.Fprint(b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Executes {
		sc := s.Scenario
		plan := fmt.Sprintf("%d×%d×%d = %d", sc.Shape.Stages, sc.Shape.Workflows, sc.Shape.Actions, sc.Shape.total())
		cp := fmtDur(sc.criticalPath())
		if sc.Latency == 0 {
			cp = "0 (no wait)"
		}
		if s.Failure != "" {
			fmt.Fprintf(b, "| %s | %s | %s | %s | — | — | — | — | — | — | — | — | **FAILED**: %s |\n",
				sc.Key, plan, fmtDur(sc.Latency), cp, mdEscape(s.Failure))
			continue
		}
		wall, lo, hi := s.wall()
		wallShown := fmtDur(wall)
		if len(s.Runs) > 1 {
			wallShown += " (" + fmtRange(lo, hi) + ")"
		}
		ratio := "— (nothing to wait for)"
		if sc.Latency > 0 {
			ratio = fmt.Sprintf("%.2f ×", wall.Seconds()/sc.criticalPath().Seconds())
		}
		first := "no request"
		if f := s.medianOf(firstRequest); f > 0 {
			first = fmtDur(f)
		}
		mid := s.medianRun()
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %.2f | %s / %s / %s | %d/%d | %s / %s | %s | %s |\n",
			sc.Key, plan, fmtDur(sc.Latency), cp, wallShown, ratio, first,
			mid.API.Total/float64(sc.Shape.total()),
			fmtDur(s.medianOf(lagP50)), fmtDur(s.medianOf(lagP99)), fmtDur(s.medianOf(lagMax)),
			s.fewestSeen(), sc.Shape.total(),
			fmtKiB(mid.Object.Indented), fmtKiB(mid.Object.Compact), fmtMB(s.peakRSS()), outcome(len(s.Runs)))
	}
	fmt.Fprint(b, "\n")
}

// outcome is a succeeded scenario's outcome column: every run succeeded, or the scenario would
// have failed.
func outcome(runs int) string {
	if runs == 1 {
		return "Succeeded, exit 0"
	}
	return fmt.Sprintf("all %d Succeeded, exit 0", runs)
}

func (r report) writeGoals(b *strings.Builder) {
	fmt.Fprintf(b, "## Goals\n\nJudged on the median of %s of each scenario, except where the \"of\" column says otherwise.\n\n",
		plural(r.Opts.Runs, "run"))
	fmt.Fprint(b, "| goal | target | of | measured | met |\n|---|---|---|---|---|\n")
	for _, g := range goals {
		var shown []string
		met, judged := true, false
		for _, s := range r.Executes {
			if !g.Applies(s.Scenario) {
				continue
			}
			if s.Failure != "" {
				shown = append(shown, s.Scenario.Key+": run failed")
				met = false
				continue
			}
			v, ok := g.Measure(s)
			shown = append(shown, s.Scenario.Key+": "+v)
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
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", g.What, g.Target, g.Over.describe(r.Opts.Runs), measured, verdict)
	}
	fmt.Fprint(b, "\n")
}

func (r report) writeRequests(b *strings.Builder) {
	for _, s := range r.Executes {
		if s.Failure != "" {
			continue
		}
		e := s.medianRun()
		if len(e.API.Rows) == 0 {
			continue
		}
		n := float64(s.Scenario.Shape.total())
		which := ""
		if len(s.Runs) > 1 {
			which = fmt.Sprintf(" (run %d of %d, the median-wall run)", e.Run, len(s.Runs))
		}
		fmt.Fprintf(b, "### API requests of %s%s, by verb and resource\n\n", s.Scenario.Key, which)
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
	for _, s := range r.Executes {
		if len(s.Runs) == 0 {
			fmt.Fprintf(b, "- **%s**: no run made (%s).\n", s.Scenario.Key, s.Failure)
		}
		for _, e := range s.Runs {
			writeRunDetails(b, s, e)
		}
	}
	if len(r.NotRun) > 0 {
		fmt.Fprintf(b, "- Not run this time (`--scenarios` selects): %s.\n", strings.Join(r.NotRun, ", "))
	}
	fmt.Fprint(b, "\n")
}

// writeRunDetails is one run's line of Details: where to find what it left behind (with --keep),
// its own wall time, and drctl's output if it failed.
func writeRunDetails(b *strings.Builder, s scenarioResult, e executeResult) {
	fmt.Fprintf(b, "- **%s**", e.Scenario.Key)
	if s.Want > 1 {
		fmt.Fprintf(b, " run %d of %d", e.Run, s.Want)
		if s.Failure == "" && s.medianRun().Run == e.Run {
			fmt.Fprint(b, " (the median-wall run)")
		}
	}
	fmt.Fprintf(b, ": namespace `%s`, execution `%s`, drctl exit %d, wall %s; the watcher got %d events about the execution",
		orDash(e.Namespace), e.Execution, e.Proc.ExitCode, fmtDur(e.Proc.Wall), e.Watch.Events)
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
		fmt.Fprintf(b, " CPU profile: `%s`.", relative(e.Profile))
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
`)
	fmt.Fprintf(b, `- %s per scenario, medians shown: a median moves less than one run does, yet still
  moves from one report to the next, more on a busy machine; the range beside the wall time shows
  how far apart this report's runs were.
`, plural(r.Opts.Runs, "run"))
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

// fmtRange shows the fastest and slowest of some durations, "6.95–7.60 s" (the unit once when
// both share it), to stand beside their median.
func fmtRange(lo, hi time.Duration) string {
	l, h := fmtDur(lo), fmtDur(hi)
	lNum, lUnit, _ := strings.Cut(l, " ")
	if hNum, hUnit, _ := strings.Cut(h, " "); lUnit == hUnit {
		return lNum + "–" + hNum + " " + hUnit
	}
	return l + "–" + h
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

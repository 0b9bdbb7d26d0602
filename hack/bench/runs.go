package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// One run of a scenario is not enough to judge a goal by: on a small machine that also runs the
// API server, etcd, the target and the watcher, the same run varies by tens of per cent from one
// time to the next. So each execute scenario runs --runs times and the report shows medians,
// with the range of the wall time beside its median so that the spread can be seen.

// scenarioResult is an execute scenario run several times, one run after the other, each in a
// fresh namespace.
type scenarioResult struct {
	Scenario scenario
	Runs     []executeResult // in the order they ran; when Failure is set, the last one is why
	Want     int             // the runs asked for
	Failure  string          // why the scenario does not count; empty if every run succeeded
}

// runScenario runs sc n times. It stops at the first failed run: the scenario has failed
// whatever the others show, and a 1000-action run takes minutes that a failed report does not
// need.
func runScenario(ctx context.Context, env *benchEnv, sc scenario, n int) scenarioResult {
	s := scenarioResult{Scenario: sc, Want: n}
	for run := 1; run <= n; run++ {
		if ctx.Err() != nil {
			s.Failure = fmt.Sprintf("interrupted after %d of %d runs", run-1, n)
			return s
		}
		logf("%s run %d/%d: %s, target latency %s; running drctl execute", sc.Key, run, n, sc.Shape, sc.Latency)
		r := runExecute(ctx, env, sc, run)
		s.Runs = append(s.Runs, r)
		logf("%s run %d/%d: %s", sc.Key, run, n, r.summary())
		if r.Failure != "" {
			s.Failure = fmt.Sprintf("run %d of %d: %s", run, n, r.Failure)
			return s
		}
	}
	return s
}

// medianRun is the run of median wall time, whose API requests and object the report shows: a
// per-verb table added up from different runs would not be any one run's requests.
func (s scenarioResult) medianRun() executeResult {
	byWall := slices.Clone(s.Runs)
	slices.SortStableFunc(byWall, func(a, b executeResult) int { return cmp.Compare(a.Proc.Wall, b.Proc.Wall) })
	return byWall[len(byWall)/2]
}

// wall is the median wall time and the fastest and slowest run's.
func (s scenarioResult) wall() (mid, lo, hi time.Duration) {
	walls := s.each(func(r executeResult) time.Duration { return r.Proc.Wall })
	return median(walls), slices.Min(walls), slices.Max(walls)
}

// medianOf is the median over the runs of one figure, taken on its own: the median first
// request need not be the median-wall run's.
func (s scenarioResult) medianOf(figure func(executeResult) time.Duration) time.Duration {
	return median(s.each(figure))
}

func (s scenarioResult) each(figure func(executeResult) time.Duration) []time.Duration {
	var out []time.Duration
	for _, r := range s.Runs {
		out = append(out, figure(r))
	}
	return out
}

// fewestSeen is the fewest actions any run's watcher saw succeed: a watcher that missed a
// transition in one run is worth knowing about, whatever the other runs saw.
func (s scenarioResult) fewestSeen() int {
	fewest := s.Runs[0].Lag.Seen
	for _, r := range s.Runs[1:] {
		fewest = min(fewest, r.Lag.Seen)
	}
	return fewest
}

// peakRSS is the highest of the runs' peak resident sets: the memory goal is a ceiling, which a
// median would let one run in two exceed.
func (s scenarioResult) peakRSS() int64 {
	var peak int64
	for _, r := range s.Runs {
		peak = max(peak, r.Proc.MaxRSSKiB)
	}
	return peak
}

// median of values: for an even count, the upper of the two middle values, so that the figure is
// one a run actually had (and the median wall is the median-wall run's).
func median[T cmp.Ordered](values []T) T {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func (s scenarioResult) summary() string {
	if s.Failure != "" {
		return "FAILED: " + s.Failure
	}
	med, lo, hi := s.wall()
	return fmt.Sprintf("over %s: median wall %s (%s), first request %s, lag p99 %s; peak RSS %s",
		plural(len(s.Runs), "run"), fmtDur(med), fmtRange(lo, hi),
		fmtDur(s.medianOf(firstRequest)), fmtDur(s.medianOf(lagP99)), fmtMB(s.peakRSS()))
}

// The figures the report takes the median of, one run at a time.
func firstRequest(r executeResult) time.Duration { return r.FirstRequest }
func lagP50(r executeResult) time.Duration       { return r.Lag.P50 }
func lagP99(r executeResult) time.Duration       { return r.Lag.P99 }
func lagMax(r executeResult) time.Duration       { return r.Lag.Max }

// times is "once", "3 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// plural is "1 run", "3 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

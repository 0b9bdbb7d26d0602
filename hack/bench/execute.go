package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// executeResult is everything measured of one `drctl execute`.
type executeResult struct {
	Scenario     scenario
	Run          int // 1 for the scenario's first run
	Namespace    string
	Execution    string
	Proc         procResult
	FirstRequest time.Duration // process start to the target's first request; 0 if none came
	Lag          lagStats
	API          apiRequests
	Object       objectSize
	Watch        watchResult
	WatchedEnd   bool   // the watcher saw the execution reach a final phase
	Profile      string // where drctl wrote its CPU profile, if asked and it did
	ProfileNote  string
	Failure      string // why the run does not count; empty if it succeeded
}

// runExecute runs an execute scenario once (its run-th run): a fresh namespace, the generated
// plan, the target, the watcher, and then drctl as a user would run it, from the command line,
// over the kubeconfig.
func runExecute(ctx context.Context, env *benchEnv, sc scenario, run int) (r executeResult) {
	r.Scenario, r.Run = sc, run
	r.Execution = "bench-" + sc.Key
	fail := func(format string, args ...any) executeResult {
		r.Failure = fmt.Sprintf(format, args...)
		return r
	}

	// The run in the name keeps the runs of a scenario apart: a small run can start within the
	// second its predecessor started, and the namespace's name is only precise to the second.
	ns, err := createNamespace(ctx, env.client, fmt.Sprintf("%s-run%d", sc.Key, run))
	if err != nil {
		return fail("setup: %v", err)
	}
	r.Namespace = ns
	defer env.cleanup(ctx, ns)

	tgt, err := startTarget(sc.Latency)
	if err != nil {
		return fail("setup: target: %v", err)
	}
	defer tgt.close()

	plan := newBenchPlan("bench", ns, sc.Shape, tgt.URL())
	for _, wf := range plan.Workflows {
		if err := env.client.Create(ctx, wf); err != nil {
			return fail("setup: create workflow %s: %v", wf.Name, err)
		}
	}
	if err := env.client.Create(ctx, plan.Plan); err != nil {
		return fail("setup: create plan: %v", err)
	}

	watcher, err := startWatcher(ctx, env.client, ns, r.Execution)
	if err != nil {
		return fail("setup: %v", err)
	}
	leaseWritesBefore, leaseRestartsBefore := env.leases.count()
	before, err := env.scraper.scrape(ctx)
	if err != nil {
		watcher.stop()
		return fail("setup: %v", err)
	}

	args := []string{"execute", plan.Plan.Name, "-n", ns, "--kubeconfig", env.opts.Kubeconfig,
		"--progress", "plain", "--name", r.Execution}
	var procEnv []string
	// The first run's profile is enough to see where the time goes, and the others run without
	// the profiler's few per cent; the file names the run, so that it is never taken for another's.
	if env.opts.ProfileDir != "" && run == 1 {
		r.Profile = filepath.Join(env.opts.ProfileDir, fmt.Sprintf("drctl-%s-run%d.cpu.pprof", sc.Key, run))
		_ = os.Remove(r.Profile)
		procEnv = append(procEnv, "DRCTL_CPUPROFILE="+r.Profile)
	}
	r.Proc = runProcess(ctx, env.opts.RunTimeout, env.opts.Drctl, append(args, env.opts.extraArgs()...), procEnv)

	// The window closes as soon as drctl has exited, before the bench reads anything, so that
	// the diff holds drctl's requests (and the server's own, taken out below) only.
	after, scrapeErr := env.scraper.scrape(ctx)
	leaseWrites, leaseRestarts := env.leases.count()
	r.WatchedEnd = watcher.waitEnded(10 * time.Second)
	r.Watch = watcher.stop()
	if scrapeErr == nil {
		own := notDrctls(leaseWrites-leaseWritesBefore, leaseRestarts-leaseRestartsBefore, r.Watch.Restarts)
		r.API = summarise(after.minus(before).minus(own))
	}

	if first := tgt.firstRequest(); !first.IsZero() {
		r.FirstRequest = first.Sub(r.Proc.Start)
	}
	r.Lag = computeLag(plan.Actions, tgt, r.Watch.Succeeded)
	if r.Profile != "" {
		if _, err := os.Stat(r.Profile); err != nil {
			r.Profile, r.ProfileNote = "", "No CPU profile written (this drctl does not honour DRCTL_CPUPROFILE)"
		}
	}

	r.Object, err = measureObject(ctx, env.client, ns, r.Execution)
	switch {
	case r.Proc.Err != nil:
		return fail("drctl: %v (exit %d)", r.Proc.Err, r.Proc.ExitCode)
	case r.Proc.ExitCode != 0:
		return fail("drctl exited %d", r.Proc.ExitCode)
	case err != nil:
		return fail("read the execution: %v", err)
	case r.Object.Phase != v1alpha1.PhaseSucceeded:
		return fail("execution ended %s: %s", r.Object.Phase, r.Object.Message)
	case scrapeErr != nil:
		return fail("API server metrics: %v", scrapeErr)
	}
	return r
}

// Command bench measures drctl as its users run it: the real binary (bin/drctl), started from the
// command line over a kubeconfig, against the local control plane of `make cluster-up`. For each
// run of a scenario (--runs of each) it generates a plan of HTTP actions in a fresh namespace,
// serves those actions from an in-process target of fixed latency, watches the execution's status
// independently and reads the API server's request counters around the run; then it prints a
// report of the medians and writes it to docs/benchmarks.md. `make bench` runs it after the
// in-process Go benchmarks; `make bench-binary` runs it alone.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/drctl/drctl/pkg/crd"
)

// options are the command line.
type options struct {
	Kubeconfig, Drctl, Out string
	DrctlShown             string // --drctl as given, for the report (Drctl is made absolute)
	Scenarios              string
	Override               planShape
	Runs                   int
	HistoryCount           int
	HistoryRuns            int
	Keep                   bool
	DrctlArgs              string
	ProfileDir             string
	RunTimeout             time.Duration
}

// extraArgs are the arguments given to every drctl invocation after the bench's own.
func (o options) extraArgs() []string { return strings.Fields(o.DrctlArgs) }

func parseFlags() options {
	var o options
	flag.StringVar(&o.Kubeconfig, "kubeconfig", ".local/kubeconfig", "kubeconfig of the control plane (make cluster-up writes .local/kubeconfig)")
	flag.StringVar(&o.Drctl, "drctl", "bin/drctl", "the drctl binary to measure (make build)")
	flag.StringVar(&o.Out, "out", "docs/benchmarks.md", "where to write the report (- for stdout only)")
	flag.StringVar(&o.Scenarios, "scenarios", "all", "comma-separated scenarios to run: "+strings.Join(scenarioKeys(), ", "))
	flag.IntVar(&o.Override.Stages, "stages", 0, "override the stages of every execute scenario (smoke runs)")
	flag.IntVar(&o.Override.Workflows, "workflows", 0, "override the parallel workflows per stage")
	flag.IntVar(&o.Override.Actions, "actions", 0, "override the sequential HTTP actions per workflow")
	flag.IntVar(&o.Runs, "runs", 3, "runs of each execute scenario, each in a fresh namespace; the report shows medians")
	flag.IntVar(&o.HistoryCount, "history-count", 5000, "executions of the plan listed by the history scenario")
	flag.IntVar(&o.HistoryRuns, "history-runs", 3, "runs of drctl history; the median is reported")
	flag.BoolVar(&o.Keep, "keep", false, "keep each run's namespace and objects, for inspection")
	flag.StringVar(&o.DrctlArgs, "drctl-args", os.Getenv("BENCH_DRCTL_ARGS"), "extra arguments for every drctl invocation, space-separated (default $BENCH_DRCTL_ARGS)")
	flag.StringVar(&o.ProfileDir, "profile-dir", "", "ask drctl for a CPU profile of each scenario's first run in this directory (through DRCTL_CPUPROFILE, if this drctl honours it)")
	flag.DurationVar(&o.RunTimeout, "run-timeout", 30*time.Minute, "kill a drctl invocation that takes longer")
	flag.Parse()
	return o
}

func main() {
	opts := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed, err := run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// benchEnv is what the scenarios share: the bench's own clients (never drctl's), the metrics
// scraper and the count of the API server's own Lease writes.
type benchEnv struct {
	opts    options
	client  client.WithWatch
	cs      kubernetes.Interface
	scraper *metricsScraper
	leases  *leaseRenewals
}

// cleanup deletes a scenario's namespace unless --keep; a failure is reported, not fatal.
func (e *benchEnv) cleanup(ctx context.Context, ns string) {
	if e.opts.Keep {
		logf("keeping namespace %s", ns)
		return
	}
	// A fresh context: an interrupt should not leave the objects behind.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if err := deleteNamespace(ctx, e.client, e.cs, ns); err != nil {
		logf("cleanup: %v", err)
	}
}

// run returns whether any scenario failed; err is for when nothing could be measured.
func run(ctx context.Context, opts options) (bool, error) {
	ctrllog.SetLogger(logr.Discard()) // controller-runtime would otherwise warn that no logger is set
	scenarios, err := selectScenarios(opts.Scenarios, opts.Override)
	if err != nil {
		return false, err
	}
	if opts.Runs < 1 {
		return false, fmt.Errorf("--runs %d: at least one run is needed", opts.Runs)
	}
	opts.DrctlShown = relative(opts.Drctl)
	if opts.Drctl, err = filepath.Abs(opts.Drctl); err != nil {
		return false, err
	}
	if _, err := os.Stat(opts.Drctl); err != nil {
		return false, fmt.Errorf("%w (make build)", err)
	}
	if opts.Kubeconfig, err = filepath.Abs(opts.Kubeconfig); err != nil {
		return false, err
	}
	if opts.ProfileDir != "" {
		if opts.ProfileDir, err = filepath.Abs(opts.ProfileDir); err != nil {
			return false, err
		}
		if err := os.MkdirAll(opts.ProfileDir, 0o755); err != nil {
			return false, err
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", opts.Kubeconfig)
	if err != nil {
		return false, fmt.Errorf("%w (make cluster-up)", err)
	}
	env, err := newBenchEnv(ctx, opts, cfg)
	if err != nil {
		return false, err
	}
	defer env.leases.stop()

	rep := report{Machine: describeMachine(cfg, opts.Drctl), Opts: opts}
	ran := map[string]bool{}
	for _, sc := range scenarios {
		if ctx.Err() != nil {
			break
		}
		ran[sc.Base] = true
		if sc.History {
			logf("history: %d executions, %d runs of drctl history", opts.HistoryCount, opts.HistoryRuns)
			h := runHistory(ctx, env, opts.HistoryCount, opts.HistoryRuns)
			rep.History = &h
			logf("history: %s", h.summary())
			continue
		}
		s := runScenario(ctx, env, sc, opts.Runs)
		rep.Executes = append(rep.Executes, s)
		logf("%s: %s", sc.Key, s.summary())
	}
	for _, sc := range defaultScenarios {
		if !ran[sc.Key] {
			rep.NotRun = append(rep.NotRun, sc.Key)
		}
	}
	if ctx.Err() != nil {
		rep.Interrupted = true
	}

	text := rep.markdown()
	fmt.Print(text)
	if opts.Out != "-" {
		if err := os.MkdirAll(filepath.Dir(opts.Out), 0o755); err != nil {
			return false, err
		}
		if err := os.WriteFile(opts.Out, []byte(text), 0o644); err != nil {
			return false, err
		}
		logf("wrote %s", opts.Out)
	}
	return rep.anyFailed(), nil
}

func newBenchEnv(ctx context.Context, opts options, cfg *rest.Config) (*benchEnv, error) {
	// The bench's own client is not rate limited the way drctl's is: creating 5000 executions
	// for the history scenario at client-go's default 5 requests/s would take 17 minutes.
	own := rest.CopyConfig(cfg)
	own.QPS, own.Burst = 500, 1000
	c, err := client.NewWithWatch(own, client.Options{Scheme: crd.NewScheme()})
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(own)
	if err != nil {
		return nil, err
	}
	scraper, err := newMetricsScraper(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := scraper.scrape(ctx); err != nil {
		return nil, fmt.Errorf("%w (is the control plane up? make cluster-up)", err)
	}
	leases, err := startLeaseRenewals(ctx, c)
	if err != nil {
		return nil, errors.Join(errors.New("watch kube-system leases"), err)
	}
	return &benchEnv{opts: opts, client: c, cs: cs, scraper: scraper, leases: leases}, nil
}

// relative shows path relative to the working directory when it is under it: reports should
// not name the directory of the machine they were taken on.
func relative(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

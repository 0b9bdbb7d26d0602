package controller

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// LeaderElectionID names the Lease that elects the serving replica.
const LeaderElectionID = "drctl-serve"

// NewManager builds the controller on cfg: a controller-runtime manager with the execution,
// workflow and plan reconcilers, the runs, the admission webhooks, health checks and metrics.
// Start it with Start(ctx).
func NewManager(ctx context.Context, cfg *rest.Config, opts Options) (manager.Manager, error) {
	opts.defaults()
	identity := "a ServiceAccount of the plan's namespace: spec.serviceAccountName"
	switch {
	case opts.DefaultServiceAccount != "":
		identity += ", else " + opts.DefaultServiceAccount
	case opts.AllowControllerIdentity:
		identity += ", else serve's own"
	default:
		identity += ", else serve's own in " + opts.SystemNamespace + " only"
	}
	watched := "all"
	if len(opts.Namespaces) > 0 {
		watched = strings.Join(opts.Namespaces, ",")
	}
	opts.Logger.Info("drctl serve", "namespaces", watched, "systemNamespace", opts.SystemNamespace, "leaderElect", opts.LeaderElect,
		"webhookPort", opts.WebhookPort, "metrics", opts.MetricsAddr, "probes", opts.ProbeAddr, "plansActAs", identity)
	clock := lease.NewServerClock()
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(clock.Wrap) // the engine judges Leases by the API server's clock
	scheme := crd.NewScheme()
	logger := logr.FromSlogHandler(opts.Logger.Handler())
	syncPeriod := opts.ReconcileInterval
	electionLease, electionRenew, electionRetry := lease.Timings(opts.LeaderElectionLeaseDuration)
	webhooks, refresher, err := webhookServer(ctx, cfg, scheme, opts)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, manager.Options{
		WebhookServer:           webhooks,
		Scheme:                  scheme,
		Logger:                  logger,
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress:  opts.ProbeAddr,
		LeaderElection:          opts.LeaderElect,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		// A replica that stops steps down at once, so the next leader need not wait out the
		// election Lease before resuming what this one left.
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &electionLease,
		RenewDeadline:                 &electionRenew,
		RetryPeriod:                   &electionRetry,
		// The runs' drain takes up to the shutdown grace, and then a hand-over's writes.
		GracefulShutdownTimeout: ptrTo(opts.ShutdownGrace + 15*time.Second),
		Cache: cache.Options{
			SyncPeriod:        &syncPeriod,
			DefaultNamespaces: namespaces(opts.Namespaces),
			ByObject: map[client.Object]cache.ByObject{
				&v1alpha1.DRPlanExecution{}: {Transform: slimExecution},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("controller manager: %w", err)
	}
	r := newRuns(opts.MaxConcurrentExecutions, opts.ShutdownGrace)
	newEngine, clients, err := engineFactory(cfg, mgr, clock, r.drain, opts)
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(r); err != nil {
		return nil, err
	}
	rec := &executionReconciler{client: mgr.GetClient(), apiReader: mgr.GetAPIReader(), clock: clock,
		newEngine: newEngine, clients: clients, runs: r, opts: opts, log: opts.Logger}
	err = ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.DRPlanExecution{}, builder.WithPredicates(notProgressOnly)).
		WatchesRawSource(source.Channel(r.again, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: 4}).
		Complete(rec)
	if err != nil {
		return nil, fmt.Errorf("execution controller: %w", err)
	}
	if err := addStatusControllers(mgr); err != nil {
		return nil, err
	}
	if opts.CheckInterval > 0 {
		checker := &planChecker{client: mgr.GetClient(), newEngine: newEngine, clients: clients, interval: opts.CheckInterval, opts: opts, log: opts.Logger}
		if err := mgr.Add(checker); err != nil {
			return nil, err
		}
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if refresher != nil {
		if err := mgr.Add(refresher); err != nil {
			return nil, err
		}
	}
	if opts.WebhookPort != 0 {
		if err := addWebhooks(mgr, clock); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
			return nil, err
		}
	}
	return mgr, nil
}

// notProgressOnly lets through every event of an execution but the writes of a run's progress:
// a running record changes several times a second, and nothing in it asks serve to act (a cancel
// is an annotation, an end a phase; a dead runner is noticed by the requeue at its Lease's
// expiry). Resyncs (the same resourceVersion) pass.
var notProgressOnly = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	prev, okOld := e.ObjectOld.(*v1alpha1.DRPlanExecution)
	next, okNew := e.ObjectNew.(*v1alpha1.DRPlanExecution)
	if !okOld || !okNew || prev.ResourceVersion == next.ResourceVersion {
		return true
	}
	return prev.Generation != next.Generation || prev.Status.Phase != next.Status.Phase ||
		!maps.Equal(prev.Annotations, next.Annotations) || !maps.Equal(prev.Labels, next.Labels)
}}

// addStatusControllers adds the reconcilers of workflow and plan status, each watching across the
// references that decide it.
func addStatusControllers(mgr manager.Manager) error {
	if err := addIndexes(context.Background(), mgr); err != nil {
		return fmt.Errorf("index plans by workflow: %w", err)
	}
	c := mgr.GetClient()
	err := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.DRWorkflow{}).
		Watches(&v1alpha1.DRPlan{}, handler.EnqueueRequestsFromMapFunc(workflowsOf)).
		Complete(&workflowReconciler{client: c})
	if err != nil {
		return fmt.Errorf("workflow controller: %w", err)
	}
	err = ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.DRPlan{}).
		Watches(&v1alpha1.DRWorkflow{}, handler.EnqueueRequestsFromMapFunc(plansReferencing(c))).
		Complete(&planReconciler{client: c})
	if err != nil {
		return fmt.Errorf("plan controller: %w", err)
	}
	return nil
}

// engineFactory returns how the runs get their engine: one per run, sharing the clients. The
// engine writes with the manager's client and reads as stored (the manager's API reader); it
// watches through a direct client, renews Leases through one of its own, whose rate limiter no
// burst of status writes can starve, and acts as the identity the run's plan gets (identity.go).
func engineFactory(cfg *rest.Config, mgr manager.Manager, clock *lease.ServerClock, drain <-chan struct{}, opts Options) (func(engine.Observer, client.WithWatch) *engine.Engine, *actionClients, error) {
	direct := client.Options{Scheme: mgr.GetScheme(), HTTPClient: mgr.GetHTTPClient(), Mapper: mgr.GetRESTMapper()}
	watcher, err := client.NewWithWatch(cfg, direct)
	if err != nil {
		return nil, nil, err
	}
	leaseClient, err := client.New(rest.CopyConfig(cfg), direct)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	runner := engine.DiscoverRunner(ctx, watcher, engine.ModeServe)
	clients := &actionClients{cfg: cfg, scheme: mgr.GetScheme(), mapper: mgr.GetRESTMapper(), own: watcher}
	return func(obs engine.Observer, acting client.WithWatch) *engine.Engine {
		return engine.New(engine.Config{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Watcher: watcher, LeaseClient: leaseClient, ActionClient: acting,
			Clock: clock, Observer: obs, Logger: opts.Logger, Runner: runner, SensitiveHeaders: opts.SensitiveHeaders,
			LeaseDuration: opts.LeaseDuration, PartitionTimeout: opts.PartitionTimeout, Drain: drain,
		})
	}, clients, nil
}

// namespaces is the cache's view of Options.Namespaces (nil: all).
func namespaces(names []string) map[string]cache.Config {
	if len(names) == 0 {
		return nil
	}
	m := map[string]cache.Config{}
	for _, n := range names {
		m[n] = cache.Config{}
	}
	return m
}

// slimExecution keeps in the cache what the reconciler reads — metadata, spec, phase, runner —
// and drops the record's bulk (every action's status, the workflow snapshots): a cluster's
// executions would otherwise be held in memory whole, hundreds of KiB each.
func slimExecution(obj any) (any, error) {
	exec, ok := obj.(*v1alpha1.DRPlanExecution)
	if !ok {
		return obj, nil
	}
	exec.ManagedFields = nil
	st := &exec.Status
	st.StageStatuses, st.WorkflowSnapshots, st.ResolvedParams = nil, nil, nil
	return exec, nil
}

var _ toolscache.TransformFunc = slimExecution

func ptrTo[T any](v T) *T { return &v }

// Package serve is `drctl serve`: drctl's engine as an always-on in-cluster controller and
// admission webhook (pkg/controller), for executions applied with kubectl or GitOps.
package serve

import (
	"context"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/controller"
	"github.com/drctl/drctl/pkg/engine"
)

// NewCmdServe builds the command; runF, when set, runs instead of Run once the flags are checked.
func NewCmdServe(f *cmdutil.Factory, runF func(context.Context, *controller.Options) error) *cobra.Command {
	opts := &controller.Options{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run drctl in the cluster: every DRPlanExecution applied runs, with no terminal",
		Long: `Serve runs drctl's engine as an always-on controller, for GitOps: a DRPlanExecution that
someone applies (kubectl apply, Argo CD, Flux) is validated and run, exactly as drctl execute or
drctl revert would run it, and recorded in its status. An execution that cannot run is recorded
Failed with the reason.

Serve and the CLI share the plan's Lease: they never run one plan at once. An execution whose
runner died (a laptop that closed mid-run) is resumed here once its plan Lease expires. An
execution that ended Unknown is left for a person to resume, revert or cancel, and one annotated
dr.bkbcs.tencent.com/managed-by with another implementation's name is never touched.

A plan acts as a ServiceAccount of its own namespace, impersonated: its spec.serviceAccountName,
else --default-service-account. With neither, serve runs only plans of its own namespace, unless
started with --allow-controller-identity: in a shared cluster, a plan must not borrow the
controller's rights to read other teams' Secrets.

On SIGTERM or SIGINT serve starts no action any more and gives running ones --shutdown-grace to
finish; then each run records its progress, stays Running and releases its plan, and the next
replica resumes it at once, repeating nothing that finished. A run still busy past the grace is
stopped hard and resumed once its plan Lease expires.`,
		Example: `  # Run against the current kubectl context (in a cluster, the pod's ServiceAccount)
  drctl serve

  # Two replicas, one active
  drctl serve --leader-elect --leader-election-namespace drctl-system`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := Validate(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), f, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", `address of the Prometheus /metrics endpoint ("0" disables it)`)
	fs.StringVar(&opts.ProbeAddr, "health-probe-bind-address", ":8081", `address of /healthz and /readyz ("0" disables them)`)
	fs.BoolVar(&opts.LeaderElect, "leader-elect", false, "elect one active replica through a Lease, for running several")
	fs.StringVar(&opts.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the election Lease (default: --system-namespace)")
	fs.StringVar(&opts.SystemNamespace, "system-namespace", "", "namespace of serve's own objects: the election Lease and the webhook certificate Secret (default: $POD_NAMESPACE, else drctl-system)")
	fs.IntVar(&opts.WebhookPort, "webhook-port", controller.DefaultWebhookPort, "port of the admission webhook server (0: no webhooks)")
	fs.StringVar(&opts.WebhookHost, "webhook-host", "", "address the webhook server binds (default: all)")
	fs.StringVar(&opts.CertDir, "webhook-cert-dir", "", "directory with the webhook server's tls.crt and tls.key, reloaded when they change (default: serve makes its own CA and certificate, kept in the Secret "+controller.WebhookCertSecret+", and injects the CA into the webhook configurations)")
	fs.StringVar(&opts.WebhookService, "webhook-service", controller.DefaultWebhookService, "name of the Service in front of the webhook server (its DNS names go into serve's own certificate)")
	fs.StringVar(&opts.WebhookConfigurationName, "webhook-configuration-name", controller.DefaultWebhookConfigurationName, "name of the webhook configurations whose caBundle serve keeps")
	fs.StringVar(&opts.DefaultServiceAccount, "default-service-account", "", "ServiceAccount (of each plan's namespace) that plans without spec.serviceAccountName act as")
	fs.BoolVar(&opts.AllowControllerIdentity, "allow-controller-identity", false, "let plans without a ServiceAccount act with serve's own rights, in every namespace (default: only in --system-namespace)")
	fs.StringSliceVar(&opts.Namespaces, "watch-namespace", nil, "serve only these namespaces (repeat or separate with commas; default: every namespace)")
	fs.DurationVar(&opts.LeaderElectionLeaseDuration, "leader-election-lease-duration", 15*time.Second, "how long a dead leader keeps the election before another replica takes over")
	fs.IntVar(&opts.MaxConcurrentExecutions, "max-concurrent-executions", controller.DefaultMaxConcurrentExecutions, "executions run at once; more wait their turn")
	fs.DurationVar(&opts.ReconcileInterval, "reconcile-interval", controller.DefaultReconcileInterval, "how often every object is looked at again without a change")
	fs.DurationVar(&opts.ShutdownGrace, "shutdown-grace", controller.DefaultShutdownGrace, "on SIGTERM, how long running actions may take to finish before their runs are handed over")
	fs.DurationVar(&opts.LeaseDuration, "lease-duration", 15*time.Second, "duration of the plan Lease held while running (a dead runner's plan is taken over after it)")
	fs.DurationVar(&opts.CheckInterval, "check-interval", controller.DefaultCheckInterval, "how often every plan is checked as drctl check does (as the identity its runs act as; no HTTP probes) and its Checked condition written; 0 never checks")
	fs.DurationVar(&opts.PartitionTimeout, "partition-timeout", engine.DefaultPartitionTimeout, "how long the API server may be unreachable before a run stops launching actions and ends Unknown")
	return cmd
}

// Validate rejects flags that cannot be honoured (exit code 2).
func Validate(opts *controller.Options) error {
	if opts.MaxConcurrentExecutions <= 0 {
		return cmdutil.Invalidf("--max-concurrent-executions %d: want at least 1", opts.MaxConcurrentExecutions)
	}
	if opts.ReconcileInterval <= 0 {
		return cmdutil.Invalidf("--reconcile-interval %s: want a positive duration", opts.ReconcileInterval)
	}
	if opts.LeaseDuration < 3*time.Second {
		return cmdutil.Invalidf("--lease-duration %s is too short: at least 3s (the API server's clock is known to a second)", opts.LeaseDuration)
	}
	if opts.LeaderElectionLeaseDuration < 3*time.Second {
		return cmdutil.Invalidf("--leader-election-lease-duration %s is too short: at least 3s", opts.LeaderElectionLeaseDuration)
	}
	if opts.WebhookPort < 0 || opts.WebhookPort > 65535 {
		return cmdutil.Invalidf("--webhook-port %d: want a port, or 0 for no webhooks", opts.WebhookPort)
	}
	if opts.ShutdownGrace <= 0 {
		return cmdutil.Invalidf("--shutdown-grace %s: want a positive duration", opts.ShutdownGrace)
	}
	if opts.CheckInterval < 0 {
		return cmdutil.Invalidf("--check-interval %s: want a positive duration, or 0 for no checks", opts.CheckInterval)
	}
	if opts.PartitionTimeout <= 0 {
		return cmdutil.Invalidf("--partition-timeout %s: want a positive duration", opts.PartitionTimeout)
	}
	return nil
}

// Run runs the controller until SIGTERM or SIGINT, then hands its runs over (see the command's
// help).
func Run(ctx context.Context, f *cmdutil.Factory, opts *controller.Options) error {
	cfg, err := f.RESTConfig()
	if err != nil {
		return err
	}
	opts.Logger = f.Logger(slog.LevelInfo)
	opts.SensitiveHeaders = f.SensitiveHeaders()
	mgr, err := controller.NewManager(ctx, cfg, *opts)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-f.Interrupts:
			opts.Logger.Info("signal received; stopping")
			stop()
		case <-ctx.Done():
		}
	}()
	return mgr.Start(ctx)
}

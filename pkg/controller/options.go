package controller

import (
	"log/slog"
	"os"
	"time"
)

// Options configures the controller (the flags of `drctl serve`).
type Options struct {
	// MetricsAddr is where /metrics is served ("0" disables it).
	MetricsAddr string
	// ProbeAddr is where /healthz and /readyz are served ("0" disables them).
	ProbeAddr string
	// LeaderElect runs the controller in one replica at a time, elected through a Lease in
	// LeaderElectionNamespace (controller-runtime's leader election).
	LeaderElect             bool
	LeaderElectionNamespace string
	// LeaderElectionLeaseDuration is how long a dead leader keeps the election (default 15s);
	// the renew deadline and retry period follow from it as in client-go (10s and 2s for 15s).
	LeaderElectionLeaseDuration time.Duration
	// SystemNamespace is where serve keeps its own objects: the election Lease (unless
	// LeaderElectionNamespace says otherwise) and the webhook certificate's Secret. Default:
	// $POD_NAMESPACE, else drctl-system.
	SystemNamespace string
	// WebhookPort is the admission webhook server's port (0: no webhook server); WebhookHost the
	// address it binds (default all).
	WebhookPort int
	WebhookHost string
	// CertDir holds the webhook server's tls.crt and tls.key (cert-manager, say). Empty: serve
	// makes its own CA and certificate (see webhook_certs.go) for WebhookService, and puts the CA
	// into the webhook configurations named WebhookConfigurationName.
	CertDir                  string
	WebhookService           string
	WebhookConfigurationName string
	// DefaultServiceAccount is the ServiceAccount (of each plan's namespace) that runs of plans
	// without spec.serviceAccountName act as. AllowControllerIdentity lets such plans act as the
	// controller itself when no default is set (see identity.go).
	DefaultServiceAccount   string
	AllowControllerIdentity bool
	// Namespaces limits the controller to these namespaces (empty: every namespace).
	Namespaces []string
	// MaxConcurrentExecutions bounds the executions this process runs at once; more wait.
	MaxConcurrentExecutions int
	// ReconcileInterval is how often every object is looked at again, even without a change.
	ReconcileInterval time.Duration
	// LeaseDuration and PartitionTimeout tune the engine as for the CLI (zero: its defaults).
	LeaseDuration    time.Duration
	PartitionTimeout time.Duration
	// ShutdownGrace is how long running actions may take to finish when the controller stops
	// (default 30s); then the runs are handed over, or stopped hard past it.
	ShutdownGrace time.Duration
	// RetryDelay is how long an execution waits before another try after its plan was locked or
	// the API server failed (default 5s).
	RetryDelay time.Duration
	// CheckInterval is how often every plan is checked as drctl check would (as the identity its
	// runs act as) and its Checked condition written; 0 never checks.
	CheckInterval time.Duration
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// SensitiveHeaders names HTTP headers whose values are credentials (engine.Config).
	SensitiveHeaders []string
}

// Defaults of Options.
const (
	DefaultMaxConcurrentExecutions = 10
	DefaultReconcileInterval       = 30 * time.Second
	DefaultRetryDelay              = 5 * time.Second
	DefaultShutdownGrace           = 30 * time.Second
	DefaultCheckInterval           = time.Hour
	DefaultSystemNamespace         = "drctl-system"
	DefaultWebhookService          = "drctl-webhook"
	DefaultWebhookPort             = 9443
	// WebhookCertSecret is the Secret (in the system namespace) holding the webhook certificate
	// serve makes when no CertDir is given.
	WebhookCertSecret = "drctl-webhook-tls"
)

func (o *Options) defaults() {
	if o.MaxConcurrentExecutions <= 0 {
		o.MaxConcurrentExecutions = DefaultMaxConcurrentExecutions
	}
	if o.ReconcileInterval <= 0 {
		o.ReconcileInterval = DefaultReconcileInterval
	}
	if o.SystemNamespace == "" {
		o.SystemNamespace = os.Getenv("POD_NAMESPACE")
	}
	if o.SystemNamespace == "" {
		o.SystemNamespace = DefaultSystemNamespace
	}
	if o.LeaderElectionNamespace == "" {
		o.LeaderElectionNamespace = o.SystemNamespace
	}
	if o.WebhookService == "" {
		o.WebhookService = DefaultWebhookService
	}
	if o.WebhookConfigurationName == "" {
		o.WebhookConfigurationName = DefaultWebhookConfigurationName
	}
	if o.LeaderElectionLeaseDuration <= 0 {
		o.LeaderElectionLeaseDuration = 15 * time.Second
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = DefaultShutdownGrace
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

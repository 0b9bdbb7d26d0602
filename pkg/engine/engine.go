package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Config is what every operation of the engine shares.
type Config struct {
	// Client writes the run's records (the execution, its journal, events, the plan's status) and
	// reads what the run needs, unless APIReader is set. Its scheme must know drctl's kinds
	// (crd.NewScheme). A manager's cached client will do, with APIReader set.
	Client client.Client
	// APIReader, when set, serves every read instead of Client: the engine decides from the state
	// stored in the API server (records, journals, Leases, Secrets), never from a cache that may
	// lag it — and reading through a cache would start informers over every ConfigMap and Secret
	// of the cluster. Give a manager's GetAPIReader() when Client is the manager's cached client.
	APIReader client.Reader
	// Watcher watches the execution for cancel requests, so that one is seen at once. Nil uses
	// Client when it can watch (client.WithWatch); with neither, the runner reads the execution
	// every few seconds instead.
	Watcher client.WithWatch
	// ActionClient is the identity actions act with, and parameters' valueFrom read with: the
	// plan's ServiceAccount in a shared cluster. Nil uses Watcher (actions await Jobs by watching).
	ActionClient client.WithWatch
	// LeaseClient renews the plan's Lease. Give it a client of its own (its own rate limiter),
	// so that renewals never queue behind the run's writes in client-go's client-side limiter
	// and lapse under load. Nil uses Client.
	LeaseClient client.Client
	// Clock estimates the API server's time; the client's transport must feed it
	// (rest.Config.Wrap(clock.Wrap)). Nil uses local time.
	Clock *lease.ServerClock
	// Actions performs the actions (actions.Default() when nil).
	Actions *actions.Registry
	// Observer receives every transition; nil discards them.
	Observer Observer
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// SensitiveHeaders names HTTP headers, beyond Authorization, cookies and names that mention a
	// token, secret, key or password, whose values are credentials: they are redacted wherever
	// drctl shows a request.
	SensitiveHeaders []string
	// Runner identifies this process in the Lease, the annotations and the status.
	Runner v1alpha1.RunnerInfo

	// StatusInterval bounds how far the recorded status may lag a transition (default 250ms).
	StatusInterval time.Duration
	// PartitionTimeout is how long the API server may be unreachable before the run stops
	// launching actions and ends Unknown (default 2m).
	PartitionTimeout time.Duration
	// LeaseDuration is the plan Lease's duration (default 15s); the renew deadline and the retry
	// period follow from it (lease.Timings: 10s and 2s for 15s). No action starts unless the
	// runner holds the Lease for at least the retry period more.
	LeaseDuration time.Duration
	// LeaseRetryPeriod overrides how often the Lease is renewed (tests).
	LeaseRetryPeriod time.Duration
	// MaxRetryDelay caps the delay between attempts (default 5m).
	MaxRetryDelay time.Duration
	// Now returns local time, for timestamps (default time.Now).
	Now func() time.Time
	// Drain, when closed, hands runs over instead of finishing them: no action starts any more,
	// running ones finish, and the run records its progress, leaves its execution Running and
	// releases the plan's Lease, for another runner to resume at once (a controller replica
	// shutting down). Nil never drains.
	Drain <-chan struct{}
}

// DefaultPartitionTimeout is how long the API server may be unreachable before a run stops.
const DefaultPartitionTimeout = 2 * time.Minute

// Engine runs DR plans.
type Engine struct {
	cfg Config
	// instance tells this engine's Lease holds apart from any other's, even one with the same
	// user, host and pid (a reused pid, a test).
	instance string
}

// New returns an engine, filling Config's defaults.
func New(cfg Config) *Engine {
	if cfg.Actions == nil {
		cfg.Actions = actions.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = lease.NewServerClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.StatusInterval <= 0 {
		cfg.StatusInterval = 250 * time.Millisecond
	}
	if cfg.PartitionTimeout <= 0 {
		cfg.PartitionTimeout = DefaultPartitionTimeout
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = lease.DefaultDuration
	}
	if cfg.MaxRetryDelay <= 0 {
		cfg.MaxRetryDelay = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Watcher == nil {
		cfg.Watcher, _ = cfg.Client.(client.WithWatch)
	}
	if cfg.ActionClient == nil {
		cfg.ActionClient = cfg.Watcher
	}
	if cfg.ActionClient == nil {
		panic("engine.Config: no client for actions: set ActionClient, or give a Client or Watcher that can watch")
	}
	if cfg.APIReader != nil {
		cfg.Client = apiReads{Client: cfg.Client, reader: cfg.APIReader}
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Engine{cfg: cfg, instance: hex.EncodeToString(b)}
}

// Result is how a run ended.
type Result struct {
	// Execution is the execution as last recorded.
	Execution *v1alpha1.DRPlanExecution
	// Phase is Succeeded, Failed, Canceled or Unknown — or Running when the run was handed over
	// to another runner (Config.Drain).
	Phase v1alpha1.ExecutionPhase
	// Message explains a phase other than Succeeded.
	Message string
}

// apiReads is a client whose reads go to APIReader (see Config.APIReader) and writes to Client.
type apiReads struct {
	client.Client
	reader client.Reader
}

func (c apiReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return c.reader.Get(ctx, key, obj, opts...)
}

func (c apiReads) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return c.reader.List(ctx, list, opts...)
}

// newLease is this engine's handle on plan's Lease, held as holder, with the configured timings.
func (e *Engine) newLease(namespace, plan, holder string) *lease.Lease {
	c := e.cfg.LeaseClient
	if c == nil {
		c = e.cfg.Client
	}
	l := lease.New(c, e.cfg.Clock, namespace, lease.Name(plan), holder)
	l.Duration, l.RenewDeadline, l.RetryPeriod = lease.Timings(e.cfg.LeaseDuration)
	if e.cfg.LeaseRetryPeriod > 0 {
		l.RetryPeriod = e.cfg.LeaseRetryPeriod
	}
	return l
}

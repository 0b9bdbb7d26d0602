package engine

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// Config is what every operation of the engine shares.
type Config struct {
	// Client talks to the cluster. Its scheme must know drctl's kinds (crd.NewScheme) and it must
	// be able to watch (client.WithWatch), to see cancel requests at once.
	Client client.WithWatch
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
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Engine{cfg: cfg, instance: hex.EncodeToString(b)}
}

// Result is how a run ended.
type Result struct {
	// Execution is the execution as last recorded.
	Execution *v1alpha1.DRPlanExecution
	// Phase is Succeeded, Failed, Canceled or Unknown.
	Phase v1alpha1.ExecutionPhase
	// Message explains a phase other than Succeeded.
	Message string
}

// InvalidError says the plan, its workflows or the request cannot run; nothing was changed.
type InvalidError struct {
	What        string
	Diagnostics []validate.Diagnostic
}

func (e *InvalidError) Error() string {
	msg := e.What
	for _, d := range e.Diagnostics {
		if d.Severity == validate.SeverityError {
			msg += fmt.Sprintf("\n  %s: %s: %s", d.Object(), d.Field, d.Message)
		}
	}
	return msg
}

func invalidf(format string, args ...any) error {
	return &InvalidError{What: fmt.Sprintf(format, args...)}
}

// IsInvalid reports whether err is an *InvalidError.
func IsInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
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

package engine

import (
	"context"
	"sync"
	"time"

	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// recorder writes the run's state to the DRPlanExecution's status subresource: at most once per
// interval for ordinary transitions (coalescing bursts, so a status is at most interval behind),
// and at once, synchronously, when the engine must know the record is safe before going on — an
// action starting, an action's outputs, the end.
type recorder struct {
	client   client.Client
	state    *state
	interval time.Duration
	onWrite  func(err error) // reports API reachability
	// disowned reports that another runner owns the record now (the Lease was lost): from then on
	// nothing is written, so as not to overwrite the new owner's writes.
	disowned func() bool

	mu      sync.Mutex // serialises writes
	notify  chan struct{}
	stopped chan struct{}
}

func newRecorder(c client.Client, s *state, interval time.Duration, onWrite func(error)) *recorder {
	return &recorder{client: c, state: s, interval: interval, onWrite: onWrite, notify: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// Notify asks for a write within the interval.
func (r *recorder) Notify() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// run writes on notifications until ctx ends, then returns.
func (r *recorder) run(ctx context.Context) {
	defer close(r.stopped)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.notify:
		}
		_ = r.Flush(ctx)
		select { // coalesce whatever else happens within the interval
		case <-ctx.Done():
			return
		case <-time.After(r.interval):
		}
	}
}

// Flush writes the current state now. Conflicts (someone annotated the object, say) are retried
// on the latest version; the status is entirely the engine's.
func (r *recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.disowned != nil && r.disowned() {
		return nil
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		snap := r.state.snapshot()
		err := r.client.Status().Update(ctx, snap)
		if err == nil {
			r.state.mu.Lock()
			r.state.exec.ResourceVersion = snap.ResourceVersion
			r.state.mu.Unlock()
			return nil
		}
		latest := &v1alpha1.DRPlanExecution{}
		if gerr := r.client.Get(ctx, client.ObjectKeyFromObject(snap), latest); gerr != nil {
			return err
		}
		r.state.mu.Lock()
		r.state.exec.ResourceVersion = latest.ResourceVersion
		r.state.exec.Annotations = latest.Annotations
		r.state.mu.Unlock()
		return err
	})
	if r.onWrite != nil {
		r.onWrite(err)
	}
	return err
}

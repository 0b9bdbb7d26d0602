package controller

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// runs is the executions this process runs, each in a goroutine of its own: a run lasts minutes,
// and a Reconcile must return at once. It is a manager Runnable (elected with the controllers), so
// runs start only once the manager runs — and, with leader election, only in the leader.
//
// When the manager stops (SIGTERM), the runs are drained: no action starts any more, running ones
// get the shutdown grace to finish, and each run then records its progress, leaves its execution
// Running and releases its plan, for the next replica to resume at once. Runs still going after
// the grace are stopped hard: their executions stay Running and are resumed once their plan
// Lease expires.
type runs struct {
	max   int
	grace time.Duration
	drain chan struct{} // closed when the manager stops (engine.Config.Drain)

	mu     sync.Mutex
	ctx    context.Context // the runs' own: it outlives the manager's by the grace
	active map[types.NamespacedName]bool
	wg     sync.WaitGroup

	// again re-queues an execution whose run ended without changing it (its plan was locked, the
	// API server failed): no watch event would bring it back otherwise.
	again chan event.GenericEvent
}

func newRuns(max int, grace time.Duration) *runs {
	return &runs{max: max, grace: grace, drain: make(chan struct{}),
		active: map[types.NamespacedName]bool{}, again: make(chan event.GenericEvent, 64)}
}

// Start makes runs possible until ctx ends, then drains them (see runs).
func (r *runs) Start(ctx context.Context) error {
	runCtx, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	r.mu.Lock()
	r.ctx = runCtx
	r.mu.Unlock()
	<-ctx.Done()
	r.mu.Lock()
	close(r.drain)
	r.mu.Unlock()
	finished := make(chan struct{})
	go func() { r.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(r.grace):
		hardStop()
		<-finished
	}
	return nil
}

// NeedLeaderElection: only the leader runs executions.
func (r *runs) NeedLeaderElection() bool { return true }

// launchResult says what launch did.
type launchResult int

const (
	launched    launchResult = iota
	alreadyOurs              // this process runs it already
	atCapacity               // MaxConcurrentExecutions are running
	notStarted               // the manager has not started the runs yet
	stopping                 // the manager is stopping: nothing new starts
)

// launch runs fn for key in a goroutine, unless it runs already or the limit is reached. When fn
// asks for another try (a positive delay), key comes back to the reconciler after it, its slot
// freed meanwhile.
func (r *runs) launch(key types.NamespacedName, fn func(context.Context) (retryAfter time.Duration)) launchResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.ctx == nil:
		return notStarted
	case r.draining():
		return stopping
	case r.active[key]:
		return alreadyOurs
	case len(r.active) >= r.max:
		return atCapacity
	}
	r.active[key] = true
	running.Set(float64(len(r.active)))
	ctx := r.ctx
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		retry := fn(ctx)
		r.done(key)
		if retry > 0 {
			go r.retryLater(ctx, key, retry)
		}
	}()
	return launched
}

// draining reports whether the runs are being drained (under r.mu).
func (r *runs) draining() bool {
	select {
	case <-r.drain:
		return true
	default:
		return false
	}
}

func (r *runs) done(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.active, key)
	running.Set(float64(len(r.active)))
}

// running reports whether this process runs key.
func (r *runs) running(key types.NamespacedName) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active[key]
}

// retryLater brings key back to the reconciler after delay (unless the manager stops first).
func (r *runs) retryLater(ctx context.Context, key types.NamespacedName, delay time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	obj := &v1alpha1.DRPlanExecution{}
	obj.Namespace, obj.Name = key.Namespace, key.Name
	select {
	case r.again <- event.GenericEvent{Object: obj}:
	case <-ctx.Done():
	}
}

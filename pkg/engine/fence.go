package engine

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// A DRPlanExecution's record has one writer: the runner that holds the plan's Lease. Holding the
// Lease is not enough on its own — a runner paused past its lease (a partition, a suspended
// laptop) may come back with writes in flight after another runner took over. So every record is
// stamped with its owner's fence, status.runner.holder and status.runner.epoch (the Lease's
// leaseTransitions when the owner took the plan). Every status write is guarded by the object's
// resourceVersion; on a conflict the writer reads the stored fence, and one that is not its own
// means a newer owner: the writer stops for good.

// fence is a record owner's identity: the Lease holder and its epoch.
type fence struct {
	holder string
	epoch  int32
}

func fenceOf(l *lease.Lease) fence { return fence{holder: l.Holder, epoch: l.Epoch()} }

// owns reports whether exec's record is stamped with f.
func (f fence) owns(exec *v1alpha1.DRPlanExecution) bool {
	r := exec.Status.Runner
	return r != nil && r.Holder == f.holder && r.Epoch == f.epoch
}

// stamp writes f into a runner description.
func (f fence) stamp(r *v1alpha1.RunnerInfo) {
	r.Holder, r.Epoch = f.holder, f.epoch
}

// errSuperseded says a newer owner has stamped the record.
var errSuperseded = errors.New("the execution's record was taken over by another runner")

// claim makes this runner, holding l, the owner of exec's record: it stamps the fence (and
// runner) into the status and applies change, in one write guarded by the resourceVersion read;
// change sees the latest record each time and may refuse it with an error.
// Holding the Lease, the runner is the newest owner; should the stored epoch not be older than its
// own (the Lease was deleted and recreated, which restarts leaseTransitions), it first raises its
// epoch above the stored one. exec is updated to what was written.
func (e *Engine) claim(ctx context.Context, l *lease.Lease, exec *v1alpha1.DRPlanExecution, change func(*v1alpha1.DRPlanExecution) error) error {
	for attempt := 0; ; attempt++ {
		if r := exec.Status.Runner; r != nil && r.Holder != l.Holder && r.Epoch >= l.Epoch() {
			if err := l.RaiseEpoch(ctx, r.Epoch); err != nil {
				return err
			}
		}
		next := exec.DeepCopy()
		// What the previous owner made durable in its journal but not yet in the record is part
		// of the record from now on.
		j, _, err := readJournal(ctx, e.cfg.Client, next)
		if err != nil {
			return err
		}
		j.fold(next)
		runner := e.runnerInfo()
		fenceOf(l).stamp(&runner)
		next.Status.Runner = &runner
		if change != nil {
			if err := change(next); err != nil {
				return err
			}
		}
		err = e.cfg.Client.Status().Update(ctx, next)
		if err == nil {
			*exec = *next
			if err := takeOverJournal(ctx, e.cfg.Client, exec, fenceOf(l)); err != nil {
				return fmt.Errorf("take over the journal of %s: %w", exec.Name, err)
			}
			return nil
		}
		if !apierrors.IsConflict(err) || attempt >= 5 {
			return fmt.Errorf("take over the record of %s: %w", exec.Name, err)
		}
		if err := e.cfg.Client.Get(ctx, objectKey(exec.Namespace, exec.Name), exec); err != nil {
			return fmt.Errorf("take over the record of %s: %w", exec.Name, err)
		}
	}
}

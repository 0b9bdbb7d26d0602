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
//
// The previous owner's journal is taken over first, guarded by the version read: a journal write
// of the previous owner that lands after the read makes the claim read again, so nothing it made
// durable is lost, and once taken over, its next journal write finds the newer owner (as its next
// record write does). The taken-over journal keeps the previous one until the record, with it
// folded in, is written. claim returns the new owner's journal, nil when it may not write
// ConfigMaps.
func (e *Engine) claim(ctx context.Context, l *lease.Lease, exec *v1alpha1.DRPlanExecution, change func(*v1alpha1.DRPlanExecution) error) (*journalWriter, error) {
	for attempt := 0; ; attempt++ {
		// The journal, then the record, both as they are now (the caller's copy may predate
		// another claim): in this order the record holds whatever the journal no longer does.
		j, cm, err := readJournal(ctx, e.cfg.Client, exec)
		if err != nil {
			return nil, err
		}
		if err := e.cfg.Client.Get(ctx, objectKey(exec.Namespace, exec.Name), exec); err != nil {
			return nil, fmt.Errorf("take over the record of %s: %w", exec.Name, err)
		}
		if r := exec.Status.Runner; r != nil && r.Holder != l.Holder && r.Epoch >= l.Epoch() {
			if err := l.RaiseEpoch(ctx, r.Epoch); err != nil {
				return nil, err
			}
		}
		f := fenceOf(l)
		journal := newJournalWriter(e.cfg.Client, exec, f)
		err = journal.takeOver(ctx, cm, j.matching(exec))
		switch {
		case errors.Is(err, errJournalMoved) && attempt < 5:
			continue
		case apierrors.IsForbidden(err) && cm != nil:
			// Readable but not writable: the previous owner's journal could not be fenced.
			return nil, fmt.Errorf("%s's journal, ConfigMap %s, can be read but not updated with your permissions: the record cannot be taken over safely: %w", exec.Name, cm.Name, err)
		case apierrors.IsForbidden(err):
			journal = nil // no permission on ConfigMaps: the runner writes the record instead
		case err != nil:
			return nil, fmt.Errorf("take over the journal of %s: %w", exec.Name, err)
		}
		next := exec.DeepCopy()
		j.fold(next) // what the previous owner made durable is part of the record from now on
		runner := e.runnerInfo()
		f.stamp(&runner)
		if journal != nil {
			runner.Journal = journalName(exec.Name)
		}
		next.Status.Runner = &runner
		if change != nil {
			if err := change(next); err != nil {
				return nil, err
			}
		}
		if v1alpha1.IsFinished(next.Status.Phase) {
			runner.Journal = "" // the record holds everything: its journal is deleted next
		}
		err = e.cfg.Client.Status().Update(ctx, next)
		if err == nil {
			*exec = *next
			return journal, nil
		}
		if !apierrors.IsConflict(err) || attempt >= 5 {
			return nil, fmt.Errorf("take over the record of %s: %w", exec.Name, err)
		}
	}
}

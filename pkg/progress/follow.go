package progress

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

// Follow watches exec, run by any runner, until it ends, feeding observer the events between
// successive records (the events a runner's own observer would have had). It returns the final
// record, or nil when detached says the person watching has stopped.
func Follow(ctx context.Context, c client.WithWatch, exec *v1alpha1.DRPlanExecution, observer engine.Observer, detached func() bool) (*v1alpha1.DRPlanExecution, error) {
	tree := tui.NewTree(exec)
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for { // a watch the API server closes (timeout, restart) is opened again
		w, err := c.Watch(ctx, &v1alpha1.DRPlanExecutionList{}, client.InNamespace(exec.Namespace),
			client.MatchingFields{"metadata.name": exec.Name})
		if err != nil {
			return nil, err
		}
		final, stop, err := followOne(ctx, w.ResultChan(), ticker.C, &tree, observer, detached)
		w.Stop()
		if stop {
			return final, err
		}
	}
}

// followOne reads one watch until it closes (stop false) or following ends (stop true).
func followOne(ctx context.Context, events <-chan watch.Event, tick <-chan time.Time, tree **tui.Tree, observer engine.Observer, detached func() bool) (final *v1alpha1.DRPlanExecution, stop bool, err error) {
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, false, nil
			}
			next, isExec := ev.Object.(*v1alpha1.DRPlanExecution)
			if !isExec {
				continue
			}
			nextTree := tui.NewTree(next)
			for _, e := range tui.Diff(*tree, nextTree, time.Now()) {
				observer.Observe(e)
			}
			*tree = nextTree
			if Ended(next) {
				return next, true, nil
			}
		case <-tick:
			if detached != nil && detached() {
				return nil, true, nil
			}
		case <-ctx.Done():
			return nil, true, ctx.Err()
		}
	}
}

// Ended says the execution will change no more without a person: finished, or Unknown.
func Ended(e *v1alpha1.DRPlanExecution) bool {
	return v1alpha1.IsFinished(e.Status.Phase) || e.Status.Phase == v1alpha1.PhaseUnknown
}

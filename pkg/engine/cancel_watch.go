package engine

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// cancelPollPeriod is how often the runner reads the execution for a cancel request while it
// cannot watch it (no watch permission, a proxy that cuts long requests).
const cancelPollPeriod = 2 * time.Second

// watchCancel watches the execution for the cancel annotation and operator signals. A watch that cannot be opened or
// that breaks is re-established; meanwhile, and after every break (a watch may miss an event
// across a reconnect), the runner reads the execution instead, so a cancel is never lost.
//
// It watches the metadata only: every status write of the run makes an event, and the whole
// object in each would download the record again and again for an annotation.
func (r *runner) watchCancel(ctx context.Context) {
	exec := r.st.snapshot()
	failures := 0
	for ctx.Err() == nil {
		if r.e.cfg.Watcher != nil { // else: nothing to watch with; read the execution every few seconds
			r.watchOnce(ctx, exec, &failures)
		}
		r.pollCancel(ctx, exec)
		select {
		case <-ctx.Done():
			return
		case <-time.After(cancelPollPeriod):
		}
	}
}

// watchOnce follows one watch of the execution until it breaks.
func (r *runner) watchOnce(ctx context.Context, exec *v1alpha1.DRPlanExecution, failures *int) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(v1alpha1.KindDRPlanExecution + "List"))
	w, err := r.e.cfg.Watcher.Watch(ctx, list, client.InNamespace(exec.Namespace),
		client.MatchingFields{"metadata.name": exec.Name})
	if err != nil {
		*failures++
		if *failures == 1 {
			r.logger.Warn("cannot watch the execution for cancel requests; reading it every few seconds instead", "err", err)
		}
		return
	}
	*failures = 0
	r.watching.Store(true)
	r.followCancel(w)
	r.watching.Store(false)
	w.Stop()
}

// followCancel reads watch events until the watch ends or reports an error.
func (r *runner) followCancel(w watch.Interface) {
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			return
		}
		if ev.Type == watch.Deleted {
			r.recordGone()
			return
		}
		if obj, ok := ev.Object.(*metav1.PartialObjectMetadata); ok {
			r.readAnnotations(obj.Annotations)
		}
	}
}

// pollCancel reads the execution's metadata once for the cancel annotation.
func (r *runner) pollCancel(ctx context.Context, exec *v1alpha1.DRPlanExecution) {
	latest := &metav1.PartialObjectMetadata{}
	latest.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(v1alpha1.KindDRPlanExecution))
	err := r.e.cfg.Client.Get(ctx, client.ObjectKeyFromObject(exec), latest)
	switch {
	case apierrors.IsNotFound(err):
		r.recordGone()
	case err == nil:
		r.readAnnotations(latest.Annotations)
	}
}

// readAnnotations acts on a cancel request and on new operator signals.
func (r *runner) readAnnotations(annotations map[string]string) {
	if annotations[AnnotationCancel] == "true" {
		r.cancelRequested()
	}
	r.receiveSignals(annotations[AnnotationSignals])
}

// recordGone stops a run whose execution was deleted: its record can never be written again.
// (Its journal writes would still succeed, so the recorder might not find out before the next
// action starts.)
func (r *runner) recordGone() {
	name := r.st.name()
	gone := apierrors.NewNotFound(v1alpha1.GroupVersion.WithResource("drplanexecutions").GroupResource(), name)
	r.recordFailed(&permanentWriteError{err: fmt.Errorf("record execution %s: %w", name, gone)})
}

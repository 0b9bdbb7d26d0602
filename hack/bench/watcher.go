package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// statusWatcher is an independent observer of a run, like `kubectl get -w` or a dashboard: it
// watches the namespace's DRPlanExecutions through the API server and notes when it first sees
// each action recorded Succeeded. Seeing it is what a user relies on, so the lag is measured here
// rather than inside drctl. It is started before drctl creates the execution, so it misses no
// write (a watch delivers every change from its start, unlike a poll).
type statusWatcher struct {
	execution string

	mu        sync.Mutex
	succeeded map[string]time.Time // statusKey -> when first seen Succeeded
	events    int                  // watch events about the execution
	restarts  int                  // watches reopened after the server closed one
	phase     v1alpha1.ExecutionPhase
	ended     chan struct{} // closed when the execution is seen in a final phase
	endedOnce sync.Once

	cancel context.CancelFunc
	done   chan struct{}
}

// startWatcher opens the watch and returns once the API server has accepted it.
func startWatcher(ctx context.Context, c client.WithWatch, ns, execution string) (*statusWatcher, error) {
	ctx, cancel := context.WithCancel(ctx)
	w, err := c.Watch(ctx, &v1alpha1.DRPlanExecutionList{}, client.InNamespace(ns))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch drplanexecutions in %s: %w", ns, err)
	}
	sw := &statusWatcher{execution: execution, succeeded: map[string]time.Time{},
		ended: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go sw.loop(ctx, c, ns, w)
	return sw, nil
}

func (sw *statusWatcher) loop(ctx context.Context, c client.WithWatch, ns string, w watch.Interface) {
	defer close(sw.done)
	lastRV := ""
	for {
		for ev := range w.ResultChan() {
			seen := time.Now() // before any work of ours, so the lag excludes it
			exec, ok := ev.Object.(*v1alpha1.DRPlanExecution)
			if !ok || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			lastRV = exec.ResourceVersion
			if exec.Name == sw.execution {
				sw.observe(exec, seen)
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return
		}
		// The API server ends every watch after a while; carry on from the last version seen so
		// that no transition is lost. The reopened watch is counted: its predecessor's request
		// shows up in the API server's metrics and is the bench's, not drctl's.
		var err error
		for {
			opts := &client.ListOptions{Namespace: ns, Raw: &metav1.ListOptions{ResourceVersion: lastRV}}
			if w, err = c.Watch(ctx, &v1alpha1.DRPlanExecutionList{}, opts); err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		sw.mu.Lock()
		sw.restarts++
		sw.mu.Unlock()
	}
}

// observe records the first sighting of every action in Succeeded, and the run's end.
func (sw *statusWatcher) observe(exec *v1alpha1.DRPlanExecution, seen time.Time) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.events++
	for _, stage := range exec.Status.StageStatuses {
		for _, wf := range stage.WorkflowExecutions {
			for _, a := range wf.ActionStatuses {
				if a.Phase != v1alpha1.PhaseSucceeded {
					continue
				}
				k := statusKey(wf.WorkflowRef.Name, a.Name)
				if _, ok := sw.succeeded[k]; !ok {
					sw.succeeded[k] = seen
				}
			}
		}
	}
	sw.phase = exec.Status.Phase
	switch exec.Status.Phase {
	case v1alpha1.PhaseSucceeded, v1alpha1.PhaseFailed, v1alpha1.PhaseCanceled, v1alpha1.PhaseUnknown:
		sw.endedOnce.Do(func() { close(sw.ended) })
	}
}

// waitEnded waits up to d for the execution to be seen in a final phase: drctl exits after its
// last write, but the watcher may receive that write a moment later.
func (sw *statusWatcher) waitEnded(d time.Duration) bool {
	select {
	case <-sw.ended:
		return true
	case <-time.After(d):
		return false
	}
}

// stop ends the watch and returns what was seen.
func (sw *statusWatcher) stop() watchResult {
	sw.cancel()
	<-sw.done
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return watchResult{Succeeded: sw.succeeded, Events: sw.events, Restarts: sw.restarts, Phase: sw.phase}
}

// watchResult is what the watcher saw of one run.
type watchResult struct {
	Succeeded map[string]time.Time
	Events    int
	Restarts  int
	Phase     v1alpha1.ExecutionPhase
}

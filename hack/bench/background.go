package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The API server's counter has no namespace or user label, so two kinds of request that are not
// drctl's land in drctl's rows, and are taken out here:
//   - the API server renews its own identity Lease in kube-system (one PUT every 10 s), which over
//     a 200 s run is 20 "leases PUT" that drctl never sent;
//   - the bench's own watches (of the executions, and of those Leases), when the server closed one
//     during the run and it was reopened: a watch is counted when it ends, so one that stays open
//     is not counted at all, but one that ends in the window is.

// leaseRenewals counts the writes to Leases in kube-system, by watching them.
type leaseRenewals struct {
	n        atomic.Int64
	restarts atomic.Int64 // watches reopened, each counted by the API server when it ended
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startLeaseRenewals(ctx context.Context, c client.WithWatch) (*leaseRenewals, error) {
	ctx, cancel := context.WithCancel(ctx)
	lr := &leaseRenewals{cancel: cancel}
	w, err := c.Watch(ctx, &coordinationv1.LeaseList{}, client.InNamespace("kube-system"))
	if err != nil {
		cancel()
		return nil, err
	}
	lr.wg.Add(1)
	go func() {
		defer lr.wg.Done()
		for {
			for ev := range w.ResultChan() {
				// The watch opens with an ADDED per existing Lease; only changes are writes.
				if ev.Type == watch.Modified {
					lr.n.Add(1)
				}
			}
			w.Stop()
			if ctx.Err() != nil {
				return
			}
			// Reopened, a watch starts again with ADDED events, which are not counted; a renewal
			// in the gap is missed, an error of at most one request in a run.
			for {
				if w, err = c.Watch(ctx, &coordinationv1.LeaseList{}, client.InNamespace("kube-system")); err == nil {
					break
				}
				if ctx.Err() != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			lr.restarts.Add(1)
		}
	}()
	return lr, nil
}

// count is the number of writes seen so far, and of the watch's own restarts.
func (lr *leaseRenewals) count() (writes, restarts int64) { return lr.n.Load(), lr.restarts.Load() }

func (lr *leaseRenewals) stop() {
	lr.cancel()
	lr.wg.Wait()
}

// notDrctls is what to subtract from a run's diff: the API server's own Lease renewals and the
// bench's reopened watches.
func notDrctls(leaseWrites, leaseWatchRestarts int64, execWatchRestarts int) requestCounts {
	return requestCounts{
		{Verb: "PUT", Group: "coordination.k8s.io", Resource: "leases"}:              float64(leaseWrites),
		{Verb: "WATCH", Group: "coordination.k8s.io", Resource: "leases"}:            float64(leaseWatchRestarts),
		{Verb: "WATCH", Group: "dr.bkbcs.tencent.com", Resource: "drplanexecutions"}: float64(execWatchRestarts),
	}
}

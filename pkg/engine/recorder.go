package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// recorder makes the run's state durable. The number and the size of its writes follow time and
// durability needs, not the number of transitions:
//   - the record (the DRPlanExecution's status) is written whole at most once per interval (a
//     burst coalesces, and a watcher sees the status at most an interval late), and at the end
//     (Flush);
//   - a caller that must know its transition is durable before going on (runner.durable: an
//     action about to start) calls Commit, which writes the journal (journal.go): only the nodes
//     changed since the record's last write, a small object however long the run. One journal
//     write is in flight at a time; callers arriving meanwhile wait for the next one, which
//     carries all their transitions (group commit), and a caller whose transition an earlier
//     write (of the journal or the record) already carried returns at once.
//
// Each write is the state at one version, so it carries every earlier transition. Without a
// journal (no permission on ConfigMaps), Commit writes the record.
//
// It writes only as the record's owner (see fence.go) and only while the runner may act on the
// Lease (holding reports it); a write it cannot make now fails with errNotHolding and is made by a
// later one, once the Lease is renewed.
type recorder struct {
	client   client.Client
	state    *state
	fence    fence
	interval time.Duration
	timeout  time.Duration // of one request: a write that hangs (a dead route) is given up and retried
	// holding reports whether the runner holds the Lease now (its renew deadline is ahead).
	holding func() bool
	// hooks tell the runner what writes learn: whether the API server answered (partition
	// detection), that the record can never be written, that a newer owner took it, that a cancel
	// was requested.
	hooks recorderHooks

	disowned atomic.Bool // a newer owner has the record, or the Lease was lost: never write again
	// failingSince is when writes (of any kind) started failing, 0 while the last one succeeded;
	// recordFailingSince the same for writes of the whole record, and recordErr why the last one
	// failed: a record that cannot be written stops the run even while its journal can. (Not
	// "time since the last write": a long action writes nothing, and fails nothing.)
	failingSince       atomic.Int64
	recordFailingSince atomic.Int64
	recordErr          atomic.Value // error
	mu                 sync.Mutex   // one record write in flight
	jmu                sync.Mutex   // one journal write in flight; guards journal
	journal            *journalWriter
	// recordVersion and journalVersion are the state versions the last successful write of each
	// carried.
	recordVersion  atomic.Uint64
	journalVersion atomic.Uint64
	notify         chan struct{}
}

type recorderHooks struct {
	contact    func(err error)
	permanent  func(err error)
	superseded func()
	canceled   func()
}

var errNotHolding = errors.New("the runner does not hold the plan's lease now; the record is written once it is renewed")

// permanentWriteError is a write the API server will refuse however often it is retried.
type permanentWriteError struct{ err error }

func (e *permanentWriteError) Error() string { return e.err.Error() }
func (e *permanentWriteError) Unwrap() error { return e.err }

func newRecorder(c client.Client, s *state, f fence, interval, timeout time.Duration, holding func() bool, hooks recorderHooks, journal *journalWriter) *recorder {
	r := &recorder{client: c, state: s, fence: f, interval: interval, timeout: timeout, holding: holding, hooks: hooks, journal: journal, notify: make(chan struct{}, 1)}
	return r
}

// failingFor is how long writes have been failing (0 when the last one succeeded).
func (r *recorder) failingFor() time.Duration { return sinceSet(&r.failingSince) }

// recordFailingFor is the same for writes of the whole record.
func (r *recorder) recordFailingFor() time.Duration { return sinceSet(&r.recordFailingSince) }

func sinceSet(t *atomic.Int64) time.Duration {
	if v := t.Load(); v != 0 {
		return time.Since(time.Unix(0, v))
	}
	return 0
}

func markFailing(t *atomic.Int64) { t.CompareAndSwap(0, time.Now().UnixNano()) }

// Notify asks for a write within the interval.
func (r *recorder) Notify() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// disown stops all writes for good.
func (r *recorder) disown() { r.disowned.Store(true) }

// run writes on notifications until ctx ends, then returns.
func (r *recorder) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.notify:
		}
		began := time.Now()
		var perm *permanentWriteError
		if err := r.Flush(ctx); err != nil && !errors.As(err, &perm) && !r.disowned.Load() {
			r.Notify() // not written: try again after the interval
		}
		// Coalesce whatever else happens within the interval, counted from the write's start: a
		// large record takes a while to write, and a watcher must not wait for both.
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.interval - time.Since(began)):
		}
	}
}

// deleteJournal removes the journal once the record holds everything in it.
func (r *recorder) deleteJournal(ctx context.Context) error {
	r.jmu.Lock()
	defer r.jmu.Unlock()
	if r.journal == nil || r.disowned.Load() {
		return nil
	}
	return r.journal.delete(ctx)
}

// mayWrite says why the recorder may not write now, or nil: the record is another owner's, or
// the runner is past its renew deadline.
func (r *recorder) mayWrite() error {
	switch {
	case r.disowned.Load():
		return errSuperseded
	case !r.holding():
		return errNotHolding
	}
	return nil
}

// Commit returns once every transition made before the call is durable: in the journal, or in
// the record, by a write of its own or by one that another caller started after the transition
// (group commit).
func (r *recorder) Commit(ctx context.Context) error {
	want := r.state.currentVersion()
	r.jmu.Lock()
	defer r.jmu.Unlock()
	for {
		if max(r.recordVersion.Load(), r.journalVersion.Load()) >= want {
			return nil
		}
		if r.journal == nil {
			return r.Flush(ctx)
		}
		if err := r.mayWrite(); err != nil {
			return err
		}
		entries, version, ok := r.state.journalEntries(r.recordVersion.Load())
		if !ok {
			return r.Flush(ctx) // a change only the whole record carries
		}
		wctx, cancel := context.WithTimeout(ctx, r.timeout)
		err := r.journal.write(wctx, entries)
		cancel()
		switch {
		case err == nil:
			r.journalVersion.Store(max(r.journalVersion.Load(), version))
			r.failingSince.Store(0)
			r.hooks.contact(nil)
			return nil
		case errors.Is(err, errSuperseded):
			r.hooks.contact(nil)
			r.disown()
			r.hooks.superseded()
			return errSuperseded
		case apierrors.IsForbidden(err):
			// No permission on ConfigMaps: make transitions durable in the record instead (slower).
			r.hooks.contact(nil)
			r.journal = nil
			continue
		case errors.Is(err, errJournalGone):
			// A newer owner that ended the run stamped the record first; otherwise the record
			// takes over what the journal did (or is gone too, which stops the run).
			r.hooks.contact(nil)
			if err := r.journalGone(ctx); err != nil {
				return err
			}
			r.journal = nil
			continue
		}
		markFailing(&r.failingSince)
		return r.failed(err)
	}
}

// journalGone finds out why the journal disappeared: errSuperseded when a newer owner stamped
// the record, a permanent error when the record is gone too, nil when the record is still this
// runner's (someone else deleted the journal).
func (r *recorder) journalGone(ctx context.Context) error {
	_, err := r.readOwnRecord(ctx, client.ObjectKey{Namespace: r.journal.meta.Namespace, Name: r.journal.header.Execution})
	return err
}

// readOwnRecord reads the stored record. One stamped by a newer owner disowns it for good:
// errSuperseded.
func (r *recorder) readOwnRecord(ctx context.Context, key client.ObjectKey) (*v1alpha1.DRPlanExecution, error) {
	latest := &v1alpha1.DRPlanExecution{}
	gctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Get(gctx, key, latest); err != nil {
		return nil, r.failed(err)
	}
	r.hooks.contact(nil)
	if !r.fence.owns(latest) {
		r.disown()
		r.hooks.superseded()
		return nil, errSuperseded
	}
	return latest, nil
}

// Flush returns once every transition made before the call is in the record: by a write of its
// own, or by one that another caller started after the transition (group commit). A conflict
// (someone annotated the object, say) is retried on the latest version if the record is still
// this runner's; if a newer owner stamped it, the recorder disowns it and returns errSuperseded.
func (r *recorder) Flush(ctx context.Context) error {
	want := r.state.currentVersion()
	r.mu.Lock()
	defer r.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if r.recordVersion.Load() >= want {
			return nil // a write that started after the caller's transitions carried them
		}
		if err := r.mayWrite(); err != nil {
			return err
		}
		snap, version := r.state.versioned()
		if snap.Status.Runner != nil {
			snap.Status.Runner.Sequence = int64(version) // what a journal's entries are newer than
		}
		wctx, cancel := context.WithTimeout(ctx, r.timeout)
		err := r.client.Status().Update(wctx, snap)
		cancel()
		if err == nil {
			r.state.setResourceVersion(snap.ResourceVersion)
			r.recordVersion.Store(version)
			r.state.written(version)
			r.failingSince.Store(0)
			r.recordFailingSince.Store(0)
			r.hooks.contact(nil)
			return nil
		}
		if !apierrors.IsConflict(err) || attempt >= 5 {
			r.recordErr.Store(fmt.Errorf("%w", err))
			markFailing(&r.recordFailingSince)
			markFailing(&r.failingSince)
			return r.failed(err)
		}
		latest, err := r.readOwnRecord(ctx, client.ObjectKeyFromObject(snap))
		if err != nil {
			return err
		}
		if latest.Annotations[AnnotationCancel] == "true" {
			r.hooks.canceled() // the cancel watch may be broken; a conflict shows the request too
		}
		r.state.refreshMeta(latest)
	}
}

// failed classifies a failed write: an API server that could not be reached counts against the
// partition timeout; an answer that retrying cannot change (the execution deleted, no permission,
// the object too large, invalid) is permanent.
func (r *recorder) failed(err error) error {
	switch {
	// Not 401: a credential plugin may be refreshing its token; a lasting 401 stops the run after
	// the partition timeout (runner.durable).
	case apierrors.IsNotFound(err), apierrors.IsForbidden(err),
		apierrors.IsRequestEntityTooLargeError(err), apierrors.IsInvalid(err), apierrors.IsBadRequest(err),
		apierrors.IsMethodNotSupported(err):
		r.hooks.contact(nil)
		perm := &permanentWriteError{err: fmt.Errorf("record execution %s: %w", r.state.name(), err)}
		r.hooks.permanent(perm)
		return perm
	case apierrors.IsConflict(err):
		r.hooks.contact(nil)
	default:
		r.hooks.contact(err)
	}
	return err
}

// recordVerdict writes only the execution's phase, message and completion time, in a small merge
// patch guarded by the resourceVersion (so never over a newer owner's writes): what a record that
// cannot be written in full (too large, say) can still tell about its end.
func (r *recorder) recordVerdict(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.mayWrite(); err != nil {
		return err
	}
	snap := r.state.snapshot()
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	data, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": snap.ResourceVersion},
		"status":   map[string]any{"phase": snap.Status.Phase, "message": snap.Status.Message, "completionTime": snap.Status.CompletionTime},
	})
	if err != nil {
		return err
	}
	return r.client.Status().Patch(ctx, snap, client.RawPatch(types.MergePatchType, data))
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// stopReason says why a run stops launching work early.
type stopReason int32

const (
	running stopReason = iota
	// stopCanceled: a cancel request. Running actions finish, the rest are Skipped.
	stopCanceled
	// The rest interrupt the run: nothing more starts, and what has not finished stays as it is in
	// the record (Pending, Running), for `drctl resume`. The run ends Unknown.
	stopPartitioned  // the API server was unreachable for longer than the partition timeout
	stopLeaseLost    // another runner took the plan over: this one never writes again
	stopRecordFailed // the record cannot be written (deleted, forbidden, too large)
	// stopDraining: this runner is shutting down (Config.Drain). Running actions finish; the run
	// stays Running, its progress recorded, and the plan is released for another runner.
	stopDraining
)

// runner carries one run from its first action to its recorded end.
type runner struct {
	e     *Engine
	st    *state
	rec   *recorder
	prog  *program
	lease *lease.Lease
	// logger is the engine's logger with the run's sensitive values redacted.
	logger    *slog.Logger
	events    *kubeEvents
	namespace string // the plan's namespace
	revert    bool
	// resumedFrom names the runner whose run this one resumes ("" for a new run).
	resumedFrom string
	// ctl holds the operator's signals: a pause, and the decisions the run waits for.
	ctl *controls
	// askOnFailure: an action that fails for good waits for an operator's decision (onFailure Ask).
	askOnFailure bool
	// stagesHalted: a stage failed under failurePolicy Stop; no stage starts any more, and the
	// stages that wait at their approval gates give up.
	stagesHalted atomic.Bool

	stop        atomic.Int32
	watching    atomic.Bool  // the cancel watch is open: a cancel request is seen at once
	recordErr   atomic.Value // error: why the record cannot be written (stopRecordFailed)
	lastContact atomic.Int64 // unix nanos of the last answer from the API server

	// work is the context of running actions: losing the plan cancels it (with errPlanTakenOver,
	// not the attempt's timeout), so that nothing keeps acting for a runner that lost the plan,
	// and executors leave their work in place for the new owner.
	work     context.Context
	stopWork context.CancelCauseFunc
}

// errPlanTakenOver is the cause of the running actions' context when another runner took the plan.
var errPlanTakenOver = errors.New("another runner took the plan over; the action is left to it")

// newRunner prepares a run of exec, whose record this runner owns under l (stamped and written).
func (e *Engine) newRunner(exec *v1alpha1.DRPlanExecution, prog *program, l *lease.Lease, journal *journalWriter, planNamespace string, revert bool) *runner {
	r := &runner{e: e, prog: prog, lease: l, namespace: planNamespace, revert: revert, logger: redactedLogger(e.cfg.Logger, prog.redact)}
	r.st = &state{exec: exec, observer: e.cfg.Observer, logger: r.logger, now: e.cfg.Now, redact: prog.redact}
	for _, ss := range exec.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			r.logger.Debug("resolved parameters", "execution", exec.Name, "stage", ss.Name, "workflow", w.WorkflowRef.Name, "params", w.ResolvedParams)
		}
	}
	r.rec = newRecorder(e.cfg.Client, r.st, fenceOf(l), e.cfg.StatusInterval, min(10*time.Second, e.cfg.PartitionTimeout),
		func() bool { return l.Remaining() > 0 },
		recorderHooks{
			contact:    r.contact,
			permanent:  r.recordFailed,
			superseded: func() { r.halt(stopLeaseLost) },
			canceled:   r.cancelRequested,
		}, journal)
	r.st.changed = r.rec.Notify
	r.events = newKubeEvents(e.cfg.Client, exec, r.logger, prog.redact)
	r.lastContact.Store(time.Now().UnixNano())
	if exec.Annotations[AnnotationCancel] == "true" { // canceled while no runner was alive
		r.cancelRequested()
	}
	r.ctl = newControls(exec)
	r.askOnFailure = exec.Status.OnFailure == v1alpha1.OnFailureAsk
	r.receiveSignals(exec.Annotations[AnnotationSignals]) // sent while no runner was alive
	return r
}

// contact records the outcome of an API call, for partition detection.
func (r *runner) contact(err error) {
	if err == nil {
		r.lastContact.Store(time.Now().UnixNano())
		return
	}
	if time.Since(time.Unix(0, r.lastContact.Load())) > r.e.cfg.PartitionTimeout {
		r.halt(stopPartitioned)
	}
}

// halt stops the run for reason. An interruption overrides a cancel (a canceled run that then
// loses the API server must still stop waiting for it), and losing the plan overrides everything:
// from then on the run writes nothing, and its running actions are canceled (another runner owns
// them now). After a partition they may finish: their outcome is recorded once the server is back.
func (r *runner) halt(reason stopReason) {
	switch reason {
	case stopLeaseLost:
		r.stop.Store(int32(stopLeaseLost))
		r.rec.disown()
	case stopPartitioned, stopRecordFailed:
		if !r.stop.CompareAndSwap(int32(running), int32(reason)) && !r.stop.CompareAndSwap(int32(stopCanceled), int32(reason)) {
			r.stop.CompareAndSwap(int32(stopDraining), int32(reason))
		}
	default:
		r.stop.CompareAndSwap(int32(running), int32(reason))
	}
	if r.stopping() == stopLeaseLost && r.stopWork != nil {
		r.stopWork(errPlanTakenOver)
	}
}

func (r *runner) cancelRequested() {
	if r.stopping() == running {
		r.logger.Info("cancel requested", "execution", r.st.name())
	}
	r.halt(stopCanceled)
}

func (r *runner) recordFailed(err error) {
	r.recordErr.CompareAndSwap(nil, err)
	r.halt(stopRecordFailed)
	r.logger.Error("the execution's record cannot be written; no further action starts", "err", err)
}

func (r *runner) stopping() stopReason { return stopReason(r.stop.Load()) }

// interrupted reports a stop that leaves the rest of the run for resume (not a cancel).
func (r *runner) interrupted() bool {
	switch r.stopping() {
	case stopPartitioned, stopLeaseLost, stopRecordFailed, stopDraining:
		return true
	}
	return false
}

// run executes the program and records the end. ctx ends only on a hard stop (a second Ctrl-C):
// then the record stays Running, for `drctl resume`.
func (r *runner) run(ctx context.Context) (*Result, error) {
	r.work, r.stopWork = context.WithCancelCause(ctx)
	defer r.stopWork(nil)
	bg, cancelBackground := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); r.rec.run(bg) }()
	go func() { defer wg.Done(); r.keepLease(bg) }()
	go func() { defer wg.Done(); r.watchCancel(bg) }()
	go func() { defer wg.Done(); r.watchDrain(bg) }()
	var once sync.Once
	stopBackground := func() { once.Do(func() { cancelBackground(); wg.Wait() }) }
	defer func() {
		stopBackground()
		r.events.close()
	}()

	name := r.st.exec.Name
	switch {
	case r.resumedFrom != "":
		r.events.normal("ExecutionResumed", "Resumed by %s; its runner before, %s, had stopped", r.e.runnerName(), r.resumedFrom)
	case r.revert:
		r.events.normal("RevertStarted", "Revert started for plan %s", r.st.exec.Spec.PlanRef)
	default:
		r.events.normal("ExecutionStarted", "Execution started for plan %s", r.st.exec.Spec.PlanRef)
	}
	r.st.emit(Event{Type: EventExecution, Phase: v1alpha1.PhaseRunning, Message: "started"})
	started := time.Now()
	if st := r.st.exec.Status.StartTime; r.resumedFrom != "" && st != nil && st.Time.Before(started) {
		started = st.Time // a resumed run's duration counts from its first start
	}

	r.runStages(ctx)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("execution %s interrupted; it stays Running: resume it with `drctl resume %s`: %w", name, name, context.Cause(ctx))
	}
	if r.stopping() == stopDraining {
		return r.handOver(ctx, stopBackground)
	}
	return r.finish(ctx, started, stopBackground)
}

// watchDrain halts the run when Config.Drain closes.
func (r *runner) watchDrain(ctx context.Context) {
	if r.e.cfg.Drain == nil {
		return
	}
	select {
	case <-r.e.cfg.Drain:
		r.logger.Info("draining: no action starts any more; running ones finish", "execution", r.st.name())
		r.halt(stopDraining)
	case <-ctx.Done():
	}
}

// handOver ends a drained run without ending the execution: its progress is recorded in full,
// it stays Running, and the plan's Lease is released, so that another runner resumes it at once
// instead of waiting for the Lease to expire. (Its journal stays: a resume takes it over.)
func (r *runner) handOver(ctx context.Context, stopBackground func()) (*Result, error) {
	msg := fmt.Sprintf("handed over: runner %s@%s stopped; actions that were running finished, the rest waits for the next runner to resume it",
		r.e.cfg.Runner.User, r.e.cfg.Runner.Host)
	r.st.update(func(st *v1alpha1.DRPlanExecutionStatus) { st.Message = msg })
	fctx, cancel := context.WithTimeout(ctx, r.e.cfg.PartitionTimeout)
	defer cancel()
	err := r.rec.Flush(fctx)
	stopBackground() // no renewal or write may race the release
	if err != nil {
		// Not all of it is in the record: the journal has the rest, and the Lease is left to
		// expire rather than released, as after a crash.
		r.logger.Warn("record the hand-over", "execution", r.st.name(), "err", err)
	} else if err := r.lease.Release(fctx); err != nil {
		r.logger.Warn("release lease", "err", err)
	}
	r.events.normal("ExecutionHandedOver", "%s", msg)
	return &Result{Execution: r.st.snapshot(), Phase: v1alpha1.PhaseRunning, Message: msg}, nil
}

// finish records the end of the run — phase, message, completion time, events, plan status —
// then stops renewing the Lease and releases it.
func (r *runner) finish(ctx context.Context, started time.Time, stopBackground func()) (*Result, error) {
	phase, msg, failedAt := r.outcome()
	if r.stopping() == stopLeaseLost {
		// Another runner holds the plan and owns the record now: write nothing.
		stopBackground()
		return &Result{Execution: r.st.snapshot(), Phase: v1alpha1.PhaseUnknown, Message: msg}, nil
	}
	now := metav1.NewTime(r.e.cfg.Now())
	// An end that may be resumed (Unknown) keeps the pause and what waits: the resume holds them.
	// Any other refuses the signals that come from now on.
	final := phase != v1alpha1.PhaseUnknown
	if final {
		r.ctl.end(phase)
	}
	r.st.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		st.Phase, st.Message, st.CompletionTime = phase, msg, &now
		if final {
			endControls(st, "the run ended "+string(phase))
		}
		if st.Runner != nil {
			// Written whole, the record holds everything: its journal is deleted next. (An end
			// recorded only in a small write keeps naming the journal, which still matters.)
			st.Runner.Journal = ""
		}
	})
	r.st.emit(Event{Type: EventExecution, Phase: phase, Message: msg})
	if err := r.recordEnd(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("record the end of execution %s: %w", r.st.exec.Name, err)
		}
		stopBackground()
		if !errors.Is(err, errSuperseded) {
			rctx, cancel := context.WithTimeout(ctx, r.e.cfg.PartitionTimeout)
			_ = r.lease.Release(rctx)
			cancel()
		}
		return &Result{Execution: r.st.snapshot(), Phase: v1alpha1.PhaseUnknown,
			Message: fmt.Sprintf("%s; the end could not be recorded: %v", orDefault(msg, "the run ended "+string(phase)), err)}, nil
	}
	if final {
		r.refuseLateSignals(ctx)
	}
	took := time.Since(started).Round(time.Millisecond)
	switch {
	case phase == v1alpha1.PhaseSucceeded && r.revert:
		r.events.normal("RevertSucceeded", "Revert completed successfully")
	case phase == v1alpha1.PhaseSucceeded:
		r.events.normal("ExecutionSucceeded", "Execution completed successfully in %s", took)
	case phase == v1alpha1.PhaseCanceled:
		r.events.normal("ExecutionCancelled", "Execution cancelled by user")
	case phase == v1alpha1.PhaseFailed && r.revert:
		r.events.warning("RevertFailed", "Revert failed at action %s: %s", failedAt, msg)
	case phase == v1alpha1.PhaseFailed:
		r.events.warning("ExecutionFailed", "Execution failed at action %s: %s", failedAt, msg)
	}
	exec := r.st.snapshot()
	pctx, cancel := context.WithTimeout(ctx, r.e.cfg.PartitionTimeout)
	defer cancel()
	if err := r.e.finishPlanStatus(pctx, exec); err != nil {
		r.logger.Error("update plan status", "plan", exec.Spec.PlanRef, "err", err)
	}
	stopBackground() // no renewal may race the release
	// The record holds everything now: the journal has served its purpose. (Deleted only if it
	// is still this runner's, and before the release, after which it could be another's.)
	if err := r.rec.deleteJournal(pctx); err != nil {
		r.logger.Warn("delete the execution's journal", "journal", journalName(exec.Name), "err", err)
	}
	if err := r.lease.Release(pctx); err != nil {
		r.logger.Warn("release lease", "err", err)
	}
	return &Result{Execution: exec, Phase: phase, Message: msg}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// recordEnd writes the final status. It waits for an unreachable API server, and for the Lease to
// be renewed, for as long as it takes (or until another runner takes the plan, or ctx ends): the
// record must not be left saying Running about a run that ended. A record the server answers but
// refuses — at once (too large, say) or for the partition timeout — gets at least its phase and
// message, in a small write.
func (r *runner) recordEnd(ctx context.Context) error {
	deadline := time.Now().Add(r.e.cfg.PartitionTimeout)
	delay := 100 * time.Millisecond
	for {
		err := r.rec.Flush(ctx)
		var perm *permanentWriteError
		var answered apierrors.APIStatus
		switch {
		case err == nil:
			return nil
		case errors.As(err, &perm), errors.As(err, &answered) && time.Now().After(deadline):
			if verr := r.rec.recordVerdict(ctx); verr != nil {
				return fmt.Errorf("%w (and recording the phase alone failed: %v)", err, verr)
			}
			return err
		case errors.Is(err, errSuperseded), ctx.Err() != nil:
			return err
		}
		r.logger.Warn("record final status", "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// durable makes the state durable now (in the journal, or the record) and waits until it is: an
// action's start, and the outcome and outputs of the one before, must survive a crash before
// anything else happens. It returns false when the run is interrupted first (or ctx ends).
//
// A record that stays unwritable for the partition timeout while the API server answers other
// requests (a webhook down, etcd refusing the size with a 500) stops the run too: nothing may
// start that the record cannot show.
func (r *runner) durable(ctx context.Context) bool {
	if !r.watching.Load() {
		// No cancel watch: look before an action may start (the journal write would not show it).
		pctx, cancel := context.WithTimeout(ctx, r.rec.timeout)
		r.pollCancel(pctx, &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: r.namespace, Name: r.st.name()}})
		cancel()
	}
	delay := 50 * time.Millisecond
	for {
		err := r.rec.Commit(ctx)
		if err == nil {
			// The journal holds it; but a record the API server keeps refusing (a webhook down,
			// etcd refusing the size) stops the run as if the journal could not be written.
			if since := r.rec.recordFailingFor(); since > r.e.cfg.PartitionTimeout {
				last, _ := r.rec.recordErr.Load().(error)
				r.recordFailed(fmt.Errorf("no write of the record succeeded for %s: %v", since.Round(time.Second), last))
				return false
			}
			return true
		}
		var perm *permanentWriteError
		if ctx.Err() != nil || r.interrupted() || errors.As(err, &perm) {
			return false
		}
		if since := r.rec.failingFor(); since > r.e.cfg.PartitionTimeout && !errors.Is(err, errNotHolding) {
			var status apierrors.APIStatus
			if errors.As(err, &status) {
				r.recordFailed(fmt.Errorf("no status write succeeded for %s: %w", since.Round(time.Second), err))
			} else {
				r.halt(stopPartitioned)
			}
			return false
		}
		r.logger.Debug("record not written yet; waiting", "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// awaitLease waits until the runner holds the Lease for at least the retry period more (by the
// local monotonic clock, which the renew deadline allows for): no action starts on a Lease about
// to lapse. It returns false when the run stops first (a partition, a lost Lease, a cancel).
func (r *runner) awaitLease(ctx context.Context) bool {
	for {
		if r.stopping() != running || ctx.Err() != nil {
			return false
		}
		if r.lease.Remaining() >= r.lease.RetryPeriod {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// outcome derives the run's phase from its stages, and names the first failed action.
func (r *runner) outcome() (v1alpha1.ExecutionPhase, string, string) {
	switch r.stopping() {
	case stopLeaseLost:
		return v1alpha1.PhaseUnknown, "the plan's lease was taken over by another runner; this runner stopped at an action boundary", ""
	case stopPartitioned:
		return v1alpha1.PhaseUnknown, fmt.Sprintf("the API server was unreachable for more than %s; actions that were running may or may not have finished: check before resuming or reverting", r.e.cfg.PartitionTimeout), ""
	case stopRecordFailed:
		err, _ := r.recordErr.Load().(error)
		return v1alpha1.PhaseUnknown, fmt.Sprintf("the execution's record could not be written (%v); no action started after that, and actions that were running may or may not have finished", err), ""
	case stopCanceled:
		return v1alpha1.PhaseCanceled, "canceled: running actions finished, the rest were skipped", ""
	}
	snap := r.st.snapshot()
	var failures []string
	failedAt := ""
	for _, ss := range snap.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				if a.Phase == v1alpha1.PhaseFailed {
					if failedAt == "" {
						failedAt = w.WorkflowRef.Name + "/" + a.Name
					}
					failures = append(failures, fmt.Sprintf("%s/%s/%s: %s", ss.Name, w.WorkflowRef.Name, a.Name, a.Message))
				}
			}
		}
		if ss.Phase == v1alpha1.PhaseFailed && len(failures) == 0 {
			failures = append(failures, fmt.Sprintf("stage %s: %s", ss.Name, ss.Message))
		}
	}
	if len(failures) > 0 {
		return v1alpha1.PhaseFailed, strings.Join(failures, "; "), failedAt
	}
	return v1alpha1.PhaseSucceeded, "", ""
}

// keepLease renews the Lease; losing it to another runner stops the run at once, for good.
func (r *runner) keepLease(ctx context.Context) {
	if err := r.lease.Keep(ctx, r.contact); errors.Is(err, lease.ErrLost) {
		r.halt(stopLeaseLost)
		r.logger.Error("lease lost", "lease", r.lease.Name)
	}
}

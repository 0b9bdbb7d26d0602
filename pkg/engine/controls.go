package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// controls is the runner's side of operator signals: whether the run is paused, and the
// decisions it waits for. Signals arrive from the execution's annotation (AnnotationSignals),
// through the cancel watch or a read of the execution; each is applied once and recorded.
type controls struct {
	mu sync.Mutex
	// seen are the IDs of the signals already recorded (by this runner or an earlier one).
	seen   map[string]bool
	paused bool
	// unpaused is closed when the run continues; a new one is made at each pause.
	unpaused chan struct{}
	// waits are the decisions waited for, by step. A resumed run registers the ones its record
	// lists before it reads any signal, so an answer sent while no runner was alive finds them.
	waits map[string]*decisionWait
	// ended is the phase the run's end was recorded with ("" while it runs): a signal received
	// after it is refused.
	ended v1alpha1.ExecutionPhase
}

type decisionWait struct {
	pending v1alpha1.PendingDecision
	// answer receives the one signal that settles the decision; answered says it was sent.
	answer   chan Signal
	answered bool
}

// newControls restores the controls a run's record shows: a pause, the decisions waited for and
// the signals already received.
func newControls(exec *v1alpha1.DRPlanExecution) *controls {
	c := &controls{seen: map[string]bool{}, waits: map[string]*decisionWait{}, unpaused: make(chan struct{})}
	for _, s := range exec.Status.Signals {
		c.seen[s.ID] = true
	}
	c.paused = Paused(exec)
	if !c.paused {
		close(c.unpaused)
	}
	for _, w := range exec.Status.Waiting {
		c.waits[w.Step] = &decisionWait{pending: w, answer: make(chan Signal, 1)}
	}
	return c
}

// stepName is how signals and the record name an action: <stage>/<workflow>/<action>.
func (r *runner) stepName(a at) string {
	stage, workflow, action := r.st.names(a)
	if a.workflow < 0 {
		return stage
	}
	return stage + "/" + workflow + "/" + action
}

// receiveSignals applies the signals of the annotation that are new. Each is recorded in the
// status, Applied or Refused with the reason, and as an event.
func (r *runner) receiveSignals(annotation string) {
	if annotation == "" {
		return
	}
	for _, s := range parseSignals(annotation) {
		if r.interrupted() {
			return // the runner that resumes the run receives them
		}
		r.ctl.mu.Lock()
		if r.ctl.seen[s.ID] {
			r.ctl.mu.Unlock()
			continue
		}
		r.ctl.seen[s.ID] = true
		if err := s.Validate(); err != nil {
			// Not drctl's (an edit by hand, a newer drctl): the record cannot hold it.
			r.ctl.mu.Unlock()
			r.events.warning("SignalIgnored", "signal %q ignored: %v", s.ID, err)
			r.logger.Warn("signal ignored", "execution", r.st.name(), "id", s.ID, "err", err)
			continue
		}
		result, msg := r.applySignal(s)
		// Recorded before the lock is released: the record and the views see a pause or a
		// continue exactly where it falls among the actions' starts (startUnlessPaused).
		rec := r.recordSignal(s, result, msg)
		r.ctl.mu.Unlock()
		r.announceSignal(rec)
	}
}

// applySignal acts on one signal; r.ctl.mu is held.
func (r *runner) applySignal(s Signal) (result, msg string) {
	c := r.ctl
	if c.ended != "" {
		return v1alpha1.SignalRefused, fmt.Sprintf("the run had ended %s before its runner received it", c.ended)
	}
	switch s.Verb {
	case v1alpha1.SignalPause:
		if c.paused {
			return v1alpha1.SignalRefused, "already paused"
		}
		c.paused = true
		c.unpaused = make(chan struct{})
		return v1alpha1.SignalApplied, "paused: no action starts until a continue; running actions finish"
	case v1alpha1.SignalContinue:
		if !c.paused {
			return v1alpha1.SignalRefused, "not paused"
		}
		c.paused = false
		close(c.unpaused)
		return v1alpha1.SignalApplied, "continued: actions start again"
	}
	w := c.waits[s.Step]
	switch {
	case w != nil && w.answered:
		return v1alpha1.SignalRefused, fmt.Sprintf("%s is already decided", s.Step)
	case w == nil:
		return v1alpha1.SignalRefused, fmt.Sprintf("%s is not waiting for a decision", orDefault(s.Step, "no step named"))
	case !Answers(s.Verb, w.pending.Kind):
		return v1alpha1.SignalRefused, fmt.Sprintf("%s waits for %s, not %s", s.Step, DecisionChoices(w.pending.Kind), strings.ToLower(string(s.Verb)))
	}
	w.answered = true
	w.answer <- s
	switch s.Verb {
	case v1alpha1.SignalApprove:
		return v1alpha1.SignalApplied, "approved: the stage starts"
	case v1alpha1.SignalRetry:
		return v1alpha1.SignalApplied, "the action runs again"
	case v1alpha1.SignalSkip:
		return v1alpha1.SignalApplied, "the action is recorded Skipped; the run goes on"
	}
	return v1alpha1.SignalApplied, "rejected: the step fails"
}

// recordSignal writes a received signal into the status (and, for a pause or a continue, the
// Paused condition) and emits it to the views.
func (r *runner) recordSignal(s Signal, result, msg string) v1alpha1.SignalRecord {
	rec := v1alpha1.SignalRecord{ID: s.ID, Verb: s.Verb, Step: s.Step, By: s.By, At: s.At, Reason: s.Reason, Result: result, Message: msg}
	r.st.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		st.Signals = append(st.Signals, rec)
		if result != v1alpha1.SignalApplied {
			return
		}
		switch s.Verb {
		case v1alpha1.SignalPause:
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionTrue,
				Reason: "PausedByOperator", Message: withReason("paused by "+s.By, s.Reason)})
		case v1alpha1.SignalContinue:
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionFalse,
				Reason: "ContinuedByOperator", Message: withReason("continued by "+s.By, s.Reason)})
		}
	})
	r.st.emit(Event{Type: EventSignal, Step: s.Step, Phase: v1alpha1.ExecutionPhase(result), Message: SignalLine(rec), Signal: &rec})
	return rec
}

// end makes the controls refuse every signal from now on: the run's end is being recorded.
func (c *controls) end(phase v1alpha1.ExecutionPhase) {
	c.mu.Lock()
	c.ended = phase
	c.mu.Unlock()
}

// refuseLateSignals records the signals sent while the run was ending, after its runner last
// read them, as Refused (the end's write carried those it read before): the record shows every
// signal its sender was told was sent. (One sent after the end was written is refused to its
// sender: its optimistic write conflicts, and the execution has ended.)
func (r *runner) refuseLateSignals(ctx context.Context) {
	latest := &metav1.PartialObjectMetadata{}
	latest.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(v1alpha1.KindDRPlanExecution))
	if err := r.e.cfg.Client.Get(ctx, client.ObjectKey{Namespace: r.namespace, Name: r.st.name()}, latest); err != nil {
		r.logger.Warn("read the signals sent as the run ended", "execution", r.st.name(), "err", err)
		return
	}
	r.receiveSignals(latest.Annotations[AnnotationSignals])
	if err := r.rec.Flush(ctx); err != nil {
		r.logger.Warn("record the signals sent as the run ended", "execution", r.st.name(), "err", err)
	}
}

// announceSignal records a received signal as a Kubernetes event and in the log.
func (r *runner) announceSignal(s v1alpha1.SignalRecord) {
	reason := string(s.Verb) + "Signal"
	if s.Result == v1alpha1.SignalRefused {
		r.events.warning(reason+"Refused", "%s", SignalLine(s))
		r.logger.Warn("signal refused", "execution", r.st.name(), "verb", s.Verb, "step", s.Step, "by", s.By, "why", s.Message)
		return
	}
	r.events.normal(reason, "%s", SignalLine(s))
	r.logger.Info("signal applied", "execution", r.st.name(), "verb", s.Verb, "step", s.Step, "by", s.By, "reason", s.Reason)
}

// SignalLine says who sent what and what came of it, in one line.
func SignalLine(s v1alpha1.SignalRecord) string {
	target := ""
	if s.Step != "" {
		target = " " + s.Step
	}
	line := fmt.Sprintf("%s%s by %s", s.Verb, target, s.By)
	if s.Reason != "" {
		line += fmt.Sprintf(" (%q)", s.Reason)
	}
	if s.Result == v1alpha1.SignalRefused {
		return line + ": refused: " + s.Message
	}
	return line + ": " + s.Message
}

func withReason(msg, reason string) string {
	if reason == "" {
		return msg
	}
	return fmt.Sprintf("%s: %s", msg, reason)
}

// startUnlessPaused runs start (an attempt's start) once the run is not paused, and reports
// whether it did: false if the run stops (a cancel, an interruption) or ctx ends first. A pause
// and a start never cross: a start either precedes the pause's record or waits for the continue.
// The Lease is kept meanwhile (keepLease).
func (r *runner) startUnlessPaused(ctx context.Context, start func()) bool {
	for {
		r.ctl.mu.Lock()
		paused, unpaused := r.ctl.paused, r.ctl.unpaused
		if !paused {
			ok := r.stopping() == running && ctx.Err() == nil
			if ok {
				start()
			}
			r.ctl.mu.Unlock()
			return ok
		}
		r.ctl.mu.Unlock()
		select {
		case <-unpaused:
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
			if r.stopping() != running {
				return false
			}
		}
	}
}

// decision is how a wait for an operator's decision ended.
type decision struct {
	// signal is the answer (nil: none came).
	signal *Signal
	// timedOut: the deadline passed without an answer.
	timedOut bool
	// abandoned: what was waited for no longer matters (a stage gate after the run halted).
	abandoned bool
	// stopped: the run is canceled or interrupted (or ctx ended) while waiting.
	stopped bool
}

// awaitDecision records that a step waits for an operator's decision (kept in the record, so a
// resumed run waits again) and waits for the answer, the deadline, or the run stopping. A wait
// the record already lists (a resume) keeps its start and deadline.
//
// abandon, when set, is asked as the wait goes on: true ends it (abandoned) unless answered.
func (r *runner) awaitDecision(ctx context.Context, a at, kind v1alpha1.DecisionKind, message string, timeout time.Duration, abandon func() bool) decision {
	step := r.stepName(a)
	r.ctl.mu.Lock()
	w := r.ctl.waits[step]
	if w == nil {
		pd := v1alpha1.PendingDecision{Step: step, Kind: kind, Message: message, Since: metav1.NewTime(r.e.cfg.Now())}
		if timeout > 0 {
			pd.Deadline = &metav1.Time{Time: pd.Since.Add(timeout)}
		}
		w = &decisionWait{pending: pd, answer: make(chan Signal, 1)}
		r.ctl.waits[step] = w
	}
	r.ctl.mu.Unlock()
	pd := w.pending
	r.st.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		for _, p := range st.Waiting {
			if p.Step == step {
				return
			}
		}
		st.Waiting = append(st.Waiting, pd)
	})
	stage, workflow, action := r.st.names(a)
	r.st.emit(Event{Type: EventWaiting, Stage: stage, Workflow: workflow, Action: action, Step: step, Phase: v1alpha1.PhasePending,
		Message: message, Decision: kind})
	r.events.normal("WaitingFor"+string(kind), "%s waits for %s (`drctl %s %s %s`): %s", step, DecisionChoices(kind),
		firstChoice(kind), r.st.name(), step, message)
	d := r.waitAnswer(ctx, w, abandon)
	if d.stopped && r.stopping() != stopCanceled {
		return d // interrupted: the record keeps the wait, for the resume
	}
	r.endWait(step)
	return d
}

// droppedControls says when the API server dropped, from a run's first record, what its operator
// controls need (onFailure, the stages' approval gates): its DRPlanExecution CRD predates them,
// and the run would neither ask nor hold where the plan says it must.
func droppedControls(want, stored *v1alpha1.DRPlanExecutionStatus) error {
	dropped := ""
	switch {
	case stored.OnFailure != want.OnFailure:
		dropped = "status.onFailure"
	case len(stored.StageStatuses) == len(want.StageStatuses):
		for i := range want.StageStatuses {
			if want.StageStatuses[i].Approval != nil && stored.StageStatuses[i].Approval == nil {
				dropped = fmt.Sprintf("status.stageStatuses[%d].approval", i)
				break
			}
		}
	}
	if dropped == "" {
		return nil
	}
	return fmt.Errorf("the API server dropped %s: the DRPlanExecution CRD is older than this drctl, and the run would not hold where the plan says; run `drctl install` first", dropped)
}

// endControls settles the controls of a run that ended: nothing waits any more, and a pause no
// longer holds anything.
func endControls(st *v1alpha1.DRPlanExecutionStatus, why string) {
	st.Waiting = nil
	if meta.IsStatusConditionTrue(st.Conditions, ConditionPaused) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: ConditionPaused, Status: metav1.ConditionFalse, Reason: "Ended", Message: why})
	}
}

// endWait forgets a step's wait, and the record's.
func (r *runner) endWait(step string) {
	r.ctl.mu.Lock()
	delete(r.ctl.waits, step)
	r.ctl.mu.Unlock()
	r.st.update(func(st *v1alpha1.DRPlanExecutionStatus) { st.Waiting = withoutStep(st.Waiting, step) })
}

func withoutStep(waiting []v1alpha1.PendingDecision, step string) []v1alpha1.PendingDecision {
	var out []v1alpha1.PendingDecision
	for _, p := range waiting {
		if p.Step != step {
			out = append(out, p)
		}
	}
	return out
}

func firstChoice(kind v1alpha1.DecisionKind) string {
	if kind == v1alpha1.DecisionApproval {
		return "approve"
	}
	return "retry"
}

// waitAnswer waits for w's answer, its deadline, the run stopping, or abandon.
func (r *runner) waitAnswer(ctx context.Context, w *decisionWait, abandon func() bool) decision {
	// A pause stops the deadline's clock: time paused does not count against an approval, and
	// on the continue the record's deadline moves on by as much.
	var clock *pausableDeadline
	switch {
	case w.pending.Deadline != nil:
		clock = &pausableDeadline{left: time.Until(w.pending.Deadline.Time), last: time.Now()}
	case w.pending.TimeLeft != "": // a resume of a wait whose run was paused
		left, _ := time.ParseDuration(w.pending.TimeLeft)
		clock = &pausableDeadline{left: left, last: time.Now(), paused: true}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case s := <-w.answer:
			return decision{signal: &s}
		case <-ctx.Done():
			return r.stoppedWaiting(w)
		case <-tick.C:
			if r.stopping() != running {
				return r.stoppedWaiting(w)
			}
			if abandon != nil && abandon() {
				if d := r.stoppedWaiting(w); d.signal != nil {
					return d
				}
				return decision{abandoned: true}
			}
			if clock == nil {
				continue
			}
			switch clock.advance(time.Now(), r.ctl.isPaused()) {
			case clockStopped:
				r.recordDeadline(w.pending.Step, clock.left, true)
			case clockRestarted:
				r.recordDeadline(w.pending.Step, clock.left, false)
			}
			if clock.left > 0 {
				continue
			}
			if d := r.stoppedWaiting(w); d.signal != nil {
				return d // answered at the last moment
			}
			return decision{timedOut: true}
		}
	}
}

// pausableDeadline is the time left before a deadline, which runs only while the run is not
// paused.
type pausableDeadline struct {
	left   time.Duration
	last   time.Time
	paused bool
}

// clockChange is what a pause or a continue did to a deadline's clock.
type clockChange int

const (
	clockSame clockChange = iota
	clockStopped
	clockRestarted
)

// advance counts the time since the last call, unless the run was paused, and says whether the
// clock stopped (a pause) or restarted (a continue).
func (d *pausableDeadline) advance(now time.Time, paused bool) clockChange {
	if !d.paused {
		d.left -= now.Sub(d.last)
	}
	change := clockSame
	switch {
	case !d.paused && paused:
		change = clockStopped
	case d.paused && !paused:
		change = clockRestarted
	}
	d.paused, d.last = paused, now
	return change
}

func (c *controls) isPaused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

// recordDeadline records a wait's clock: stopped with the time left (a pause, which a resume
// keeps), or running again with its deadline that much from now (a continue).
func (r *runner) recordDeadline(step string, left time.Duration, stopped bool) {
	left = max(left, 0).Round(time.Second)
	deadline := metav1.NewTime(r.e.cfg.Now().Add(left))
	r.st.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		for i := range st.Waiting {
			if st.Waiting[i].Step != step {
				continue
			}
			if stopped {
				st.Waiting[i].Deadline, st.Waiting[i].TimeLeft = nil, left.String()
			} else {
				st.Waiting[i].Deadline, st.Waiting[i].TimeLeft = &deadline, ""
			}
		}
	})
}

// stoppedWaiting ends a wait the run stopped: an answer applied meanwhile is honoured (it is
// recorded Applied), else no answer counts any more and the runner stops receiving them.
func (r *runner) stoppedWaiting(w *decisionWait) decision {
	r.ctl.mu.Lock()
	answered := w.answered
	w.answered = true
	r.ctl.mu.Unlock()
	if answered {
		s := <-w.answer
		return decision{signal: &s}
	}
	return decision{stopped: true}
}

// waitingFor reports whether the record shows a step waiting for a decision of kind.
func (r *runner) waitingFor(a at, kind v1alpha1.DecisionKind) bool {
	step := r.stepName(a)
	r.ctl.mu.Lock()
	defer r.ctl.mu.Unlock()
	w := r.ctl.waits[step]
	return w != nil && w.pending.Kind == kind
}

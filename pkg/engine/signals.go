package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// AnnotationSignals holds the operator signals sent to an execution, as a JSON list of Signal:
// every runner of the execution (a terminal's drctl, drctl serve, a resume) watches it and applies
// each signal once, recording it in status.signals. Senders only ever append.
const AnnotationSignals = "dr.bkbcs.tencent.com/signals"

// ConditionPaused is the execution's condition while an operator holds it: no action starts.
const ConditionPaused = "Paused"

// Signal is one operator request to a run, as sent.
type Signal struct {
	ID     string              `json:"id"`
	Verb   v1alpha1.SignalVerb `json:"verb"`
	Step   string              `json:"step,omitempty"`
	By     string              `json:"by"`
	At     metav1.Time         `json:"at"`
	Reason string              `json:"reason,omitempty"`
}

// Validate checks what the record needs of a signal: an ID, a known verb, a sender and a time.
func (s Signal) Validate() error {
	switch {
	case s.ID == "":
		return errors.New("no id")
	case !slices.Contains(signalVerbs, s.Verb):
		return fmt.Errorf("unknown verb %q", s.Verb)
	case s.By == "":
		return errors.New("no sender (by)")
	case s.At.IsZero():
		return errors.New("no time (at)")
	}
	return nil
}

var signalVerbs = []v1alpha1.SignalVerb{v1alpha1.SignalPause, v1alpha1.SignalContinue, v1alpha1.SignalApprove,
	v1alpha1.SignalReject, v1alpha1.SignalRetry, v1alpha1.SignalSkip}

// SignalRequest is what an operator asks of a run.
type SignalRequest struct {
	Verb v1alpha1.SignalVerb
	// Step names the waiting stage or action for Approve, Reject, Retry and Skip: its full name
	// (<stage>/<workflow>/<action>), or any ending of it after a "/" that names one waiting step.
	// Empty picks the only step waiting for such a decision.
	Step   string
	Reason string
}

// SignalResult says what a sent signal will do.
type SignalResult struct {
	Signal Signal
	// Message explains it to a person.
	Message string
}

// Signal sends an operator signal to a running execution: pause, continue, approve, reject, retry
// or skip. It is refused, with the reason, unless the execution is in a state where it makes
// sense (running; paused for a continue; the named step waiting for that decision). The sender's
// identity is the one the API server gives it (a SelfSubjectReview).
func (e *Engine) Signal(ctx context.Context, namespace, name string, req SignalRequest) (*SignalResult, error) {
	res, err := e.signal(ctx, namespace, name, req)
	return res, classify(err)
}

func (e *Engine) signal(ctx context.Context, namespace, name string, req SignalRequest) (*SignalResult, error) {
	by, err := e.whoAmI(ctx)
	if err != nil {
		return nil, err
	}
	var res *SignalResult
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		exec := &v1alpha1.DRPlanExecution{}
		if err := e.cfg.Client.Get(ctx, objectKey(namespace, name), exec); err != nil {
			return notFoundIsInvalid(err, "DRPlanExecution %s/%s", namespace, name)
		}
		sent := SignalsOf(exec)
		sig, err := admitSignal(exec, sent, req)
		if err != nil {
			return err
		}
		sig.ID, sig.By, sig.At = newSignalID(), by, metav1.NewTime(e.cfg.Now())
		raw, err := json.Marshal(append(sent, sig))
		if err != nil {
			return err
		}
		before := exec.DeepCopy()
		if exec.Annotations == nil {
			exec.Annotations = map[string]string{}
		}
		exec.Annotations[AnnotationSignals] = string(raw)
		// Optimistic: a concurrent signal or a change of the run's state makes it decide again.
		if err := e.cfg.Client.Patch(ctx, exec, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		res = &SignalResult{Signal: sig, Message: signalSentMessage(exec, sig)}
		return nil
	})
	if apierrors.IsConflict(err) {
		return nil, fmt.Errorf("send %s to %s: the execution kept changing; try again: %w", req.Verb, name, err)
	}
	if err != nil {
		return nil, err
	}
	// Is anyone running it? A live runner keeps the plan's Lease renewed.
	exec := &v1alpha1.DRPlanExecution{}
	if err := e.cfg.Client.Get(ctx, objectKey(namespace, name), exec); err == nil {
		if info, err := lease.Describe(ctx, e.cfg.Client, e.cfg.Clock, namespace, lease.Name(exec.Spec.PlanRef)); err == nil && (info == nil || info.Expired) {
			res.Message += fmt.Sprintf(". No runner is alive: it applies when the run is resumed (`drctl resume %s`)", name)
		}
	}
	return res, nil
}

// admitSignal checks req against the execution as it is now and returns the signal to send (its
// step resolved), or why it makes no sense.
func admitSignal(exec *v1alpha1.DRPlanExecution, sent []Signal, req SignalRequest) (Signal, error) {
	sig := Signal{Verb: req.Verb, Reason: strings.TrimSpace(req.Reason)}
	name, phase := exec.Name, v1alpha1.NormalizePhase(exec.Status.Phase)
	if ManagedElsewhere(exec) {
		return sig, invalidf("%s is run by another implementation (annotation %s); drctl sends it no signal", name, AnnotationManagedBy)
	}
	if phase != v1alpha1.PhaseRunning {
		return sig, invalidf("%s is %s; %s applies only to a running execution", name, orPending(exec.Status.Phase), strings.ToLower(string(req.Verb)))
	}
	if exec.Annotations[AnnotationCancel] == "true" {
		return sig, invalidf("%s is being canceled; it takes no other signal", name)
	}
	unapplied := unappliedSignals(exec, sent)
	switch req.Verb {
	case v1alpha1.SignalPause, v1alpha1.SignalContinue:
		if req.Step != "" {
			return sig, invalidf("%s applies to the whole execution, not to a step (%q)", strings.ToLower(string(req.Verb)), req.Step)
		}
		paused := Paused(exec)
		for _, s := range unapplied { // the runner has not seen these yet
			switch s.Verb {
			case v1alpha1.SignalPause:
				paused = true
			case v1alpha1.SignalContinue:
				paused = false
			}
		}
		if req.Verb == v1alpha1.SignalPause && paused {
			return sig, invalidf("%s is already paused (%s); `drctl continue %s` lets it go on", name, pausedBy(exec), name)
		}
		if req.Verb == v1alpha1.SignalContinue && !paused {
			return sig, invalidf("%s is not paused", name)
		}
		return sig, nil
	case v1alpha1.SignalApprove, v1alpha1.SignalReject, v1alpha1.SignalRetry, v1alpha1.SignalSkip:
	default:
		return sig, invalidf("unknown signal %q", req.Verb)
	}
	if (req.Verb == v1alpha1.SignalSkip || req.Verb == v1alpha1.SignalReject) && sig.Reason == "" {
		return sig, invalidf("%s needs a reason (--reason): it is kept in the execution's record", strings.ToLower(string(req.Verb)))
	}
	step, err := resolveStep(exec, req)
	if err != nil {
		return sig, err
	}
	for _, s := range unapplied {
		if s.Step == step && s.Verb != v1alpha1.SignalPause && s.Verb != v1alpha1.SignalContinue {
			return sig, invalidf("%s of %s was already sent by %s at %s and is not applied yet", s.Verb, step, s.By, s.At.UTC().Format(time.RFC3339))
		}
	}
	sig.Step = step
	return sig, nil
}

// Answers says whether a signal verb answers a kind of pending decision.
func Answers(verb v1alpha1.SignalVerb, kind v1alpha1.DecisionKind) bool {
	switch verb {
	case v1alpha1.SignalApprove:
		return kind == v1alpha1.DecisionApproval
	case v1alpha1.SignalRetry, v1alpha1.SignalSkip:
		return kind == v1alpha1.DecisionFailure
	case v1alpha1.SignalReject:
		return true
	}
	return false
}

// resolveStep finds the waiting step a decision names.
func resolveStep(exec *v1alpha1.DRPlanExecution, req SignalRequest) (string, error) {
	var candidates, waiting []string
	for _, w := range exec.Status.Waiting {
		if !Answers(req.Verb, w.Kind) {
			continue
		}
		waiting = append(waiting, w.Step)
		if w.Step == req.Step {
			return w.Step, nil // named in full: no ending of another step competes
		}
		if req.Step == "" || strings.HasSuffix(w.Step, "/"+req.Step) {
			candidates = append(candidates, w.Step)
		}
	}
	verb := strings.ToLower(string(req.Verb))
	switch {
	case len(candidates) == 1:
		return candidates[0], nil
	case len(waiting) == 0:
		return "", invalidf("%s applies to no step of %s: %s", verb, exec.Name, waitingSummary(exec))
	case len(candidates) == 0:
		return "", invalidf("%q is not waiting for %s; what waits for it: %s", req.Step, verb, strings.Join(waiting, ", "))
	}
	return "", invalidf("several steps wait for %s; name one: %s", verb, strings.Join(candidates, ", "))
}

func waitingSummary(exec *v1alpha1.DRPlanExecution) string {
	if len(exec.Status.Waiting) == 0 {
		return "no step waits for a decision"
	}
	var out []string
	for _, w := range exec.Status.Waiting {
		out = append(out, fmt.Sprintf("%s waits for %s", w.Step, DecisionChoices(w.Kind)))
	}
	return strings.Join(out, "; ")
}

// DecisionChoices names the signals that answer a kind of decision, for people.
func DecisionChoices(kind v1alpha1.DecisionKind) string {
	if kind == v1alpha1.DecisionApproval {
		return "approve or reject"
	}
	return "retry, skip or reject"
}

func signalSentMessage(exec *v1alpha1.DRPlanExecution, s Signal) string {
	held := ""
	if s.Verb != v1alpha1.SignalPause && s.Verb != v1alpha1.SignalContinue && Paused(exec) {
		held = " once the run is continued (it is paused: drctl continue " + exec.Name + ")"
	}
	what := map[v1alpha1.SignalVerb]string{
		v1alpha1.SignalPause:    "the run starts no new action; running ones finish",
		v1alpha1.SignalContinue: "the run starts actions again",
		v1alpha1.SignalApprove:  "the stage starts",
		v1alpha1.SignalReject:   "the step fails, and the run goes on as its failure policies say",
		v1alpha1.SignalRetry:    "the action runs again",
		v1alpha1.SignalSkip:     "the action is recorded Skipped and the run goes on",
	}[s.Verb]
	target := exec.Name
	if s.Step != "" {
		target = s.Step + " of " + exec.Name
	}
	return fmt.Sprintf("%s sent to %s as %s: %s%s. Its runner applies it and records it (`drctl describe execution %s`)",
		s.Verb, target, s.By, what, held, exec.Name)
}

// SignalsOf returns the signals sent to exec, oldest first (an unreadable annotation holds none).
func SignalsOf(exec *v1alpha1.DRPlanExecution) []Signal {
	return parseSignals(exec.Annotations[AnnotationSignals])
}

func parseSignals(raw string) []Signal {
	out, _ := ParseSignals(raw)
	return out
}

// ParseSignals reads the signals annotation's value: a JSON list of Signal ("" holds none).
func ParseSignals(raw string) ([]Signal, error) {
	if raw == "" {
		return nil, nil
	}
	var out []Signal
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("not a JSON list of signals: %w", err)
	}
	return out, nil
}

// UnreceivedSignals are the signals sent to exec that its record does not show received yet (no
// runner has seen them: it is between two reads, or none is alive).
func UnreceivedSignals(exec *v1alpha1.DRPlanExecution) []Signal {
	return unappliedSignals(exec, SignalsOf(exec))
}

// unappliedSignals are the signals sent that the record does not show as received yet.
func unappliedSignals(exec *v1alpha1.DRPlanExecution, sent []Signal) []Signal {
	seen := map[string]bool{}
	for _, r := range exec.Status.Signals {
		seen[r.ID] = true
	}
	var out []Signal
	for _, s := range sent {
		if !seen[s.ID] {
			out = append(out, s)
		}
	}
	return out
}

// Paused reports whether the execution's record says an operator paused it.
func Paused(exec *v1alpha1.DRPlanExecution) bool {
	return meta.IsStatusConditionTrue(exec.Status.Conditions, ConditionPaused)
}

func pausedBy(exec *v1alpha1.DRPlanExecution) string {
	if c := meta.FindStatusCondition(exec.Status.Conditions, ConditionPaused); c != nil && c.Status == metav1.ConditionTrue {
		return c.Message
	}
	return "a pause is sent and not applied yet"
}

func newSignalID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%s", time.Now().UTC().Format("20060102T150405.000"), hex.EncodeToString(b))
}

// whoAmI is the sender's Kubernetes user as the API server names it. A signal is recorded with
// its sender: without the API server's answer none is sent.
func (e *Engine) whoAmI(ctx context.Context) (string, error) {
	name, err := ReviewedUser(ctx, e.cfg.Client)
	if err != nil {
		return "", fmt.Errorf("ask the API server who sends the signal (a SelfSubjectReview), which the record keeps: %w", err)
	}
	return name, nil
}

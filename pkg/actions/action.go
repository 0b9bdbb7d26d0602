package actions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Env is what actions may use to do their work.
type Env struct {
	// Client talks to the cluster; its RESTMapper maps any kind, CRDs included. It can watch, so
	// that a Job is awaited without polling.
	Client client.WithWatch
	// Logger receives debug details (rendered requests, with secrets redacted).
	Logger *slog.Logger
	// SensitiveHeaders are header names, beyond those SensitiveHeader knows, whose values are
	// credentials and never logged (the user's --redact-header).
	SensitiveHeaders []string
	// Holding reports whether the runner still holds the plan. Cleanup an executor does on its
	// own (deleting a timed-out Job) asks it first: a runner that lost the plan must not touch
	// what the new owner has adopted. Nil means yes.
	Holding func() bool
}

// holding reports whether the runner may still act (Env.Holding, yes when unset).
func (e Env) holding() bool { return e.Holding == nil || e.Holding() }

// Request is one attempt of one rendered action.
type Request struct {
	// Action is the action with every placeholder expanded.
	Action *v1alpha1.Action
	// Namespace is the plan's namespace, the default for namespaced objects.
	Namespace string
	// Labels go on every object the action creates, so that resume can adopt it and a person can
	// find it (dr.bkbcs.tencent.com/execution, dr.bkbcs.tencent.com/action).
	Labels map[string]string
	// ObjectName is a deterministic, DNS-safe name for an object the action creates without naming
	// it (a Job): the same on every attempt and on resume.
	ObjectName string
	// Recorded holds the outputs recorded by an earlier attempt of this action, if any.
	Recorded *v1alpha1.ActionOutputs
	// ReplaceExisting: an object of the same name that this execution did not create is deleted
	// (and awaited) before the create (a hook's hookCleanup.beforeCreate).
	ReplaceExisting bool
	// KeepBody asks for a response body in full (up to what a record may hold) because a template
	// reads it; otherwise only a short excerpt is recorded.
	KeepBody bool
}

// Result is what an attempt did.
type Result struct {
	// Outputs are recorded in the execution status before the next action starts.
	Outputs *v1alpha1.ActionOutputs
	// Message is a one-line account for the status and the progress view.
	Message string
	// ClusterStatuses are the per-cluster states of a PerCluster action.
	ClusterStatuses []v1alpha1.ClusterActionStatus
	// Skipped, when set, says the action found nothing of its own to do (its outcome is recorded
	// Skipped with this reason).
	Skipped string
}

// ErrAttemptTimedOut is the cause of an attempt's context when the attempt's own timeout expires:
// the engine creates each attempt's context with
// context.WithTimeoutCause(ctx, timeout, actions.ErrAttemptTimedOut). Executors tell it from a
// stop of the whole run (the parent context canceled), which must leave running work in place
// for `drctl resume` to adopt.
var ErrAttemptTimedOut = errors.New("the action's attempt timed out")

// attemptTimedOut reports whether ctx ended because the attempt's own timeout expired.
func attemptTimedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrAttemptTimedOut)
}

// Executor performs one attempt of an action type. The context carries the attempt's timeout
// (its cause is ErrAttemptTimedOut when it expires).
// Errors are retried by the engine's retry policy unless wrapped with Permanent.
type Executor interface {
	Execute(ctx context.Context, env Env, req Request) (Result, error)
}

// Registry maps action types to their executors.
type Registry struct {
	executors map[v1alpha1.ActionType]Executor
}

// NewRegistry returns a registry with the given executors.
func NewRegistry(executors map[v1alpha1.ActionType]Executor) *Registry {
	return &Registry{executors: executors}
}

// Default returns the registry of every registered action type's executor.
func Default() *Registry {
	executors := map[v1alpha1.ActionType]Executor{}
	for _, t := range Types() {
		executors[t.Name] = t.NewExecutor()
	}
	return NewRegistry(executors)
}

// Get returns the executor of an action type.
func (r *Registry) Get(t v1alpha1.ActionType) (Executor, error) {
	if e, ok := r.executors[t]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("action type %s is not supported by this drctl", t)
}

// AutoRollback returns the automatic rollback of forward, or nil and the reason there is none
// (Type.AutoRollback).
func (r *Registry) AutoRollback(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) (*v1alpha1.Action, string) {
	t := Lookup(forward.Type)
	if t == nil {
		return nil, fmt.Sprintf("action type %s is not supported by this drctl", forward.Type)
	}
	return t.AutoRollback(forward, outputs)
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (a 404, an invalid object).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError asks for a retry no sooner than After (an HTTP 429's Retry-After).
type retryAfterError struct {
	err   error
	After time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter marks err as retryable no sooner than d.
func RetryAfter(err error, d time.Duration) error { return &retryAfterError{err: err, After: d} }

// RetryDelay returns the delay err asks for, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.After, true
	}
	return 0, false
}

package cmdutil

import (
	"errors"
	"fmt"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Exit codes, the same for every command and progress mode (README "Exit codes").
const (
	// ExitOK: the operation succeeded.
	ExitOK = 0
	// ExitFailed: the operation ran and failed, or the API server failed.
	ExitFailed = 1
	// ExitInvalid: invalid input or usage; nothing was changed.
	ExitInvalid = 2
	// ExitLocked: the plan is locked by another run.
	ExitLocked = 3
	// ExitCanceled: the run was canceled, or the user declined.
	ExitCanceled = 4
	// ExitUnknown: the outcome is unknown and needs a human (lost lease, partition).
	ExitUnknown = 5
	// ExitCheckFailed: drctl check found a plan that would fail.
	ExitCheckFailed = 6
)

// InvalidError is invalid input or usage: nothing was changed.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// Invalidf is an InvalidError with a formatted message.
func Invalidf(format string, args ...any) error {
	return &InvalidError{Err: fmt.Errorf(format, args...)}
}

// Invalid marks err as invalid input or usage (a flag or argument cobra refused, say).
func Invalid(err error) error { return &InvalidError{Err: err} }

// DeclinedError is the user answering no to a question: nothing was changed.
type DeclinedError struct{ What string }

func (e *DeclinedError) Error() string { return e.What }

// RunEndedError is a run that ended other than Succeeded. Its progress has already said why:
// nothing more is printed.
type RunEndedError struct{ Phase v1alpha1.ExecutionPhase }

func (e *RunEndedError) Error() string { return fmt.Sprintf("the run ended %s", e.Phase) }

// ReportedError is a failure the command has reported itself (validate's diagnostics): it ends
// the process with Code and prints nothing more.
type ReportedError struct{ Code int }

func (e *ReportedError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ExitCode is the exit code of a command that returned err: the one place an error becomes one.
func ExitCode(err error) int {
	var invalid *InvalidError
	var declined *DeclinedError
	var ended *RunEndedError
	var reported *ReportedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &reported):
		return reported.Code
	case errors.As(err, &ended):
		return phaseExitCode(ended.Phase)
	case errors.As(err, &invalid), engine.IsInvalid(err):
		return ExitInvalid
	case engine.IsLocked(err):
		return ExitLocked
	case errors.As(err, &declined):
		return ExitCanceled
	default:
		return ExitFailed
	}
}

// Reported says whether err has been shown to the user already; any other error is printed
// once, by the caller of ExitCode.
func Reported(err error) bool {
	var ended *RunEndedError
	var reported *ReportedError
	return errors.As(err, &ended) || errors.As(err, &reported)
}

// phaseExitCode maps how a run ended to the exit code.
func phaseExitCode(p v1alpha1.ExecutionPhase) int {
	switch p {
	case v1alpha1.PhaseSucceeded:
		return ExitOK
	case v1alpha1.PhaseCanceled:
		return ExitCanceled
	case v1alpha1.PhaseUnknown:
		return ExitUnknown
	default:
		return ExitFailed
	}
}

// RunOutcome is the error of a run that ended in phase: nil when it succeeded.
func RunOutcome(phase v1alpha1.ExecutionPhase) error {
	if phase == v1alpha1.PhaseSucceeded {
		return nil
	}
	return &RunEndedError{Phase: phase}
}

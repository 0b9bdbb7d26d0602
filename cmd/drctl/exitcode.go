package main

import (
	"errors"
	"fmt"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Exit codes, the same for every command and progress mode (see README "Exit codes").
const (
	// exitOK: the operation succeeded.
	exitOK = 0
	// exitFailed: the operation ran and failed, or the API server failed.
	exitFailed = 1
	// exitInvalid: invalid input or usage; nothing was changed.
	exitInvalid = 2
	// exitLocked: the plan is locked by another run.
	//lint:ignore U1000 part of the exit-code contract; execute, revert and resume return it
	exitLocked = 3
	// exitCanceled: the run was canceled.
	exitCanceled = 4
	// exitUnknown: the outcome is unknown and needs a human (lost lease, partition).
	//lint:ignore U1000 part of the exit-code contract; execute, revert and resume return it
	exitUnknown = 5
)

// exitError carries the exit code an error should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// invalidInput marks an error as invalid input or usage (exit code 2).
func invalidInput(format string, args ...any) error {
	return &exitError{code: exitInvalid, err: fmt.Errorf(format, args...)}
}

// silentExit ends the process with code without printing anything more: the command has already
// reported why (validation diagnostics, say).
type silentExit int

func (s silentExit) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var silent silentExit
	var coded *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &silent):
		return int(silent)
	case errors.As(err, &coded):
		return coded.code
	default:
		return exitFailed
	}
}

// phaseExitCode maps how a run ended to the exit code.
func phaseExitCode(p v1alpha1.ExecutionPhase) int {
	switch p {
	case v1alpha1.PhaseSucceeded:
		return exitOK
	case v1alpha1.PhaseCanceled:
		return exitCanceled
	case v1alpha1.PhaseUnknown:
		return exitUnknown
	default:
		return exitFailed
	}
}

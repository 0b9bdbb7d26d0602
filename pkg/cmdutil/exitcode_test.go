package cmdutil

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

func TestExitCodeComesFromTheErrorsType(t *testing.T) {
	for _, tc := range []struct {
		err      error
		code     int
		reported bool
	}{
		{nil, ExitOK, false},
		{errors.New("the API server said no"), ExitFailed, false},
		{Invalidf("-p %q: want name=value", "x"), ExitInvalid, false},
		{fmt.Errorf("wrapped: %w", Invalid(errors.New("unknown flag"))), ExitInvalid, false},
		{&engine.InvalidError{What: "plan has a cycle"}, ExitInvalid, false},
		{&engine.LockedError{}, ExitLocked, false},
		{&DeclinedError{What: "aborted"}, ExitCanceled, false},
		{RunOutcome(v1alpha1.PhaseFailed), ExitFailed, true},
		{RunOutcome(v1alpha1.PhaseCanceled), ExitCanceled, true},
		{RunOutcome(v1alpha1.PhaseUnknown), ExitUnknown, true},
		{&ReportedError{Code: ExitInvalid}, ExitInvalid, true},
	} {
		assert.Equal(t, tc.code, ExitCode(tc.err), "%v", tc.err)
		assert.Equal(t, tc.reported, Reported(tc.err), "%v", tc.err)
	}
	assert.NoError(t, RunOutcome(v1alpha1.PhaseSucceeded))
}

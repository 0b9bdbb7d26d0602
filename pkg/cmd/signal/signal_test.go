package signal

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestArguments(t *testing.T) {
	for _, tc := range []struct {
		verb v1alpha1.SignalVerb
		args []string
		want Options
	}{
		{v1alpha1.SignalPause, []string{"run-1"}, Options{Execution: "run-1"}},
		{v1alpha1.SignalPause, []string{"run-1", "--reason", "lag"}, Options{Execution: "run-1", Reason: "lag"}},
		{v1alpha1.SignalContinue, []string{"run-1"}, Options{Execution: "run-1"}},
		{v1alpha1.SignalApprove, []string{"run-1"}, Options{Execution: "run-1"}},
		{v1alpha1.SignalApprove, []string{"run-1", "switch", "--reason", "ok"}, Options{Execution: "run-1", Step: "switch", Reason: "ok"}},
		{v1alpha1.SignalRetry, []string{"run-1", "w/a"}, Options{Execution: "run-1", Step: "w/a"}},
		{v1alpha1.SignalSkip, []string{"run-1", "a", "--reason", "not needed"}, Options{Execution: "run-1", Step: "a", Reason: "not needed"}},
		{v1alpha1.SignalReject, []string{"run-1", "--reason", "no"}, Options{Execution: "run-1", Reason: "no"}},
	} {
		f, streams := cmdtest.NewFactory()
		var got *Options
		cmd := NewCmdSignal(f, tc.verb, func(_ context.Context, o *Options) error { got = o; return nil })
		require.NoError(t, cmdtest.Execute(cmd, streams.IOStreams, tc.args...), "%s %v", tc.verb, tc.args)
		tc.want.Factory, tc.want.Verb = f, tc.verb
		assert.Equal(t, &tc.want, got, "%s %v", tc.verb, tc.args)
	}
}

func TestBadArgumentsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		verb v1alpha1.SignalVerb
		args []string
	}{
		{v1alpha1.SignalPause, nil},
		{v1alpha1.SignalPause, []string{"run-1", "step"}}, // a pause holds the whole run
		{v1alpha1.SignalContinue, []string{"run-1", "--force"}},
		{v1alpha1.SignalApprove, []string{"run-1", "a", "b"}},
		{v1alpha1.SignalSkip, []string{"run-1", "a"}},                   // no reason
		{v1alpha1.SignalSkip, []string{"run-1", "a", "--reason", "  "}}, // a blank one
		{v1alpha1.SignalReject, []string{"run-1"}},                      // no reason
		{v1alpha1.SignalRetry, nil},
	} {
		f, streams := cmdtest.NewFactory()
		err := cmdtest.Execute(NewCmdSignal(f, tc.verb, nil), streams.IOStreams, tc.args...)
		assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err), "%s %v: %v", tc.verb, tc.args, err)
	}
	f, streams := cmdtest.NewFactory()
	err := cmdtest.Execute(NewCmdSignal(f, v1alpha1.SignalPause, nil), streams.IOStreams, "run-1")
	assert.ErrorIs(t, err, cmdtest.ErrNoCluster, "a signal reaches the cluster only in Run")
}

func TestEveryVerbHasACommand(t *testing.T) {
	f, _ := cmdtest.NewFactory()
	var names []string
	for _, v := range Verbs {
		names = append(names, NewCmdSignal(f, v, nil).Name())
	}
	assert.Equal(t, []string{"pause", "continue", "approve", "reject", "retry", "skip"}, names)
}

package describe

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Arguments are checked, and turned into Options, without a cluster.
func TestArguments(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		kind, name string
		wantErr    string
		code       int
	}{
		{args: []string{"execution", "run-1"}, kind: v1alpha1.KindDRPlanExecution, name: "run-1"},
		{args: []string{"drp", "prod"}, kind: v1alpha1.KindDRPlan, name: "prod"},
		{args: []string{"workflows", "mysql"}, kind: v1alpha1.KindDRWorkflow, name: "mysql"},
		{args: []string{"pod", "x"}, wantErr: `unknown resource "pod": want plan, workflow or execution`, code: cmdutil.ExitInvalid},
		{args: []string{"plan"}, wantErr: "accepts 2 arg(s), received 1", code: cmdutil.ExitInvalid},
	} {
		streams, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdDescribe(&cmdutil.Factory{IOStreams: streams}, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(streams.Out)
		cmd.SetErr(streams.ErrOut)
		err := cmd.Execute()
		if tc.wantErr != "" {
			require.Error(t, err, "%v", tc.args)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Equal(t, tc.code, cmdutil.ExitCode(err), "%v", tc.args)
			assert.Nil(t, got)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.kind, got.Kind)
		assert.Equal(t, tc.name, got.Name)
	}
}

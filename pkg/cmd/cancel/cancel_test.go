package cancel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/cmdutil"
)

func TestArguments(t *testing.T) {
	f, streams := cmdtest.NewFactory()
	var got *Options
	require.NoError(t, cmdtest.Execute(NewCmdCancel(f, func(_ context.Context, o *Options) error { got = o; return nil }), streams.IOStreams, "run-1"))
	assert.Equal(t, "run-1", got.Execution)

	for _, args := range [][]string{nil, {"a", "b"}, {"run-1", "--force"}} {
		err := cmdtest.Execute(NewCmdCancel(f, nil), streams.IOStreams, args...)
		assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err), "%v: %v", args, err)
	}
	err := cmdtest.Execute(NewCmdCancel(f, nil), streams.IOStreams, "run-1")
	assert.ErrorIs(t, err, cmdtest.ErrNoCluster, "cancel reaches the cluster only in Run")
}

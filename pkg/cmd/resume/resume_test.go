package resume

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/cmdutil"
)

func TestFlags(t *testing.T) {
	f, streams := cmdtest.NewFactory()
	var got *Options
	cmd := NewCmdResume(f, func(_ context.Context, o *Options) error { got = o; return nil })
	require.NoError(t, cmdtest.Execute(cmd, streams.IOStreams, "run-1", "--lease-duration", "30s", "--lock-timeout", "1m"))
	assert.Equal(t, "run-1", got.Execution)
	assert.Equal(t, 30*time.Second, got.LeaseDuration)
	assert.Equal(t, time.Minute, got.LockTimeout)
	assert.Nil(t, cmd.Flags().Lookup("yes"), "resume asks nothing: the run was confirmed when it started")

	for _, args := range [][]string{nil, {"run-1", "--lease-duration", "1s"}, {"run-1", "--progress", "x"}, {"run-1", "--partition-timeout", "-1s"}} {
		got = nil
		err := cmdtest.Execute(NewCmdResume(f, func(_ context.Context, o *Options) error { got = o; return nil }), streams.IOStreams, args...)
		assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err), "%v: %v", args, err)
		assert.Nil(t, got)
	}
}

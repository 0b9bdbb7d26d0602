package watch

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/cmdutil"
)

func TestArgumentsAndFlags(t *testing.T) {
	for _, tc := range []struct {
		name, progress string
		args           []string
		wantErr        string
	}{
		{name: "defaults", args: []string{"run-1"}, progress: "auto"},
		{name: "json", args: []string{"run-1", "--progress", "json"}, progress: "json"},
		{name: "unknown progress", args: []string{"run-1", "--progress", "radio"}, wantErr: `unknown --progress "radio"`},
		{name: "no execution", wantErr: "accepts 1 arg(s), received 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, streams := cmdtest.NewFactory()
			var got *Options
			err := cmdtest.Execute(NewCmdWatch(f, func(_ context.Context, o *Options) error { got = o; return nil }), streams.IOStreams, tc.args...)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "run-1", got.Execution)
			assert.Equal(t, tc.progress, got.Progress)
		})
	}
}

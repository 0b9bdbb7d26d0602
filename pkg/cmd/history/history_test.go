package history

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
		name, plan, selector string
		args                 []string
		wantErr              string
	}{
		{name: "plan", args: []string{"prod"}, plan: "prod"},
		{name: "reverts only", args: []string{"prod", "-l", "dr.bkbcs.tencent.com/operation=revert", "-o", "wide"}, plan: "prod", selector: "dr.bkbcs.tencent.com/operation=revert"},
		{name: "no plan", wantErr: "accepts 1 arg(s), received 0"},
		{name: "bad selector", args: []string{"prod", "-l", "=x"}, wantErr: `-l "=x"`},
		{name: "unknown output", args: []string{"prod", "-o", "csv"}, wantErr: "-o csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, streams := cmdtest.NewFactory()
			var got *Options
			err := cmdtest.Execute(NewCmdHistory(f, func(_ context.Context, o *Options) error { got = o; return nil }), streams.IOStreams, tc.args...)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.plan, got.Plan)
			assert.Equal(t, tc.selector, got.Selector.String())
		})
	}
}

package history

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
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
			got, err := cmdtest.Parse(NewCmdHistory, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.plan, got.Plan)
			assert.Equal(t, tc.selector, got.Selector.String())
		})
	}
}

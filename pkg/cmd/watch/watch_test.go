package watch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
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
			got, err := cmdtest.Parse(NewCmdWatch, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "run-1", got.Execution)
			assert.Equal(t, tc.progress, got.Progress)
		})
	}
}

package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *Options)
		wantErr string
	}{
		{name: "defaults", args: []string{"prod"}, check: func(t *testing.T, o *Options) {
			assert.Equal(t, "prod", o.Plan)
			assert.Equal(t, "table", o.Output)
			assert.False(t, o.ProbeHTTP)
			assert.Empty(t, o.Params)
		}},
		{name: "as a run would have it", args: []string{"prod", "-p", "target=b", "--mode", "delete", "--probe-http", "-o", "json"}, check: func(t *testing.T, o *Options) {
			assert.Equal(t, map[string]string{"target": "b"}, o.Params)
			assert.Equal(t, v1alpha1.ModeDelete, o.Mode)
			assert.True(t, o.ProbeHTTP)
			assert.Equal(t, "json", o.Output)
		}},
		{name: "unknown output", args: []string{"prod", "-o", "yaml"}, wantErr: `unknown -o "yaml": want table or json`},
		{name: "bad parameter", args: []string{"prod", "-p", "x"}, wantErr: `-p "x": want name=value`},
		{name: "unknown mode", args: []string{"prod", "--mode", "drill"}, wantErr: `unknown --mode "drill"`},
		{name: "no plan", wantErr: "accepts 1 arg(s), received 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cmdtest.Parse(NewCmdCheck, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}

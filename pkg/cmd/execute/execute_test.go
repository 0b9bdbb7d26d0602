package execute

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Flags and arguments become Options, or a usage error (exit code 2), without a cluster.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *Options)
		wantErr string
	}{
		{name: "defaults", args: []string{"prod"}, check: func(t *testing.T, o *Options) {
			assert.Equal(t, "prod", o.Plan)
			assert.Empty(t, o.Params)
			assert.Equal(t, v1alpha1.ExecutionMode(""), o.Mode)
			assert.Equal(t, "auto", o.Progress)
			assert.Equal(t, 15*time.Second, o.LeaseDuration)
			assert.False(t, o.Yes)
			assert.False(t, o.DryRun)
			assert.Equal(t, v1alpha1.OnFailurePolicy(""), o.OnFailure, "the plan's onFailure decides")
		}},
		{name: "params", args: []string{"prod", "-p", "a=b", "-p", "url=http://x/?q=1", "-p", "empty="}, check: func(t *testing.T, o *Options) {
			assert.Equal(t, map[string]string{"a": "b", "url": "http://x/?q=1", "empty": ""}, o.Params)
		}},
		{name: "mode in any case", args: []string{"prod", "--mode", "delete"}, check: func(t *testing.T, o *Options) {
			assert.Equal(t, v1alpha1.ModeDelete, o.Mode)
		}},
		{name: "everything", args: []string{"prod", "--name", "run-1", "--yes", "--lock-timeout", "2m", "--progress", "json", "--partition-timeout", "30s"},
			check: func(t *testing.T, o *Options) {
				assert.Equal(t, "run-1", o.Name)
				assert.True(t, o.Yes)
				assert.Equal(t, 2*time.Minute, o.LockTimeout)
				assert.Equal(t, "json", o.Progress)
				assert.Equal(t, 30*time.Second, o.PartitionTimeout)
			}},
		{name: "on failure ask", args: []string{"prod", "--on-failure", "Ask"}, check: func(t *testing.T, o *Options) {
			assert.Equal(t, v1alpha1.OnFailureAsk, o.OnFailure)
		}},
		{name: "on failure fail", args: []string{"prod", "--on-failure", "fail"}, check: func(t *testing.T, o *Options) {
			assert.Equal(t, v1alpha1.OnFailureFail, o.OnFailure)
		}},
		{name: "unknown on failure", args: []string{"prod", "--on-failure", "pray"}, wantErr: `--on-failure "pray": want ask or fail`},
		{name: "param without =", args: []string{"prod", "-p", "oops"}, wantErr: `-p "oops": want name=value`},
		{name: "param without name", args: []string{"prod", "-p", "=v"}, wantErr: `-p "=v": want name=value`},
		{name: "unknown mode", args: []string{"prod", "--mode", "sideways"}, wantErr: `unknown --mode "sideways": want Install, Upgrade, Delete or Rollback`},
		{name: "unknown progress", args: []string{"prod", "--progress", "fancy"}, wantErr: `unknown --progress "fancy": want auto, tty, plain or json`},
		{name: "dry run as json", args: []string{"prod", "--dry-run", "--progress", "json"}, wantErr: "--progress json does not apply"},
		{name: "short lease", args: []string{"prod", "--lease-duration", "1s"}, wantErr: "--lease-duration 1s is too short: at least 3s"},
		{name: "no partition timeout", args: []string{"prod", "--partition-timeout", "0s"}, wantErr: "--partition-timeout 0s: want a positive duration"},
		{name: "no plan", args: nil, wantErr: "accepts 1 arg(s), received 0"},
		{name: "two plans", args: []string{"a", "b"}, wantErr: "accepts 1 arg(s), received 2"},
		{name: "unknown flag", args: []string{"prod", "--frobnicate"}, wantErr: "unknown flag: --frobnicate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cmdtest.Parse(NewCmdExecute, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}

// Flags are checked before the cluster is reached; Run's failure to reach it is an API failure
// (exit code 1), not a usage error.
func TestRunReachesTheClusterAfterTheFlags(t *testing.T) {
	f, streams := cmdtest.NewFactory()
	err := cmdtest.Execute(NewCmdExecute(f, nil), streams.IOStreams, "prod", "--progress", "plain")
	require.ErrorIs(t, err, cmdtest.ErrNoCluster)
	assert.Equal(t, cmdutil.ExitFailed, cmdutil.ExitCode(err))
	err = cmdtest.Execute(NewCmdExecute(f, nil), streams.IOStreams, "prod", "--mode", "x")
	assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err))
}

package serve

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/controller"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *controller.Options)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, o *controller.Options) {
			assert.Equal(t, controller.DefaultMaxConcurrentExecutions, o.MaxConcurrentExecutions)
			assert.Equal(t, 15*time.Second, o.LeaseDuration)
			assert.Equal(t, controller.DefaultWebhookPort, o.WebhookPort)
			assert.False(t, o.LeaderElect)
			assert.Equal(t, time.Hour, o.CheckInterval, "every plan is checked hourly")
		}},
		{name: "two replicas", args: []string{"--leader-elect", "--leader-election-namespace", "drctl-system", "--watch-namespace", "a,b", "--watch-namespace", "c",
			"--webhook-port", "0", "--max-concurrent-executions", "3", "--shutdown-grace", "45s"},
			check: func(t *testing.T, o *controller.Options) {
				assert.True(t, o.LeaderElect)
				assert.Equal(t, "drctl-system", o.LeaderElectionNamespace)
				assert.Equal(t, []string{"a", "b", "c"}, o.Namespaces)
				assert.Equal(t, 0, o.WebhookPort)
				assert.Equal(t, 3, o.MaxConcurrentExecutions)
				assert.Equal(t, 45*time.Second, o.ShutdownGrace)
			}},
		{name: "no concurrency", args: []string{"--max-concurrent-executions", "0"}, wantErr: "--max-concurrent-executions 0: want at least 1"},
		{name: "no reconcile interval", args: []string{"--reconcile-interval", "0s"}, wantErr: "--reconcile-interval 0s"},
		{name: "short lease", args: []string{"--lease-duration", "2s"}, wantErr: "--lease-duration 2s is too short"},
		{name: "short election", args: []string{"--leader-election-lease-duration", "1s"}, wantErr: "--leader-election-lease-duration 1s is too short"},
		{name: "no port", args: []string{"--webhook-port", "70000"}, wantErr: "--webhook-port 70000: want a port"},
		{name: "no grace", args: []string{"--shutdown-grace", "0s"}, wantErr: "--shutdown-grace 0s"},
		{name: "no partition timeout", args: []string{"--partition-timeout", "0s"}, wantErr: "--partition-timeout 0s"},
		{name: "negative check interval", args: []string{"--check-interval", "-1m"}, wantErr: "--check-interval -1m0s"},
		{name: "no checks", args: []string{"--check-interval", "0"}, check: func(t *testing.T, o *controller.Options) {
			assert.Zero(t, o.CheckInterval)
		}},
		{name: "arguments", args: []string{"now"}, wantErr: `unknown command "now"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cmdtest.Parse(NewCmdServe, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}

package controller

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"
)

// At most max runs at once; a run already going is not started twice; once the manager stops,
// nothing new starts, running ones get the grace, and then their context ends.
func TestRunsAreBoundedUniqueAndDrained(t *testing.T) {
	r := newRuns(1, 200*time.Millisecond)
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = r.Start(ctx); close(stopped) }()
	require.Eventually(t, func() bool {
		return r.launch(types.NamespacedName{Name: "probe"}, func(context.Context) time.Duration { return 0 }) == launched
	},
		5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return !r.running(types.NamespacedName{Name: "probe"}) }, 5*time.Second, 10*time.Millisecond)

	a, b := types.NamespacedName{Namespace: "n", Name: "a"}, types.NamespacedName{Namespace: "n", Name: "b"}
	release := make(chan struct{})
	runEnded := make(chan error, 1)
	assert.Equal(t, launched, r.launch(a, func(ctx context.Context) time.Duration {
		select {
		case <-release:
		case <-ctx.Done():
		}
		runEnded <- ctx.Err()
		return 0
	}))
	assert.Equal(t, alreadyOurs, r.launch(a, func(context.Context) time.Duration { return 0 }))
	assert.Equal(t, atCapacity, r.launch(b, func(context.Context) time.Duration { return 0 }), "--max-concurrent-executions 1")

	stop() // the manager stops: drained
	select {
	case <-r.drain:
	case <-time.After(5 * time.Second):
		t.Fatal("the runs were not drained")
	}
	assert.Equal(t, stopping, r.launch(b, func(context.Context) time.Duration { return 0 }), "nothing new starts while draining")
	select {
	case err := <-runEnded:
		assert.ErrorIs(t, err, context.Canceled, "past the grace, a run still going is stopped hard")
	case <-time.After(5 * time.Second):
		t.Fatal("the run was never stopped")
	}
	<-stopped
	close(release)
}

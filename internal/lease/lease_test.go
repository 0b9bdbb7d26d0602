package lease

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, testenv.Options{SkipDrctlCRDs: true}))
}

// newClient returns a client whose responses feed a fresh server clock.
func newClient(t *testing.T) (client.Client, *ServerClock) {
	t.Helper()
	clock := NewServerClock()
	cfg := rest.CopyConfig(testenv.Require(t, env).Config)
	cfg.Wrap(clock.Wrap)
	c, err := client.New(cfg, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	return c, clock
}

func TestAcquireRenewRelease(t *testing.T) {
	ctx := context.Background()
	c, clock := newClient(t)
	a := New(c, clock, "default", Name("basic"), "exec-1 by alice@laptop pid 1")
	require.NoError(t, a.TryAcquire(ctx))
	require.True(t, clock.Known(), "the API server's Date header set the clock")

	b := New(c, clock, "default", Name("basic"), "exec-2 by bob@desk pid 2")
	err := b.TryAcquire(ctx)
	var held *HeldError
	require.ErrorAs(t, err, &held)
	assert.Equal(t, "exec-1 by alice@laptop pid 1", held.Holder)
	assert.WithinDuration(t, clock.Now().Add(DefaultDuration), held.Expires, 2*time.Second)

	require.NoError(t, a.Renew(ctx))
	require.NoError(t, a.Release(ctx))
	require.NoError(t, b.TryAcquire(ctx), "a released lease is free")
	info, err := Describe(ctx, c, clock, "default", Name("basic"))
	require.NoError(t, err)
	assert.Equal(t, "exec-2 by bob@desk pid 2", info.Holder)
	assert.False(t, info.Expired)
}

func TestExpiredLeaseIsTakenOverAndTheOldHolderLearnsItLostIt(t *testing.T) {
	ctx := context.Background()
	c, clock := newClient(t)
	old := New(c, clock, "default", Name("takeover"), "dead runner")
	require.NoError(t, old.TryAcquire(ctx))
	// The holder stopped renewing 20 s ago (server time).
	lease := &coordinationv1.Lease{}
	require.NoError(t, c.Get(ctx, client.ObjectKey{Namespace: "default", Name: Name("takeover")}, lease))
	past := metav1.NewMicroTime(clock.Now().Add(-20 * time.Second))
	lease.Spec.RenewTime = &past
	require.NoError(t, c.Update(ctx, lease))

	fresh := New(c, clock, "default", Name("takeover"), "resumer")
	require.NoError(t, fresh.TryAcquire(ctx))
	require.NoError(t, c.Get(ctx, client.ObjectKey{Namespace: "default", Name: Name("takeover")}, lease))
	assert.Equal(t, "resumer", *lease.Spec.HolderIdentity)
	assert.Equal(t, int32(1), ptr.Deref(lease.Spec.LeaseTransitions, 0))

	assert.ErrorIs(t, old.Renew(ctx), ErrLost)
}

func TestSimultaneousAcquireHasExactlyOneWinner(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		plan := Name(fmt.Sprintf("race-%d", round))
		var wg sync.WaitGroup
		results := make([]error, 8)
		start := make(chan struct{})
		for i := range results {
			c, clock := newClient(t)
			l := New(c, clock, "default", plan, fmt.Sprintf("runner-%d", i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = l.TryAcquire(ctx)
			}()
		}
		close(start)
		wg.Wait()
		winners := 0
		for _, err := range results {
			var held *HeldError
			switch {
			case err == nil:
				winners++
			case !errors.As(err, &held):
				t.Fatalf("unexpected error: %v", err)
			}
		}
		require.Equal(t, 1, winners, "round %d: %v", round, results)
	}
}

func TestAcquireWaitsForTheLockTimeout(t *testing.T) {
	ctx := context.Background()
	c, clock := newClient(t)
	a := New(c, clock, "default", Name("wait"), "first")
	require.NoError(t, a.TryAcquire(ctx))
	go func() {
		time.Sleep(1500 * time.Millisecond)
		_ = a.Release(ctx)
	}()
	b := New(c, clock, "default", Name("wait"), "second")
	require.NoError(t, b.Acquire(ctx, 10*time.Second))
	var held *HeldError
	require.ErrorAs(t, New(c, clock, "default", Name("wait"), "third").Acquire(ctx, 0), &held)
}

func TestServerClockFollowsTheDateHeader(t *testing.T) {
	serverTime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", serverTime.Format(http.TimeFormat))
	}))
	defer srv.Close()
	clock := NewServerClock()
	hc := &http.Client{Transport: clock.Wrap(http.DefaultTransport)}
	resp, err := hc.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.WithinDuration(t, serverTime, clock.Now(), 2*time.Second, "the laptop's clock (2026) is not used")
}

// fakeClock is a ServerClock on a wall clock and a monotonic clock the test moves.
func fakeClock(wall *time.Time, mono *time.Duration) *ServerClock {
	return &ServerClock{wall: func() time.Time { return *wall }, elapsed: func() time.Duration { return *mono }}
}

func TestServerClockNeverRunsBackwards(t *testing.T) {
	wall, mono := time.Date(2026, 1, 1, 10, 0, 0, 950_000_000, time.UTC), 10*time.Second
	clock := fakeClock(&wall, &mono)
	clock.observe("Thu, 01 Jan 2026 10:00:00 GMT") // server at least 10:00:00 now
	first := clock.Now()
	mono += 50 * time.Millisecond
	clock.observe("Thu, 01 Jan 2026 10:00:01 GMT") // at least 10:00:01 50 ms later: a higher bound
	second := clock.Now()
	mono += 900 * time.Millisecond
	clock.observe("Thu, 01 Jan 2026 10:00:01 GMT") // a lower bound than the last: ignored
	third := clock.Now()
	assert.False(t, second.Before(first))
	assert.Equal(t, second.Add(900*time.Millisecond), third, "the clock moved with elapsed time, not back")
}

func TestServerClockIgnoresStepsOfTheLocalWallClock(t *testing.T) {
	wall, mono := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), time.Duration(0)
	clock := fakeClock(&wall, &mono)
	clock.observe("Thu, 01 Jan 2026 10:00:00 GMT")
	wall = wall.Add(time.Hour) // NTP, a suspend, a person: the laptop's clock jumps forward
	mono += 2 * time.Second
	clock.observe("Thu, 01 Jan 2026 10:00:02 GMT")
	assert.Equal(t, time.Date(2026, 1, 1, 10, 0, 2, 0, time.UTC), clock.Now(), "a forward step of the wall clock does not move the estimate")
	mono += 3 * time.Second
	assert.Equal(t, time.Date(2026, 1, 1, 10, 0, 5, 0, time.UTC), clock.Now(), "between observations it follows monotonic time")
}

package testenv

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// Seed returns the seed of a test's random trials: $DRCTL_TEST_SEED when set (to replay a
// failure), else a fresh one. When the test fails, the seed is printed with the command that
// replays it.
func Seed(t testing.TB) int64 {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv("DRCTL_TEST_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("DRCTL_TEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: replay with DRCTL_TEST_SEED=%d go test -run '^%s$' <package>", seed, seed, t.Name())
		}
	})
	return seed
}

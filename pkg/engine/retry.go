package engine

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Defaults of an action's timing.
const (
	DefaultActionTimeout     = 5 * time.Minute
	DefaultRetryLimit        = 3
	DefaultRetryInterval     = 5 * time.Second
	DefaultBackoffMultiplier = 2.0
)

// retryPolicy is an action's retry policy with defaults applied. Without a retryPolicy an action
// is tried once; with one, limit defaults to 3 and an explicit 0 means no retry.
type retryPolicy struct {
	limit      int
	interval   time.Duration
	multiplier float64
	max        time.Duration
}

func retryPolicyOf(a *v1alpha1.Action, maxDelay time.Duration) retryPolicy {
	p := retryPolicy{limit: 0, interval: DefaultRetryInterval, multiplier: DefaultBackoffMultiplier, max: maxDelay}
	rp := a.RetryPolicy
	if rp == nil {
		return p
	}
	p.limit = DefaultRetryLimit
	if rp.Limit != nil {
		p.limit = int(*rp.Limit)
	}
	if d, err := time.ParseDuration(rp.Interval); err == nil && d > 0 {
		p.interval = d
	}
	if m, err := strconv.ParseFloat(rp.BackoffMultiplier, 64); err == nil && m >= 1 {
		p.multiplier = m
	}
	return p
}

// delay is the wait before retry number retry+1 (retry counts from 0): interval × multiplier^retry,
// capped.
func (p retryPolicy) delay(retry int) time.Duration {
	d := float64(p.interval) * math.Pow(p.multiplier, float64(retry))
	if d > float64(p.max) || math.IsInf(d, 0) {
		return p.max
	}
	return time.Duration(d)
}

// actionTimeout is the per-attempt timeout: the action's, or 5m.
func actionTimeout(a *v1alpha1.Action) (time.Duration, error) {
	if a.Timeout == "" {
		return DefaultActionTimeout, nil
	}
	d, err := time.ParseDuration(a.Timeout)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("timeout %q is not a positive duration", a.Timeout)
	}
	return d, nil
}

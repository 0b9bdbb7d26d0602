package main

import (
	"slices"
	"time"
)

// lagStats summarises, over a run's actions, how long after the target had sent an action's
// response an independent watcher first saw the action recorded Succeeded. That interval is
// drctl's: reading the response, recording the outcome, and the API server delivering the write.
type lagStats struct {
	Seen, Total    int // actions whose success the watcher saw, of all actions
	P50, P99, Max  time.Duration
	Resent         int // actions the target was called for more than once
	NeverCalled    int // actions the target never saw
	SeenBeforeSent int // impossible unless clocks or bookkeeping are wrong; reported, not hidden
}

// computeLag pairs the target's record of each action with the watcher's.
func computeLag(actions []actionRef, tgt *target, seen map[string]time.Time) lagStats {
	st := lagStats{Total: len(actions)}
	var lags []time.Duration
	for _, a := range actions {
		h, called := tgt.hitFor(a.Path)
		if !called {
			st.NeverCalled++
			continue
		}
		if h.Count > 1 {
			st.Resent++
		}
		at, ok := seen[a.key()]
		if !ok {
			continue
		}
		st.Seen++
		lag := at.Sub(h.Sent)
		if lag < 0 {
			st.SeenBeforeSent++
			lag = 0
		}
		lags = append(lags, lag)
	}
	if len(lags) == 0 {
		return st
	}
	slices.Sort(lags)
	st.P50 = percentile(lags, 50)
	st.P99 = percentile(lags, 99)
	st.Max = lags[len(lags)-1]
	return st
}

// percentile is the nearest-rank percentile of sorted values: the smallest value that at least p%
// of the values do not exceed.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 · n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

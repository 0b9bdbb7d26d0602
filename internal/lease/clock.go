package lease

import (
	"net/http"
	"sync"
	"time"
)

// ServerClock estimates the API server's time from the Date header of its responses, so that a
// Lease is judged by one clock — the server's — and not by each laptop's own. Its error is under the
// header's resolution, one second, which is fine against a 15 s lease.
//
// Between observations it advances by the local monotonic clock, never by the local wall clock:
// a laptop whose clock is stepped (NTP, a person) must not move its idea of the server's time, or
// it would judge a live Lease expired. Linux's monotonic clock stops while the machine is
// suspended, so after a suspend the estimate lags until the next response; a Lease holder hears
// from the server before it writes a renewTime (Lease.Renew).
type ServerClock struct {
	mu sync.Mutex
	// base is the server time at the monotonic instant zero: the server's time now is
	// base + elapsed(). Each observation gives a lower bound of base; the clock keeps the highest.
	base  time.Time
	known bool
	// wall is the local wall clock, used only before the first observation.
	wall func() time.Time
	// elapsed is monotonic time since the clock was made.
	elapsed func() time.Duration
}

// NewServerClock returns a clock that reads local time until it has seen a response.
func NewServerClock() *ServerClock {
	start := time.Now() // carries a monotonic reading; time.Since uses it
	return &ServerClock{wall: time.Now, elapsed: func() time.Duration { return time.Since(start) }}
}

// Now returns the estimated server time.
func (c *ServerClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		return c.wall()
	}
	return c.base.Add(c.elapsed())
}

// Known reports whether the clock has seen a response with a Date header.
func (c *ServerClock) Known() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.known
}

// observe records the server's Date header. A Date says the server's time was at least that
// second when the response left it, so each response gives a lower bound; the clock keeps the
// highest bound seen. It therefore never runs backwards (a lease judged expired stays expired) and
// errs, by under a second, on the late side: it may wait a little longer to take over an expired
// lease, never shorter. A holder allows for that second when it judges how long it still holds.
func (c *ServerClock) observe(date string) {
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if base := t.Add(-c.elapsed()); !c.known || base.After(c.base) {
		c.base = base
	}
	c.known = true
}

// Wrap is a rest.Config WrapTransport: it reads the Date header of every response.
func (c *ServerClock) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if err == nil && resp != nil {
			if d := resp.Header.Get("Date"); d != "" {
				c.observe(d)
			}
		}
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

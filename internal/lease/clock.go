package lease

import (
	"net/http"
	"sync"
	"time"
)

// ServerClock estimates the API server's time from the Date header of its responses, so that a
// Lease is judged by one clock — the server's — and not by each laptop's own. Its error is under the
// header's resolution, one second, which is fine against a 15 s lease.
type ServerClock struct {
	mu     sync.Mutex
	offset time.Duration // server time minus local time
	known  bool
	now    func() time.Time
}

// NewServerClock returns a clock that reads local time until it has seen a response.
func NewServerClock() *ServerClock { return &ServerClock{now: time.Now} }

// Now returns the estimated server time.
func (c *ServerClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.offset)
}

// Known reports whether the clock has seen a response with a Date header.
func (c *ServerClock) Known() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.known
}

// observe records the server's Date header. A Date says the server's time was at least that
// second when the response left it, so each response gives a lower bound of the offset; the clock
// keeps the highest bound seen. It therefore never runs backwards (a lease judged expired stays
// expired) and errs, by under a second, on the late side: it may wait a little longer to take over
// an expired lease, never shorter.
func (c *ServerClock) observe(date string) {
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if bound := t.Sub(c.now()); !c.known || bound > c.offset {
		c.offset = bound
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

package lease

import (
	"net/http"
	"sync"
	"time"
)

// ServerClock estimates the API server's time from the Date header of its responses, so that a
// Lease is judged by one clock — the server's — and not by each laptop's own. Its resolution is the
// header's, one second, which is fine against a 15 s lease.
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

// observe records the server's Date header. The header truncates to the second, so half a second
// is added: the error becomes at most ±0.5 s.
func (c *ServerClock) observe(date string) {
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = t.Add(500 * time.Millisecond).Sub(c.now())
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

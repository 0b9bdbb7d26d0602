package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// target is the HTTP endpoint every benchmark action calls: it waits a fixed latency, standing in
// for the service a real failover step talks to, and answers 200. It runs in the bench process so
// that it can record, per action, when the request arrived and when the response had been sent:
// the first is where the run's start-up cost ends, the second is where the status lag starts.
type target struct {
	latency time.Duration
	srv     *http.Server
	url     string

	mu    sync.Mutex
	first time.Time       // arrival of the first request of the run
	hits  map[string]*hit // by URL path, one per action
}

// hit is what the target saw of one action's requests.
type hit struct {
	Count int       // requests for the path; more than one means drctl sent it again
	Sent  time.Time // when the last response to it had been written to the connection
}

// startTarget listens on a free loopback port.
func startTarget(latency time.Duration) (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &target{latency: latency, url: "http://" + ln.Addr().String(), hits: map[string]*hit{}}
	t.srv = &http.Server{Handler: http.HandlerFunc(t.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := t.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return t, nil
}

func (t *target) serve(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	t.mu.Lock()
	if t.first.IsZero() {
		t.first = arrived
	}
	t.mu.Unlock()
	if t.latency > 0 {
		select {
		case <-time.After(t.latency):
		case <-r.Context().Done():
			return
		}
	}
	body := "ok " + r.URL.Path + "\n"
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
	// Flush so that the response is on the connection, not in the server's buffer, when the
	// time is taken: from here on, any delay is drctl's.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	sent := time.Now()
	t.mu.Lock()
	h := t.hits[r.URL.Path]
	if h == nil {
		h = &hit{}
		t.hits[r.URL.Path] = h
	}
	h.Count++
	h.Sent = sent
	t.mu.Unlock()
}

// URL is the base URL actions append their path to.
func (t *target) URL() string { return t.url }

// firstRequest is when the first request arrived (zero if none did).
func (t *target) firstRequest() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.first
}

// hitFor returns what the target saw for path (ok false if it was never called).
func (t *target) hitFor(path string) (hit, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.hits[path]
	if !ok {
		return hit{}, false
	}
	return *h, true
}

func (t *target) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.srv.Shutdown(ctx)
}

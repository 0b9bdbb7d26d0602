package faultproxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCutBlackholesAndHealRestores(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	p, err := Start(srv.Listener.Addr().String())
	require.NoError(t, err)
	defer p.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	get := func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.Addr()+"/", nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	require.NoError(t, get(5*time.Second), "forwarded")
	p.Cut()
	start := time.Now()
	require.ErrorIs(t, get(300*time.Millisecond), context.DeadlineExceeded, "a partition is silent: only the client's timeout ends the request")
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	p.Heal()
	require.NoError(t, get(5*time.Second), "forwarded again")
}

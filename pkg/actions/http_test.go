package actions

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func httpAction(url string, mod ...func(*v1alpha1.HTTPAction)) *v1alpha1.Action {
	h := &v1alpha1.HTTPAction{URL: url, Method: "POST", Body: `{"a":1}`, Headers: map[string]string{"Authorization": "Bearer s3cret", "X-Api-Key": "k3y", "X-Trace": "t1"}}
	for _, m := range mod {
		m(h)
	}
	return &v1alpha1.Action{Name: "call", Type: v1alpha1.ActionHTTP, HTTP: h}
}

func TestHTTPClassifiesResponses(t *testing.T) {
	var got *http.Request
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(strings.Repeat("x", 3000)))
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("no such cluster"))
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/throttle":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/accepted":
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	env := Env{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	h := NewHTTP()
	ctx := context.Background()

	res, err := h.Execute(ctx, env, Request{Action: httpAction(srv.URL + "/ok"), KeepBody: true})
	require.NoError(t, err)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, `{"a":1}`, body)
	assert.Equal(t, "t1", got.Header.Get("X-Trace"))
	assert.Equal(t, 200, res.Outputs.HTTPResponse.StatusCode)
	assert.Len(t, res.Outputs.HTTPResponse.Body, 1024, "a body a template reads is recorded up to 1 KiB")
	assert.NotEmpty(t, res.Outputs.HTTPResponse.Latency)
	res, err = h.Execute(ctx, env, Request{Action: httpAction(srv.URL + "/ok")})
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("x", 64)+"...", res.Outputs.HTTPResponse.Body, "a body no template reads is recorded as an excerpt")
	assert.NotContains(t, logs.String(), "s3cret", "credentials never reach the logs")
	assert.NotContains(t, logs.String(), "k3y")
	assert.Contains(t, logs.String(), "REDACTED")

	_, err = h.Execute(ctx, env, Request{Action: httpAction(srv.URL + "/missing")})
	require.Error(t, err)
	assert.True(t, IsPermanent(err), "a 404 is not retried")
	assert.Contains(t, err.Error(), "unexpected status 404: no such cluster")

	_, err = h.Execute(ctx, env, Request{Action: httpAction(srv.URL + "/down")})
	require.Error(t, err)
	assert.False(t, IsPermanent(err), "a 503 is retried")

	_, err = h.Execute(ctx, env, Request{Action: httpAction(srv.URL + "/throttle")})
	d, ok := RetryDelay(err)
	require.True(t, ok)
	assert.Equal(t, 7*time.Second, d)

	_, err = h.Execute(ctx, env, Request{Action: httpAction(srv.URL+"/accepted", func(a *v1alpha1.HTTPAction) { a.SuccessCodes = []int{200} })})
	assert.True(t, IsPermanent(err), "202 is not in successCodes")

	_, err = h.Execute(ctx, env, Request{Action: httpAction("http://127.0.0.1:1/refused")})
	require.Error(t, err)
	assert.False(t, IsPermanent(err), "a network error is retried")
}

func TestHTTPVerifiesTLSUnlessTold(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	h := NewHTTP()
	_, err := h.Execute(context.Background(), Env{}, Request{Action: httpAction(srv.URL)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	_, err = h.Execute(context.Background(), Env{}, Request{Action: httpAction(srv.URL, func(a *v1alpha1.HTTPAction) { a.InsecureSkipVerify = true })})
	require.NoError(t, err)
}

func TestHTTPTimeoutIsTheContexts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(2 * time.Second) }))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := NewHTTP().Execute(ctx, Env{}, Request{Action: httpAction(srv.URL)})
	require.Error(t, err)
	assert.Less(t, time.Since(start), time.Second)
	assert.False(t, IsPermanent(err))
}

// A redirect to another host carries none of the action's headers (Go drops only Authorization
// and Cookie); one to the same host keeps them.
func TestHTTPRedirectKeepsCredentialsOnTheirHost(t *testing.T) {
	var other http.Header
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other = r.Header.Clone() }))
	defer elsewhere.Close()
	var same http.Header
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, elsewhere.URL+"/landed", http.StatusTemporaryRedirect)
		case "/stay":
			http.Redirect(w, r, "/here", http.StatusTemporaryRedirect)
		case "/here":
			same = r.Header.Clone()
		}
	}))
	defer origin.Close()
	h := NewHTTP()
	withType := func(h *v1alpha1.HTTPAction) { h.Headers["Content-Type"] = "application/json" }

	_, err := h.Execute(context.Background(), Env{}, Request{Action: httpAction(origin.URL+"/away", withType)})
	require.NoError(t, err)
	require.NotNil(t, other, "the redirect was followed")
	for _, name := range []string{"Authorization", "X-Api-Key", "X-Trace"} {
		assert.Empty(t, other.Get(name), "%s reached another host", name)
	}
	assert.Equal(t, "application/json", other.Get("Content-Type"))

	_, err = h.Execute(context.Background(), Env{}, Request{Action: httpAction(origin.URL + "/stay")})
	require.NoError(t, err)
	assert.Equal(t, "k3y", same.Get("X-Api-Key"))
	assert.Equal(t, "Bearer s3cret", same.Get("Authorization"))
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/internal/version"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// newEngine builds an engine for the kubeconfig context of the global flags, with obs receiving
// its events.
func newEngine(ctx context.Context, g *globals, obs engine.Observer, tune ...func(*engine.Config)) (*engine.Engine, string, error) {
	cfg, err := restConfig(g)
	if err != nil {
		return nil, "", err
	}
	namespace, _, err := g.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("namespace: %w", err)
	}
	clock := lease.NewServerClock()
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(clock.Wrap)
	// One connection and one discovery of the API for both clients: a run's first action waits
	// for neither twice.
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, "", err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, "", err
	}
	opts := client.Options{Scheme: crd.NewScheme(), HTTPClient: httpClient, Mapper: mapper}
	c, err := client.NewWithWatch(cfg, opts)
	if err != nil {
		return nil, "", err
	}
	// The Lease gets a client of its own: its own client-side rate limiter, so that renewals
	// never wait behind a burst of status writes.
	leaseClient, err := client.New(rest.CopyConfig(cfg), opts)
	if err != nil {
		return nil, "", err
	}
	ec := engine.Config{
		Client: c, LeaseClient: leaseClient, Clock: clock, Observer: obs, Runner: runnerIdentity(ctx, c),
		Logger: g.logger(),
	}
	for _, fn := range tune {
		fn(&ec)
	}
	return engine.New(ec), namespace, nil
}

// runnerIdentity names this process: the Kubernetes user (from a SelfSubjectReview, else the
// local user), the host, the pid and drctl's version.
func runnerIdentity(ctx context.Context, c client.Client) v1alpha1.RunnerInfo {
	r := v1alpha1.RunnerInfo{PID: int64(os.Getpid()), Version: version.Get().Version, Mode: "cli"}
	r.Host, _ = os.Hostname()
	review := &authenticationv1.SelfSubjectReview{}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Create(rctx, review); err == nil && review.Status.UserInfo.Username != "" {
		r.User = review.Status.UserInfo.Username
	} else if u, err := user.Current(); err == nil {
		r.User = u.Username
	}
	return r
}

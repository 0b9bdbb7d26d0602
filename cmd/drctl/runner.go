package main

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd"
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
		Client: c, LeaseClient: leaseClient, Clock: clock, Observer: obs, Runner: engine.DiscoverRunner(ctx, c, engine.ModeCLI),
		Logger: g.logger(), SensitiveHeaders: g.redactHeaders,
	}
	for _, fn := range tune {
		fn(&ec)
	}
	return engine.New(ec), namespace, nil
}

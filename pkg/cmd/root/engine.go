package root

import (
	"context"
	"log/slog"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/engine"
)

// newEngine builds an engine for the kubeconfig context of the flags, with obs receiving its
// events.
func (g *globals) newEngine(ctx context.Context, obs engine.Observer, tune ...func(*engine.Config)) (*engine.Engine, string, error) {
	cfg, err := g.restConfig()
	if err != nil {
		return nil, "", err
	}
	namespace, err := g.namespace()
	if err != nil {
		return nil, "", err
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
		Logger: g.logger(slog.LevelWarn), SensitiveHeaders: g.redactHeaders,
	}
	for _, fn := range tune {
		fn(&ec)
	}
	return engine.New(ec), namespace, nil
}

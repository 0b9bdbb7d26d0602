package main

import (
	"fmt"
	"math"

	"k8s.io/client-go/rest"

	"github.com/drctl/drctl/internal/version"
	"github.com/drctl/drctl/pkg/cmdutil"
)

// client-go's own defaults (5 requests per second, bursts of 10) throttle one run of a plan: a
// run writes its record once per action, and a 400-action plan waited minutes on the limiter
// instead of seconds on the API server. drctl sends at most what its runs need, and the server's
// API Priority and Fairness shares it among clients; --kube-api-qps/--kube-api-burst (or the
// config file's kube-api-qps/kube-api-burst) lower it where a cluster asks for that.
const (
	defaultAPIQPS   = 500
	defaultAPIBurst = 1000
)

// restConfig is the kubeconfig context of the global flags, with drctl's client-side rate limit.
func restConfig(g *globals) (*rest.Config, error) {
	// Checked here, where a client is made: validate and config view work whatever the limits say.
	if qps := float64(g.apiQPS); math.IsNaN(qps) || math.IsInf(qps, 0) || qps == 0 || (qps > 0 && g.apiBurst < 1) {
		return nil, cmdutil.Invalidf("kube-api-qps %v, kube-api-burst %d (from the flags, the config file or DRCTL_KUBE_API_*): want a positive rate with a burst of at least 1, or a negative rate for no client-side limit", g.apiQPS, g.apiBurst)
	}
	cfg, err := g.configFlags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = g.apiQPS, g.apiBurst
	// The API server names drctl's writes after it (managedFields, audit logs).
	cfg.UserAgent = "drctl/" + version.Get().Version
	return cfg, nil
}

package cmdutil

import (
	"context"
	"log/slog"
	"os"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/engine"
)

// Factory is what the root command hands every command: its streams and the means to reach the
// cluster the kubeconfig flags name. The functions read the global flags when called, after
// they are parsed. Tests build a Factory around test streams and leave out what a command under
// test must not reach: a command's flags are checked without a cluster.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// RESTConfig is the kubeconfig context of the global flags, with drctl's client-side rate
	// limit and user agent.
	RESTConfig func() (*rest.Config, error)
	// KubeClient is a client of the cluster, and the namespace to work in (-n, else the config
	// file's or DRCTL_NAMESPACE, else the kubeconfig context's).
	KubeClient func() (client.WithWatch, string, error)
	// Engine builds an engine for the cluster, with obs receiving its events and tune adjusting
	// its configuration, and the namespace to work in.
	Engine func(ctx context.Context, obs engine.Observer, tune ...func(*engine.Config)) (*engine.Engine, string, error)
	// Logger writes structured logs from level up (-v lowers it to debug) to stderr or
	// --log-file, never to stdout.
	Logger func(level slog.Level) *slog.Logger
	// LogsToTerminal says the logs go to stderr (no --log-file): under the live view they are
	// held until it closes, so that no line draws over it.
	LogsToTerminal func() bool
	// SensitiveHeaders are the --redact-header names: credentials drctl never shows.
	SensitiveHeaders func() []string
	// CompleteNames lists the names of objects of kind for shell completion: none when the
	// cluster does not answer within two seconds.
	CompleteNames func(ctx context.Context, kind string) []string
	// Interrupts delivers the process's SIGINT and SIGTERM; nil when nothing sends them.
	Interrupts <-chan os.Signal
}

package cmdutil

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
)

// Factory is what the root command hands every command: its streams and the means to reach the
// cluster the kubeconfig flags name. Tests build one around test streams, and a command's flags
// are checked without a cluster.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// KubeClient is a client of the cluster, and the namespace to work in (-n, else the
	// kubeconfig context's, else the config file's).
	KubeClient func() (client.Client, string, error)
	// CompleteNames lists the names of objects of kind for shell completion: none when the
	// cluster does not answer within two seconds.
	CompleteNames func(ctx context.Context, kind string) []string
}

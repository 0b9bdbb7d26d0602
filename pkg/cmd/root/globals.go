package root

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/version"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd"
)

// globals are the flags every command shares: the kubectl-style connection flags, logging and
// the API rate limit.
type globals struct {
	streams     *iostreams.IOStreams
	configFlags *genericclioptions.ConfigFlags
	verbose     bool
	logFormat   string
	// logFile, when set, receives the logs instead of stderr (--log-file): under the live view,
	// a log line on the terminal would draw over it.
	logFile   string
	logOut    io.Writer
	logHandle *os.File
	// redactHeaders are the --redact-header names: credentials in headers drctl never shows.
	redactHeaders []string
	// apiQPS and apiBurst are the client-side rate limit towards the API server.
	apiQPS   float32
	apiBurst int
}

func (g *globals) addFlags(fs *pflag.FlagSet) {
	g.configFlags = genericclioptions.NewConfigFlags(true)
	g.configFlags.AddFlags(fs)
	fs.BoolVarP(&g.verbose, "verbose", "v", false, "log debug details (rendered parameters and requests, secrets redacted) to stderr or --log-file")
	fs.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&g.logFile, "log-file", "", "write logs to this file (appended) instead of stderr")
	fs.StringSliceVar(&g.redactHeaders, "redact-header", nil, "an HTTP header whose value is a credential, never shown or logged (repeatable; Authorization, cookies and names with token, secret, key or password always are)")
	fs.Float32Var(&g.apiQPS, "kube-api-qps", cmdutil.DefaultAPIQPS, "requests per second drctl may send to the API server (client-side limit); a negative value sends without a limit, leaving protection to the server's API Priority and Fairness")
	fs.IntVar(&g.apiBurst, "kube-api-burst", cmdutil.DefaultAPIBurst, "requests drctl may send in a burst above --kube-api-qps")
}

// complete fills the flags the user did not give from the config file and environment, checks
// them and opens the log file.
func (g *globals) complete(cmd *cobra.Command) error {
	v, err := cmdutil.LoadConfig()
	if err != nil {
		return err
	}
	if err := cmdutil.ApplyConfig(cmd, v); err != nil {
		return err
	}
	if g.logFormat != "text" && g.logFormat != "json" {
		return cmdutil.Invalidf("unknown --log-format %q: want text or json", g.logFormat)
	}
	if g.logFile != "" {
		f, err := os.OpenFile(g.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return cmdutil.Invalidf("--log-file: %v", err)
		}
		g.logHandle, g.logOut = f, iostreams.NewPrintableWriter(f)
	}
	return nil
}

// closeLogs closes the --log-file, once the command has returned.
func (g *globals) closeLogs() {
	if g.logHandle != nil {
		_ = g.logHandle.Close()
		g.logHandle, g.logOut = nil, nil
	}
}

// factory is what commands are given: functions that read the flags once they are parsed.
func (g *globals) factory(interrupts <-chan os.Signal) *cmdutil.Factory {
	f := &cmdutil.Factory{
		IOStreams:        g.streams,
		RESTConfig:       g.restConfig,
		KubeClient:       g.kubeClient,
		Logger:           g.logger,
		LogsToTerminal:   func() bool { return g.logOut == nil },
		SensitiveHeaders: func() []string { return g.redactHeaders },
		CompleteNames:    g.completeNames,
		Engine:           g.newEngine,
		Interrupts:       interrupts,
	}
	return f
}

// restConfig is the kubeconfig context of the flags, with drctl's client-side rate limit.
func (g *globals) restConfig() (*rest.Config, error) {
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

// namespace is -n, else the kubeconfig context's.
func (g *globals) namespace() (string, error) {
	ns, _, err := g.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("namespace: %w", err)
	}
	return ns, nil
}

// kubeClient is a plain client (with watch) and the namespace of the flags.
func (g *globals) kubeClient() (client.WithWatch, string, error) {
	cfg, err := g.restConfig()
	if err != nil {
		return nil, "", err
	}
	ns, err := g.namespace()
	if err != nil {
		return nil, "", err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: crd.NewScheme()})
	return c, ns, err
}

// logger writes structured logs to stderr (or --log-file), never to stdout where progress and
// data go: from level up, everything from debug up with -v (transitions at info, rendered
// parameters and requests at debug, credentials redacted).
func (g *globals) logger(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if g.verbose {
		opts.Level = slog.LevelDebug
	}
	w := g.streams.ErrOut
	if g.logOut != nil {
		w = g.logOut
	}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// completeNames lists names of kind for shell completion, giving up after two seconds so that a
// dead cluster never hangs the shell.
func (g *globals) completeNames(ctx context.Context, kind string) []string {
	if kind == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, ns, err := g.kubeClient()
	if err != nil {
		return nil
	}
	list, err := cmdutil.ListKind(ctx, c, kind, ns, "", labels.Everything())
	if err != nil {
		return nil
	}
	var names []string
	for _, obj := range cmdutil.Items(list) {
		names = append(names, obj.GetName())
	}
	slices.Sort(names)
	return names
}

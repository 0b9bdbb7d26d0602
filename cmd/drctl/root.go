package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/drctl/drctl/internal/iostreams"
	describecmd "github.com/drctl/drctl/pkg/cmd/describe"
	validatecmd "github.com/drctl/drctl/pkg/cmd/validate"
	versioncmd "github.com/drctl/drctl/pkg/cmd/version"
	"github.com/drctl/drctl/pkg/cmdutil"
)

// globals are what every command shares: streams, the kubectl-style connection flags, logging,
// and the process's interrupt signals.
type globals struct {
	streams *iostreams.IOStreams
	// factory is what the commands that live in packages of their own (pkg/cmd) are given.
	factory     *cmdutil.Factory
	configFlags *genericclioptions.ConfigFlags
	verbose     bool
	logFormat   string
	// logFile, when set, receives the logs instead of stderr (--log-file): under the live view,
	// a log line on the terminal would draw over it.
	logFile string
	logOut  io.Writer
	// redactHeaders are the --redact-header names: credentials in headers drctl never shows.
	redactHeaders []string
	// apiQPS and apiBurst are the client-side rate limit towards the API server (see restConfig).
	apiQPS   float32
	apiBurst int
	// interrupts delivers SIGINT/SIGTERM; nil in tests that send none.
	interrupts <-chan os.Signal
}

// displayName is how usage lines name drctl: "kubectl dr" when it runs as the kubectl plugin
// kubectl-dr (a symlink or copy of the binary on the PATH), "drctl" otherwise.
func displayName(argv0 string) string {
	base := argv0[strings.LastIndexAny(argv0, `/\`)+1:] // either separator: a Windows path too
	base = strings.TrimSuffix(base, ".exe")
	if base == "kubectl-dr" {
		return "kubectl dr"
	}
	return "drctl"
}

// run executes drctl with args and returns the process exit code. Errors are printed once, here.
func run(ctx context.Context, streams *iostreams.IOStreams, args []string) int {
	return runWithSignals(ctx, streams, args, nil)
}

// runWithSignals is run with the process's interrupt signals, which commands that run a plan
// turn into a graceful cancel (first) and a hard stop (second).
func runWithSignals(ctx context.Context, streams *iostreams.IOStreams, args []string, interrupts <-chan os.Signal) int {
	return runAs(ctx, "drctl", streams, args, interrupts)
}

// runAs runs drctl under a display name (see displayName).
func runAs(ctx context.Context, name string, streams *iostreams.IOStreams, args []string, interrupts <-chan os.Signal) int {
	// controller-runtime's client logs through logr; drctl logs through slog. Without a logger it
	// would print a warning with a stack trace to stderr half a minute into a run.
	crlog.SetLogger(logr.Discard())
	root := newRootCommand(streams, interrupts)
	if name != "drctl" {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: name}
		renameExamples(root, name)
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !cmdutil.Reported(err) {
		fmt.Fprintln(streams.ErrOut, "Error:", err)
	}
	return cmdutil.ExitCode(err)
}

func newRootCommand(streams *iostreams.IOStreams, interrupts <-chan os.Signal) *cobra.Command {
	g := &globals{streams: streams, configFlags: genericclioptions.NewConfigFlags(true), interrupts: interrupts}
	g.factory = &cmdutil.Factory{
		IOStreams:     streams,
		KubeClient:    func() (client.Client, string, error) { return kubeClient(g) },
		CompleteNames: func(ctx context.Context, kind string) []string { return completeNames(ctx, g, kind) },
	}
	root := &cobra.Command{
		Use:   "drctl",
		Short: "Run Kubernetes disaster-recovery plans from your terminal",
		Long: `drctl runs disaster-recovery plans (DRPlan, DRWorkflow, DRPlanExecution of
dr.bkbcs.tencent.com/v1alpha1) against a cluster and records every step in a DRPlanExecution,
so a run can be watched, reverted and resumed. It also validates plans offline, for CI.`,
		Example: `  # Check plan YAML in CI, no cluster needed
  drctl validate -f plans/

  # Install the CRDs into the current kubectl context
  drctl install`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Runnable, so that `drctl frobnicate` fails the Args check (exit 2) instead of printing help.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return cmdutil.Invalid(err)
	})
	g.configFlags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log debug details (rendered parameters and requests, secrets redacted) to stderr or --log-file")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().StringVar(&g.logFile, "log-file", "", "write logs to this file (appended) instead of stderr")
	root.PersistentFlags().StringSliceVar(&g.redactHeaders, "redact-header", nil, "an HTTP header whose value is a credential, never shown or logged (repeatable; Authorization, cookies and names with token, secret, key or password always are)")
	root.PersistentFlags().Float32Var(&g.apiQPS, "kube-api-qps", defaultAPIQPS, "requests per second drctl may send to the API server (client-side limit); a negative value sends without a limit, leaving protection to the server's API Priority and Fairness")
	root.PersistentFlags().IntVar(&g.apiBurst, "kube-api-burst", defaultAPIBurst, "requests drctl may send in a burst above --kube-api-qps")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		v, err := loadConfig()
		if err != nil {
			return err
		}
		if err := applyConfig(cmd, v); err != nil {
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
			g.logOut = iostreams.NewPrintableWriter(f) // closed when the process exits
		}
		return nil
	}

	root.AddCommand(
		validatecmd.NewCmdValidate(g.factory, nil),
		newExecuteCommand(g),
		newRevertCommand(g),
		newResumeCommand(g),
		newCancelCommand(g),
		newGetCommand(g),
		describecmd.NewCmdDescribe(g.factory, nil),
		newHistoryCommand(g),
		newStatusCommand(g),
		newWatchCommand(g),
		newConfigCommand(g),
		newInstallCommand(g),
		newServeCommand(g),
		newUninstallCommand(g),
		versioncmd.NewCmdVersion(g.factory, nil),
	)
	root.Args = cobra.NoArgs // `drctl foo`: unknown command, a usage error
	wrapArgs(root)
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes argument-count errors usage errors (exit code 2), like flag errors.
func wrapArgs(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	check := c.Args
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return cmdutil.Invalid(err)
		}
		return nil
	}
}

// logger writes structured logs to stderr (or --log-file), never to stdout where progress and data go: warnings
// and errors by default, everything from debug up with -v (transitions at info, rendered
// parameters and requests at debug, credentials redacted).
func (g *globals) logger() *slog.Logger { return g.loggerFrom(slog.LevelWarn) }

// loggerFrom is logger with another least level (-v still lowers it to debug).
func (g *globals) loggerFrom(level slog.Level) *slog.Logger {
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

// renameExamples makes the examples of every command say name where they say drctl.
func renameExamples(c *cobra.Command, name string) {
	c.Example = strings.ReplaceAll(c.Example, "  drctl ", "  "+name+" ")
	for _, sub := range c.Commands() {
		renameExamples(sub, name)
	}
}

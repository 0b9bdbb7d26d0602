// Package root is drctl's root command: the global flags (kubectl's connection flags, logging,
// the API rate limit), the config file and environment defaults, and every command of pkg/cmd
// under it. Run is the whole CLI as a function: cmd/drctl's main and the tests call it.
package root

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/drctl/drctl/internal/iostreams"
	cancelcmd "github.com/drctl/drctl/pkg/cmd/cancel"
	checkcmd "github.com/drctl/drctl/pkg/cmd/check"
	configcmd "github.com/drctl/drctl/pkg/cmd/config"
	describecmd "github.com/drctl/drctl/pkg/cmd/describe"
	drillcmd "github.com/drctl/drctl/pkg/cmd/drill"
	executecmd "github.com/drctl/drctl/pkg/cmd/execute"
	getcmd "github.com/drctl/drctl/pkg/cmd/get"
	historycmd "github.com/drctl/drctl/pkg/cmd/history"
	installcmd "github.com/drctl/drctl/pkg/cmd/install"
	reportcmd "github.com/drctl/drctl/pkg/cmd/report"
	resumecmd "github.com/drctl/drctl/pkg/cmd/resume"
	revertcmd "github.com/drctl/drctl/pkg/cmd/revert"
	servecmd "github.com/drctl/drctl/pkg/cmd/serve"
	signalcmd "github.com/drctl/drctl/pkg/cmd/signal"
	statuscmd "github.com/drctl/drctl/pkg/cmd/status"
	uninstallcmd "github.com/drctl/drctl/pkg/cmd/uninstall"
	validatecmd "github.com/drctl/drctl/pkg/cmd/validate"
	versioncmd "github.com/drctl/drctl/pkg/cmd/version"
	watchcmd "github.com/drctl/drctl/pkg/cmd/watch"
	"github.com/drctl/drctl/pkg/cmdutil"
)

// DisplayName is how usage lines name drctl: "kubectl dr" when it runs as the kubectl plugin
// kubectl-dr (a symlink or copy of the binary on the PATH), "drctl" otherwise.
func DisplayName(argv0 string) string {
	base := argv0[strings.LastIndexAny(argv0, `/\`)+1:] // either separator: a Windows path too
	base = strings.TrimSuffix(base, ".exe")
	if base == "kubectl-dr" {
		return "kubectl dr"
	}
	return "drctl"
}

// Run runs drctl, named name in usage lines (see DisplayName), with args and returns the process
// exit code. interrupts delivers SIGINT/SIGTERM, which commands that run a plan turn into a
// graceful cancel (first) and a hard stop (second); nil sends none. Errors are printed once, here.
func Run(ctx context.Context, name string, streams *iostreams.IOStreams, args []string, interrupts <-chan os.Signal) int {
	// controller-runtime's client logs through logr; drctl logs through slog. Without a logger it
	// would print a warning with a stack trace to stderr half a minute into a run.
	crlog.SetLogger(logr.Discard())
	root, closeLogs := newRoot(streams, interrupts)
	defer closeLogs()
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

// NewCmdRoot is the root command with every command under it, for what walks the commands
// (documentation, tests). Run is what executes one: it also closes the --log-file afterwards.
func NewCmdRoot(streams *iostreams.IOStreams, interrupts <-chan os.Signal) *cobra.Command {
	root, _ := newRoot(streams, interrupts)
	return root
}

// newRoot builds the root command, and the function that closes the --log-file it opens.
func newRoot(streams *iostreams.IOStreams, interrupts <-chan os.Signal) (*cobra.Command, func()) {
	g := &globals{streams: streams}
	f := g.factory(interrupts)
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
		RunE:              func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		Args:              cmdutil.NoArgs, // `drctl foo`: unknown command, a usage error
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return g.complete(cmd) },
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.Invalid(err) })
	g.addFlags(root.PersistentFlags())

	root.AddCommand(
		validatecmd.NewCmdValidate(f, nil),
		checkcmd.NewCmdCheck(f, nil),
		executecmd.NewCmdExecute(f, nil),
		revertcmd.NewCmdRevert(f, nil),
		drillcmd.NewCmdDrill(f, nil),
		resumecmd.NewCmdResume(f, nil),
		cancelcmd.NewCmdCancel(f, nil),
		getcmd.NewCmdGet(f, nil),
		describecmd.NewCmdDescribe(f, nil),
		historycmd.NewCmdHistory(f, nil),
		reportcmd.NewCmdReport(f, nil),
		statuscmd.NewCmdStatus(f, nil),
		watchcmd.NewCmdWatch(f, nil),
		configcmd.NewCmdConfig(f),
		installcmd.NewCmdInstall(f, nil),
		servecmd.NewCmdServe(f, nil),
		uninstallcmd.NewCmdUninstall(f, nil),
		versioncmd.NewCmdVersion(f, nil),
	)
	for _, verb := range signalcmd.Verbs { // pause, continue, approve, reject, retry, skip
		root.AddCommand(signalcmd.NewCmdSignal(f, verb, nil))
	}
	return root, g.closeLogs
}

// renameExamples makes the examples of every command say name where they say drctl.
func renameExamples(c *cobra.Command, name string) {
	c.Example = strings.ReplaceAll(c.Example, "  drctl ", "  "+name+" ")
	for _, sub := range c.Commands() {
		renameExamples(sub, name)
	}
}

// Command drctl runs Kubernetes disaster-recovery plans (dr.bkbcs.tencent.com/v1alpha1 DRPlan,
// DRWorkflow, DRPlanExecution) from an operator's terminal, and validates them offline in CI. It
// is also the kubectl plugin kubectl-dr (a link to the same binary). The commands live in
// pkg/cmd; this is only the process around them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// The kubeconfig auth providers kubectl ships (OIDC; cloud logins are exec plugins, which
	// client-go runs without an import).
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmd/root"
)

func main() {
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile()
	code := root.Run(context.Background(), root.DisplayName(os.Args[0]), iostreams.System(), os.Args[1:], interrupts)
	stopProfile()
	os.Exit(code)
}

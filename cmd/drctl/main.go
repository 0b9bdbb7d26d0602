// Command drctl runs Kubernetes disaster-recovery plans (dr.bkbcs.tencent.com/v1alpha1 DRPlan,
// DRWorkflow, DRPlanExecution) from an operator's terminal, and validates them offline in CI.
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
)

func main() {
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile()
	code := runAs(context.Background(), displayName(os.Args[0]), iostreams.System(), os.Args[1:], interrupts)
	stopProfile()
	os.Exit(code)
}

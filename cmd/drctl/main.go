// Command drctl runs Kubernetes disaster-recovery plans (dr.bkbcs.tencent.com/v1alpha1 DRPlan,
// DRWorkflow, DRPlanExecution) from an operator's terminal, and validates them offline in CI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/drctl/drctl/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, iostreams.System(), os.Args[1:])
	stop()
	os.Exit(code)
}

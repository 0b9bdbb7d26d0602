package progress

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ETA is how long the plan's last successful run of the same operation as exec took, from the
// plan's history: what the live view counts down from. 0 when there is none, or when the plan
// cannot be read within two seconds.
func ETA(ctx context.Context, c client.Reader, exec *v1alpha1.DRPlanExecution) time.Duration {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	plan := &v1alpha1.DRPlan{}
	if c.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: exec.Spec.PlanRef}, plan) != nil {
		return 0
	}
	for _, h := range plan.Status.ExecutionHistory {
		if h.Name != exec.Name && h.OperationType == exec.Spec.OperationType && h.Phase == v1alpha1.PhaseSucceeded && h.StartTime != nil && h.CompletionTime != nil {
			return h.CompletionTime.Sub(h.StartTime.Time)
		}
	}
	return 0
}

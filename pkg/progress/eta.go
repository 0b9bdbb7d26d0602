package progress

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
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
	if earlier := engine.EarlierSuccesses(plan, exec); len(earlier) > 0 {
		return earlier[0]
	}
	return 0
}

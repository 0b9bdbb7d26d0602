package validate

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// A run's whole record is one DRPlanExecution, and etcd refuses to store an object larger than
// its request limit (1.5 MiB by default, --max-request-bytes). A record that outgrows it can no
// longer be written: the run stops where it is, Unknown. These figures estimate the record's
// compact size at the end of a run; they were measured with drctl's benchmark (docs/benchmarks.md:
// about 250 bytes per HTTP action, more for actions that record object references or long
// failure messages) and are rounded up.
const (
	etcdObjectLimit        = 1536 * 1024
	recordBytesBase        = 4 * 1024
	recordBytesPerWorkflow = 512
	recordBytesPerAction   = 350
)

// MaxRecordActions is the largest number of actions a run can record within etcd's object limit,
// by the estimate above, in workflows of actionsPerWorkflow actions each (about 4,100 in
// workflows of 20 actions).
func MaxRecordActions(actionsPerWorkflow int) int {
	actionsPerWorkflow = max(actionsPerWorkflow, 1)
	perWorkflow := recordBytesPerWorkflow + actionsPerWorkflow*recordBytesPerAction
	return (etcdObjectLimit - recordBytesBase) / perWorkflow * actionsPerWorkflow
}

// estimatedRecordBytes is the estimated size of the record of a run with these workflow executions
// and actions.
func estimatedRecordBytes(workflows, actions int) int {
	return recordBytesBase + workflows*recordBytesPerWorkflow + actions*recordBytesPerAction
}

// checkRecordSize warns about a plan whose run would outgrow the largest object etcd stores.
func checkRecordSize(plan *v1alpha1.DRPlan, workflows, actions int) Findings {
	var fs Findings
	size := estimatedRecordBytes(workflows, actions)
	if size <= etcdObjectLimit {
		return fs
	}
	fs.Warnf(field.NewPath("spec", "stages").String(),
		"a run of this plan records %d actions in %d workflow executions, an estimated %d KiB in one DRPlanExecution; etcd refuses objects over 1.5 MiB, so the run would stop, Unknown, once its record no longer fits (about %d actions fit): split the plan",
		actions, workflows, size/1024, MaxRecordActions(actions/max(workflows, 1)))
	return fs
}

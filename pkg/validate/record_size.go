package validate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"

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
// and actions, and workflow specs of specBytes once compressed (the record keeps them).
func estimatedRecordBytes(workflows, actions, specBytes int) int {
	return recordBytesBase + workflows*recordBytesPerWorkflow + actions*recordBytesPerAction + specBytes*4/3 // base64
}

// compressedSpecSize is the size of a workflow's spec as the record keeps it: gzip-compressed JSON.
func compressedSpecSize(wf *v1alpha1.DRWorkflow) int {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(wf.Spec); err != nil {
		return 0
	}
	_ = zw.Close()
	return buf.Len()
}

// checkRecordSize warns about a plan whose run would outgrow the largest object etcd stores.
func checkRecordSize(workflows, actions, specBytes int) Findings {
	var fs Findings
	size := estimatedRecordBytes(workflows, actions, specBytes)
	if size <= etcdObjectLimit {
		return fs
	}
	fs.Warnf(field.NewPath("spec", "stages").String(),
		"a run of this plan records %d actions in %d workflow executions and %d KiB of workflow specs (compressed), an estimated %d KiB in one DRPlanExecution; etcd refuses objects over 1.5 MiB, so drctl execute would refuse to run it (about %d actions of small workflows fit): split the plan",
		actions, workflows, specBytes/1024, size/1024, MaxRecordActions(actions/max(workflows, 1)))
	return fs
}

package engine

import (
	"encoding/json"
	"fmt"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// etcd stores an object of at most 1.5 MiB (its default --max-request-bytes), and a run's whole
// record is one DRPlanExecution. A record that outgrows it can no longer be written: the run
// stops Unknown where it is. Checked before anything is created, a run that would outgrow it is
// refused instead.
const (
	maxRecordBytes = 1536 * 1024
	// recordGrowthPerAction is what an action adds to the record as it runs (timestamps,
	// attempts, duration, outputs): about 250 bytes for an HTTP action in the benchmark, rounded
	// up for object references and failure messages.
	recordGrowthPerAction = 350
)

// checkRecordFits refuses a run whose record would not fit in etcd: its size when it starts,
// with every action Pending and the workflows' specs, and the growth of each action.
func checkRecordFits(exec *v1alpha1.DRPlanExecution) error {
	data, err := json.Marshal(exec)
	if err != nil {
		return err
	}
	actions := 0
	for _, ss := range exec.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			actions += len(w.ActionStatuses)
		}
	}
	end := len(data) + actions*recordGrowthPerAction
	if end <= maxRecordBytes {
		return nil
	}
	return &InvalidError{What: fmt.Sprintf("the record of this run would not fit in etcd, which stores at most 1.5 MiB per object: "+
		"%d KiB when it starts, about %d KiB at its end (%d actions); nothing was created. Split the plan, or shorten its workflows",
		len(data)/1024, end/1024, actions)}
}

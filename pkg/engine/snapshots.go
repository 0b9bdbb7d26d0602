package engine

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// workflowSnapshot is one entry of status.workflowSnapshots: a workflow's spec as the run uses it.
type workflowSnapshot struct {
	Namespace  string                  `json:"namespace"`
	Name       string                  `json:"name"`
	Generation int64                   `json:"generation"`
	Spec       v1alpha1.DRWorkflowSpec `json:"spec"`
}

// maxSnapshotBytes bounds what a record's snapshots may decompress to: more than any object etcd
// stores could hold uncompressed, and far less than a decompression bomb would take.
const maxSnapshotBytes = 64 << 20

// packWorkflowSnapshots moves the workflow specs of st's workflow executions into
// st.WorkflowSnapshots, once per workflow and generation, and clears them from the executions.
// Specs already packed stay; the result is the same whatever order the executions are in.
func packWorkflowSnapshots(st *v1alpha1.DRPlanExecutionStatus) error {
	snaps, err := decodeWorkflowSnapshots(st.WorkflowSnapshots)
	if err != nil {
		return err
	}
	index := map[snapshotKey]bool{}
	for _, s := range snaps {
		index[snapshotKey{s.Namespace, s.Name, s.Generation}] = true
	}
	added := false
	for i := range st.StageStatuses {
		for j := range st.StageStatuses[i].WorkflowExecutions {
			we := &st.StageStatuses[i].WorkflowExecutions[j]
			if we.WorkflowSpec == nil {
				continue
			}
			key := snapshotKey{we.WorkflowRef.Namespace, we.WorkflowRef.Name, we.WorkflowGeneration}
			if !index[key] {
				index[key] = true
				snaps = append(snaps, workflowSnapshot{Namespace: key.namespace, Name: key.name, Generation: key.generation, Spec: *we.WorkflowSpec})
				added = true
			}
			we.WorkflowSpec = nil
		}
	}
	if !added {
		return nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(snaps); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	st.WorkflowSnapshots = buf.Bytes()
	return nil
}

// unpackWorkflowSnapshots gives every workflow execution of st its spec from st.WorkflowSnapshots
// (a record written before the snapshots were packed has them in place already). A workflow
// execution whose snapshot is missing is an error: the run cannot be resumed or reverted exactly.
func unpackWorkflowSnapshots(st *v1alpha1.DRPlanExecutionStatus) error {
	snaps, err := decodeWorkflowSnapshots(st.WorkflowSnapshots)
	if err != nil {
		return err
	}
	index := map[snapshotKey]*v1alpha1.DRWorkflowSpec{}
	for i := range snaps {
		index[snapshotKey{snaps[i].Namespace, snaps[i].Name, snaps[i].Generation}] = &snaps[i].Spec
	}
	for i := range st.StageStatuses {
		ss := &st.StageStatuses[i]
		for j := range ss.WorkflowExecutions {
			we := &ss.WorkflowExecutions[j]
			if we.WorkflowSpec != nil {
				continue
			}
			spec, ok := index[snapshotKey{we.WorkflowRef.Namespace, we.WorkflowRef.Name, we.WorkflowGeneration}]
			if !ok {
				return fmt.Errorf("stage %s: workflow %s has no spec snapshot", ss.Name, we.WorkflowRef.Name)
			}
			we.WorkflowSpec = spec.DeepCopy()
		}
	}
	return nil
}

// UnpackedStatus returns a copy of exec whose workflow executions each carry their workflow's
// spec as run (status.stageStatuses[].workflowExecutions[].workflowSpec), for readers of a record
// such as describe or a report.
func UnpackedStatus(exec *v1alpha1.DRPlanExecution) (*v1alpha1.DRPlanExecution, error) {
	out := exec.DeepCopy()
	if err := unpackWorkflowSnapshots(&out.Status); err != nil {
		return nil, err
	}
	return out, nil
}

type snapshotKey struct {
	namespace, name string
	generation      int64
}

func decodeWorkflowSnapshots(data []byte) ([]workflowSnapshot, error) {
	if len(data) == 0 {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("status.workflowSnapshots: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxSnapshotBytes+1))
	if err != nil {
		return nil, fmt.Errorf("status.workflowSnapshots: %w", err)
	}
	if len(raw) > maxSnapshotBytes {
		return nil, fmt.Errorf("status.workflowSnapshots: more than %d bytes uncompressed", maxSnapshotBytes)
	}
	var snaps []workflowSnapshot
	if err := json.Unmarshal(raw, &snaps); err != nil {
		return nil, fmt.Errorf("status.workflowSnapshots: %w", err)
	}
	return snaps, nil
}

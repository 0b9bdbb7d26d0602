package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// The journal makes an action's start (and the outcome of the one before it) durable without
// rewriting the whole record. The API server's cost of a status write follows the size of the
// stored object, and the record of a long run is tens or hundreds of KiB: written before every
// action, it was most of a run's time. The journal is a small ConfigMap, <execution>.journal,
// holding only the nodes (stages, workflows, actions) changed since the record's last write; the
// runner writes it, and the whole record at most once per status interval (a watcher sees the
// record at most that late) and at the end.
//
// The record is the truth once the journal is folded in. A record write is stamped with the
// owner's fence and the version it carries (status.runner.sequence); the journal with the fence
// and each node's version. Whoever takes the record over (resume, cancel of a dead run, revert of
// an Unknown run) folds in the journal's nodes newer than the record, in the same write that
// stamps the new owner, then deletes the journal. Readers of a record whose runner may have died
// (describe, revert) fold it in without writing (Overlay).

const journalKey = "journal"

// journalData is the content of a journal ConfigMap.
type journalData struct {
	Execution string         `json:"execution"`
	UID       string         `json:"uid"`
	Holder    string         `json:"holder"`
	Epoch     int32          `json:"epoch"`
	Entries   []journalEntry `json:"entries"`
	// Inherited is the previous owner's journal, kept by the new owner's takeover until its claim
	// of the record (which folds it in) has been written.
	Inherited *journalData `json:"inherited,omitempty"`
}

// journalEntry is one node of the status tree as of version V: a stage (Workflow and Action -1),
// a workflow (Action -1) or an action. Stage and Workflow carry their own fields only.
type journalEntry struct {
	V        uint64                            `json:"v"`
	Stage    int                               `json:"s"`
	Workflow int                               `json:"w"`
	Action   int                               `json:"a"`
	Stagest  *v1alpha1.StageStatus             `json:"stage,omitempty"`
	Flow     *v1alpha1.WorkflowExecutionStatus `json:"workflow,omitempty"`
	Act      *v1alpha1.ActionStatus            `json:"action,omitempty"`
}

// journalName is the journal ConfigMap of an execution: <execution>.journal. The dot keeps it
// apart from the objects of actions, whose generated names never hold one.
func journalName(execution string) string { return executionObjectName(execution, ".journal") }

// nodeEntry copies node n of st, at version v.
func nodeEntry(st *v1alpha1.DRPlanExecutionStatus, n at, v uint64) journalEntry {
	e := journalEntry{V: v, Stage: n.stage, Workflow: n.workflow, Action: n.action}
	ss := &st.StageStatuses[n.stage]
	switch {
	case n.workflow < 0:
		cp := *ss
		cp.WorkflowExecutions, cp.DependsOn = nil, nil
		e.Stagest = cp.DeepCopy()
	case n.action < 0:
		cp := ss.WorkflowExecutions[n.workflow]
		cp.ActionStatuses, cp.WorkflowSpec, cp.ResolvedParams = nil, nil, nil
		e.Flow = cp.DeepCopy()
	default:
		e.Act = ss.WorkflowExecutions[n.workflow].ActionStatuses[n.action].DeepCopy()
	}
	return e
}

func sortEntries(es []journalEntry) {
	sort.Slice(es, func(i, j int) bool { return es[i].V < es[j].V })
}

// matching returns the journal of exec's record owner: j, or what j inherited from it, or nil (a
// journal of an older owner was folded when the record was taken over).
func (j *journalData) matching(exec *v1alpha1.DRPlanExecution) *journalData {
	r := exec.Status.Runner
	for ; j != nil && r != nil; j = j.Inherited {
		if j.Holder == r.Holder && j.Epoch == r.Epoch && j.UID == string(exec.UID) {
			return j
		}
	}
	return nil
}

// fold applies the nodes of the record owner's journal newer than exec's record to it (see
// matching). It reports whether anything changed.
func (j *journalData) fold(exec *v1alpha1.DRPlanExecution) bool {
	j = j.matching(exec)
	if j == nil {
		return false
	}
	r := exec.Status.Runner
	st := &exec.Status
	changed := false
	for _, e := range j.Entries {
		if int64(e.V) <= r.Sequence || e.Stage < 0 || e.Stage >= len(st.StageStatuses) {
			continue
		}
		ss := &st.StageStatuses[e.Stage]
		switch {
		case e.Workflow < 0 && e.Stagest != nil:
			wes, deps := ss.WorkflowExecutions, ss.DependsOn
			*ss = *e.Stagest
			ss.WorkflowExecutions, ss.DependsOn = wes, deps
		case e.Workflow >= 0 && e.Workflow < len(ss.WorkflowExecutions) && e.Action < 0 && e.Flow != nil:
			w := &ss.WorkflowExecutions[e.Workflow]
			actions, spec, params := w.ActionStatuses, w.WorkflowSpec, w.ResolvedParams
			*w = *e.Flow
			w.ActionStatuses, w.WorkflowSpec, w.ResolvedParams = actions, spec, params
		case e.Workflow >= 0 && e.Workflow < len(ss.WorkflowExecutions) && e.Action >= 0 &&
			e.Action < len(ss.WorkflowExecutions[e.Workflow].ActionStatuses) && e.Act != nil:
			ss.WorkflowExecutions[e.Workflow].ActionStatuses[e.Action] = *e.Act
		default:
			continue
		}
		changed = true
	}
	if changed {
		refreshSummary(st)
	}
	return changed
}

// readJournal returns exec's journal and its ConfigMap, or nils when it has none. Without
// permission to read ConfigMaps it is an error if the record says its owner keeps a journal.
func readJournal(ctx context.Context, c client.Client, exec *v1alpha1.DRPlanExecution) (*journalData, *corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{}
	err := c.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: journalName(exec.Name)}, cm)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil, nil
	case apierrors.IsForbidden(err) && (exec.Status.Runner == nil || exec.Status.Runner.Journal == ""):
		return nil, nil, nil
	case apierrors.IsForbidden(err):
		return nil, nil, fmt.Errorf("%s's latest transitions are in its journal, ConfigMap %s, which you may not read: %w", exec.Name, cm.Name, err)
	case err != nil:
		return nil, nil, fmt.Errorf("read the journal of %s: %w", exec.Name, err)
	}
	j := &journalData{}
	if err := json.Unmarshal([]byte(cm.Data[journalKey]), j); err != nil {
		return nil, cm, fmt.Errorf("the journal of %s (ConfigMap %s) is unreadable: %w", exec.Name, cm.Name, err)
	}
	return j, cm, nil
}

// ReadExecution reads an execution as its runner made it durable: its journal first, then the
// record, the journal folded in. (In this order a record written in between holds everything the
// journal no longer does.)
func ReadExecution(ctx context.Context, c client.Client, namespace, name string) (*v1alpha1.DRPlanExecution, error) {
	probe := &v1alpha1.DRPlanExecution{}
	probe.Namespace, probe.Name = namespace, name
	probe.Status.Runner = &v1alpha1.RunnerInfo{Journal: journalName(name)} // unreadable is an error until the record says otherwise
	j, _, jerr := readJournal(ctx, c, probe)
	exec := &v1alpha1.DRPlanExecution{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, exec); err != nil {
		return nil, err
	}
	if jerr != nil {
		if exec.Status.Runner != nil && exec.Status.Runner.Journal != "" {
			return nil, jerr
		}
		return exec, nil
	}
	j.fold(exec)
	return exec, nil
}

// Overlay folds exec's journal into it without writing anything: the record as its runner last
// made it durable, for readers of a run whose runner may have died. (A finished record normally
// holds everything, and its journal is gone; one whose end could only be recorded in a small write
// keeps its journal, which Overlay folds in.)
func Overlay(ctx context.Context, c client.Client, exec *v1alpha1.DRPlanExecution) error {
	j, _, err := readJournal(ctx, c, exec)
	if err != nil {
		return err
	}
	j.fold(exec)
	return nil
}

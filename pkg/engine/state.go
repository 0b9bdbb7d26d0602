package engine

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// state is the run's DRPlanExecution, the one source of truth while it runs. Every change goes
// through a method that takes the lock, updates the summary and progress, emits the event, and
// tells the recorder to write.
type state struct {
	mu       sync.Mutex
	exec     *v1alpha1.DRPlanExecution
	observer Observer
	logger   *slog.Logger
	now      func() time.Time
	changed  func() // the recorder's Notify
	// redact keeps sensitive values out of the record and the events: every message and output
	// is redacted as it enters the state.
	redact *redactor
	// labels are the workflow labels of each stage, computed once (WorkflowLabels).
	labels map[int][]string
	// version counts the changes to the status: a write of a snapshot taken at version v makes
	// every change up to v durable (the recorder's group commit).
	version uint64
	// dirty holds, for every node changed since the record's last write, the version of its
	// latest change: what a journal write must carry. untracked is the version of the latest
	// change made without naming its node (only a write of the whole record carries it).
	dirty     map[at]uint64
	untracked uint64
}

// at addresses one node of the status tree: a stage, a workflow of it, an action of that.
type at struct{ stage, workflow, action int }

// update changes the status with fn; nodes names the stages, workflows and actions fn changes
// (none: a change only a write of the whole record can carry, such as the run's end).
func (s *state) update(fn func(st *v1alpha1.DRPlanExecutionStatus), nodes ...at) {
	s.mu.Lock()
	fn(&s.exec.Status)
	s.redactNodes(nodes)
	refreshSummary(&s.exec.Status)
	s.version++
	if len(nodes) == 0 {
		s.untracked = s.version
	}
	for _, n := range nodes {
		if s.dirty == nil {
			s.dirty = map[at]uint64{}
		}
		s.dirty[n] = s.version
	}
	s.mu.Unlock()
	if s.changed != nil {
		s.changed()
	}
}

// redactNodes redacts the messages and outputs of the nodes a change names, and the run's own
// message (a change that names no node may have set it). The caller holds the lock.
func (s *state) redactNodes(nodes []at) {
	st := &s.exec.Status
	st.Message = s.redact.String(st.Message)
	for _, n := range nodes {
		ss := &st.StageStatuses[n.stage]
		if n.workflow < 0 {
			ss.Message = s.redact.String(ss.Message)
			continue
		}
		w := &ss.WorkflowExecutions[n.workflow]
		if n.action < 0 {
			w.Message = s.redact.String(w.Message)
			continue
		}
		as := &w.ActionStatuses[n.action]
		as.Message, as.Outputs = s.redact.String(as.Message), s.redact.Outputs(as.Outputs)
		for i := range as.ClusterStatuses {
			as.ClusterStatuses[i].Message = s.redact.String(as.ClusterStatuses[i].Message)
		}
	}
}

// journalEntries returns the changes after version since (the record's last write) node by
// node, and the version they bring the record to. ok is false when a change after since is not
// tracked by node: then only a write of the whole record makes it durable.
func (s *state) journalEntries(since uint64) (entries []journalEntry, version uint64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.untracked > since {
		return nil, s.version, false
	}
	for n, v := range s.dirty {
		if v > since {
			entries = append(entries, nodeEntry(&s.exec.Status, n, v))
		}
	}
	sortEntries(entries)
	return entries, s.version, true
}

// written forgets the node changes a write of the whole record at version v carried.
func (s *state) written(v uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, nv := range s.dirty {
		if nv <= v {
			delete(s.dirty, n)
		}
	}
}

// snapshot returns a deep copy of the execution.
func (s *state) snapshot() *v1alpha1.DRPlanExecution {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exec.DeepCopy()
}

// versioned returns a deep copy of the execution and the version of the status it holds.
func (s *state) versioned() (*v1alpha1.DRPlanExecution, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exec.DeepCopy(), s.version
}

// currentVersion is the version of the latest change.
func (s *state) currentVersion() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// setResourceVersion records the version the last write produced.
func (s *state) setResourceVersion(rv string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exec.ResourceVersion = rv
}

// refreshMeta takes the stored object's version and annotations (someone annotated it): the
// status is entirely the runner's, the metadata is not.
func (s *state) refreshMeta(latest *v1alpha1.DRPlanExecution) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exec.ResourceVersion = latest.ResourceVersion
	s.exec.Annotations = latest.Annotations
}

func (s *state) name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exec.Name
}

func (s *state) emit(e Event) {
	e.Time = s.now()
	e.Execution = s.exec.Name
	e.Message, e.Outputs, e.Rendered = s.redact.String(e.Message), s.redact.Outputs(e.Outputs), s.redact.Action(e.Rendered)
	if s.logger != nil {
		s.logger.Info("transition", "execution", e.Execution, "node", string(e.Type), "stage", e.Stage,
			"workflow", e.Workflow, "action", e.Action, "phase", string(e.Phase), "attempt", e.Attempt, "message", e.Message)
	}
	if s.observer != nil {
		s.observer.Observe(e)
	}
}

func (s *state) names(a at) (stage, workflow, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.exec.Status.StageStatuses[a.stage]
	stage = st.Name
	if a.workflow >= 0 {
		if s.labels == nil {
			s.labels = map[int][]string{}
		}
		if s.labels[a.stage] == nil { // the parameters never change during a run
			s.labels[a.stage] = WorkflowLabels(st)
		}
		workflow = s.labels[a.stage][a.workflow]
		if a.action >= 0 {
			action = st.WorkflowExecutions[a.workflow].ActionStatuses[a.action].Name
		}
	}
	return
}

// setStage moves a stage to phase.
func (s *state) setStage(a at, phase v1alpha1.ExecutionPhase, msg string) {
	now := metav1.NewTime(s.now())
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		ss := &st.StageStatuses[a.stage]
		ss.Phase, ss.Message = phase, msg
		if phase == v1alpha1.PhaseRunning && ss.StartTime == nil {
			ss.StartTime = &now
		}
		if v1alpha1.IsFinished(phase) {
			ss.CompletionTime = &now
			ss.Duration = duration(ss.StartTime, &now)
		}
	}, at{a.stage, -1, -1})
	stage, _, _ := s.names(at{a.stage, -1, -1})
	s.emit(Event{Type: EventStage, Stage: stage, Phase: phase, Message: msg})
}

// setWorkflow moves a workflow to phase.
func (s *state) setWorkflow(a at, phase v1alpha1.ExecutionPhase, msg string) {
	now := metav1.NewTime(s.now())
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		w := &st.StageStatuses[a.stage].WorkflowExecutions[a.workflow]
		w.Phase, w.Message = phase, msg
		if phase == v1alpha1.PhaseRunning && w.StartTime == nil {
			w.StartTime = &now
		}
		if v1alpha1.IsFinished(phase) {
			w.CompletionTime = &now
			w.Duration = duration(w.StartTime, &now)
			w.CurrentAction = ""
		}
	}, at{a.stage, a.workflow, -1})
	stage, workflow, _ := s.names(at{a.stage, a.workflow, -1})
	s.emit(Event{Type: EventWorkflow, Stage: stage, Workflow: workflow, Phase: phase, Message: msg})
}

// startAttempt marks an action Running in attempt n; rendered is what it runs.
func (s *state) startAttempt(a at, n int, rendered *v1alpha1.Action) {
	now := metav1.NewTime(s.now())
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		w := &st.StageStatuses[a.stage].WorkflowExecutions[a.workflow]
		as := &w.ActionStatuses[a.action]
		as.Phase = v1alpha1.PhaseRunning
		as.Attempts = int32(n)
		as.RetryCount = int32(n - 1)
		as.CompletionTime = nil
		if as.StartTime == nil {
			as.StartTime = &now
		}
		w.CurrentAction = as.Name
	}, a, at{a.stage, a.workflow, -1})
	stage, workflow, action := s.names(a)
	s.emit(Event{Type: EventAction, Stage: stage, Workflow: workflow, Action: action, Phase: v1alpha1.PhaseRunning, Attempt: n, Rendered: rendered})
}

// action returns a copy of an action's status as it is now.
func (s *state) action(a at) v1alpha1.ActionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.exec.Status.StageStatuses[a.stage].WorkflowExecutions[a.workflow].ActionStatuses[a.action].DeepCopy()
}

// unstartAttempt takes back an attempt that was recorded Running but never began (the run was
// handed over first): the action's status is what it was before, as true as ever.
func (s *state) unstartAttempt(a at, before v1alpha1.ActionStatus) {
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		st.StageStatuses[a.stage].WorkflowExecutions[a.workflow].ActionStatuses[a.action] = before
	}, a)
	stage, workflow, action := s.names(a)
	s.emit(Event{Type: EventAction, Stage: stage, Workflow: workflow, Action: action, Phase: orPending(before.Phase), Attempt: int(before.Attempts),
		Message: "handed over before this attempt began"})
}

// retrying records a failed attempt n that will be retried: the retry'th of limit.
func (s *state) retrying(a at, n, retry, limit int, err error, outputs *v1alpha1.ActionOutputs) {
	msg := fmt.Sprintf("attempt %d failed, retrying (%d/%d): %v", n, retry, limit, err)
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		as := &st.StageStatuses[a.stage].WorkflowExecutions[a.workflow].ActionStatuses[a.action]
		as.Message = msg
		if outputs != nil {
			as.Outputs = outputs
		}
	}, a)
	stage, workflow, action := s.names(a)
	s.emit(Event{Type: EventRetry, Stage: stage, Workflow: workflow, Action: action, Phase: v1alpha1.PhaseRunning, Attempt: n, Message: err.Error()})
}

// retryDecided puts a failed action back to Pending: an operator asked for it to run again.
func (s *state) retryDecided(a at, msg string) {
	var attempt int
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		as := &st.StageStatuses[a.stage].WorkflowExecutions[a.workflow].ActionStatuses[a.action]
		as.Phase, as.Message, as.CompletionTime = v1alpha1.PhasePending, msg, nil
		attempt = int(as.Attempts)
	}, a)
	stage, workflow, action := s.names(a)
	s.emit(Event{Type: EventAction, Stage: stage, Workflow: workflow, Action: action, Phase: v1alpha1.PhasePending, Attempt: attempt, Message: msg})
}

// recordClusters records the per-cluster states of a PerCluster action (written with its outcome).
func (s *state) recordClusters(a at, clusters []v1alpha1.ClusterActionStatus) {
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		st.StageStatuses[a.stage].WorkflowExecutions[a.workflow].ActionStatuses[a.action].ClusterStatuses = clusters
	}, a)
}

// finishAction records an action's outcome.
func (s *state) finishAction(a at, phase v1alpha1.ExecutionPhase, msg string, outputs *v1alpha1.ActionOutputs) {
	now := metav1.NewTime(s.now())
	var attempt int
	s.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		as := &st.StageStatuses[a.stage].WorkflowExecutions[a.workflow].ActionStatuses[a.action]
		as.Phase, as.Message = phase, recordedMessage(phase, msg, outputs)
		as.CompletionTime = &now
		if as.StartTime != nil {
			as.Duration = s.now().Sub(as.StartTime.Time).Round(time.Millisecond).String()
		}
		if outputs != nil {
			as.Outputs = outputs
		}
		attempt = int(as.Attempts)
	}, a)
	stage, workflow, action := s.names(a)
	s.emit(Event{Type: EventAction, Stage: stage, Workflow: workflow, Action: action, Phase: phase, Attempt: attempt, Message: msg, Outputs: outputs})
}

// recordedMessage is what the record keeps of an outcome's message. A successful HTTP answer's
// message ("GET <url>: 200 in 51ms") only repeats the snapshot's URL and the outputs' status
// code and latency: the record leaves it out (views derive it, see ActionSummary), which is
// about a fifth of the bytes of each such action.
func recordedMessage(phase v1alpha1.ExecutionPhase, msg string, outputs *v1alpha1.ActionOutputs) string {
	if phase == v1alpha1.PhaseSucceeded && outputs != nil && outputs.HTTPResponse != nil {
		return ""
	}
	return msg
}

// ActionSummary is the one-line account of an action's outcome for people: its message, or,
// where the record leaves that out, what its outputs say.
func ActionSummary(as *v1alpha1.ActionStatus) string {
	if as.Message != "" || as.Outputs == nil || as.Outputs.HTTPResponse == nil {
		return as.Message
	}
	r := as.Outputs.HTTPResponse
	if r.Latency == "" {
		return fmt.Sprintf("HTTP %d", r.StatusCode)
	}
	return fmt.Sprintf("HTTP %d in %s", r.StatusCode, r.Latency)
}

func duration(start, end *metav1.Time) string {
	if start == nil || end == nil {
		return ""
	}
	return end.Sub(start.Time).Round(time.Millisecond).String()
}

// refreshSummary recomputes the counters and progress from the tree.
func refreshSummary(st *v1alpha1.DRPlanExecutionStatus) {
	sum := &v1alpha1.ExecutionSummary{}
	for i := range st.StageStatuses {
		ss := &st.StageStatuses[i]
		sum.TotalStages++
		countPhase(ss.Phase, &sum.CompletedStages, &sum.RunningStages, &sum.PendingStages, &sum.FailedStages)
		for j := range ss.WorkflowExecutions {
			w := &ss.WorkflowExecutions[j]
			sum.TotalWorkflows++
			countPhase(w.Phase, &sum.CompletedWorkflows, &sum.RunningWorkflows, &sum.PendingWorkflows, &sum.FailedWorkflows)
			done := 0
			for _, a := range w.ActionStatuses {
				sum.TotalActions++
				if v1alpha1.IsFinished(a.Phase) {
					sum.CompletedActions++
					done++
				}
			}
			w.Progress = fmt.Sprintf("%d/%d actions completed", done, len(w.ActionStatuses))
		}
	}
	st.Summary = sum
	st.Progress = fmt.Sprintf("%d/%d", sum.CompletedActions, sum.TotalActions)
}

// countPhase counts a node: Succeeded and Skipped as completed, Failed and Canceled as failed.
func countPhase(p v1alpha1.ExecutionPhase, completed, running, pending, failed *int) {
	switch v1alpha1.NormalizePhase(p) {
	case v1alpha1.PhaseSucceeded, v1alpha1.PhaseSkipped:
		*completed++
	case v1alpha1.PhaseRunning:
		*running++
	case v1alpha1.PhaseFailed, v1alpha1.PhaseCanceled:
		*failed++
	default:
		*pending++
	}
}

// objectWorkflow names a workflow in the labels of the objects its actions create: its name, with
// its position when the stage runs it more than once. Unlike WorkflowLabel it never changes with
// parameters, so a resume adopts what an earlier drctl created, and positions never collide.
func (s *state) objectWorkflow(a at) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.exec.Status.StageStatuses[a.stage]
	name := st.WorkflowExecutions[a.workflow].WorkflowRef.Name
	for i, w := range st.WorkflowExecutions {
		if i != a.workflow && w.WorkflowRef.Name == name {
			return fmt.Sprintf("%s[%d]", name, a.workflow)
		}
	}
	return name
}

// WorkflowLabel names workflow j of a stage for people and in events (see WorkflowLabels).
func WorkflowLabel(st *v1alpha1.StageStatus, j int) string { return WorkflowLabels(st)[j] }

// WorkflowLabels names every workflow of a stage: its name, and when the stage runs the same
// workflow more than once, the parameters that tell the runs apart
// ("service-failover(service=payment)"), at most three, or its position where none do. Sensitive
// values and the mode are never shown. It takes time linear in the stage's parameters.
func WorkflowLabels(st *v1alpha1.StageStatus) []string {
	runs := st.WorkflowExecutions
	groups := map[string][]int{}
	for i, w := range runs {
		groups[w.WorkflowRef.Name] = append(groups[w.WorkflowRef.Name], i)
	}
	labels := make([]string, len(runs))
	for name, same := range groups {
		if len(same) == 1 {
			labels[same[0]] = name
			continue
		}
		// A parameter tells the runs apart when some run lacks it or holds another value.
		varies := map[string]bool{}
		for _, i := range same {
			for k, v := range runs[i].ResolvedParams {
				if varies[k] || k == "mode" || v == Redacted {
					continue
				}
				for _, o := range same {
					if other, ok := runs[o].ResolvedParams[k]; !ok || other != v {
						varies[k] = true
						break
					}
				}
			}
		}
		seen := map[string]int{}
		for _, i := range same {
			labels[i] = distinguishingLabel(name, runs[i].ResolvedParams, varies)
			seen[labels[i]]++
		}
		for _, i := range same { // runs alike in every parameter: only their positions differ
			if seen[labels[i]] > 1 || labels[i] == name {
				labels[i] = fmt.Sprintf("%s[%d]", name, i)
			}
		}
	}
	return labels
}

// distinguishingLabel is name(k=v,...) over the parameters of params that vary, at most three.
func distinguishingLabel(name string, params map[string]string, varies map[string]bool) string {
	var keys []string
	for k := range params {
		if varies[k] && params[k] != Redacted {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return name
	}
	sort.Strings(keys)
	if len(keys) > 3 {
		keys = keys[:3]
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := []rune(params[k])
		if len(v) > 32 {
			v = append(v[:29], []rune("...")...)
		}
		parts[i] = k + "=" + string(v)
	}
	return name + "(" + strings.Join(parts, ",") + ")"
}

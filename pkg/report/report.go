// Package report is drctl report: everything an auditor asks after a failover, from one
// execution's record: who ran it, with which parameters (sensitive ones redacted), every
// action's timeline, attempts, response excerpts and the objects it touched, the events, the
// revert that undid it, and how long it took against earlier runs. It renders Markdown, a
// self-contained HTML page with a timeline chart, or JSON.
package report

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// SchemaVersion is the version of the JSON report.
const SchemaVersion = 1

// maxExcerpt is how much of a response body a report quotes.
const maxExcerpt = 300

// Report is one execution, told for an audit.
type Report struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	Namespace string    `json:"namespace"`
	Plan      string    `json:"plan"`
	Operation string    `json:"operation"`
	Phase     string    `json:"phase"`
	Message   string    `json:"message,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end,omitzero"`
	Duration  string    `json:"duration,omitempty"`
	// Runner is who ran it, as the API server identified them, where, and with which drctl.
	Runner Runner `json:"runner"`
	// Params are the parameters the run resolved; sensitive ones show as REDACTED.
	Params []Param `json:"params"`
	Stages []Stage `json:"stages"`
	// Signals are the operator's interventions in the run (pause, approve, retry, skip...), who
	// sent each, when and why, and what it did or why it was refused.
	Signals []Signal `json:"signals,omitempty"`
	Events  []Event  `json:"events"`
	// Reverts are the Revert executions of this one; Reverts is the execution a Revert undid.
	RevertedBy []Related `json:"revertedBy,omitempty"`
	Reverts    string    `json:"reverts,omitempty"`
	// Earlier are the durations of the plan's earlier successful runs of the same operation.
	Earlier []string `json:"earlier,omitempty"`
}

// Runner is who ran an execution.
type Runner struct {
	User    string `json:"user"`
	Host    string `json:"host"`
	PID     int64  `json:"pid,omitempty"`
	Version string `json:"version"`
}

// Param is one resolved parameter.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Stage is one stage's record.
type Stage struct {
	Name      string     `json:"name"`
	Phase     string     `json:"phase"`
	Start     time.Time  `json:"start,omitzero"`
	End       time.Time  `json:"end,omitzero"`
	Workflows []Workflow `json:"workflows"`
}

// Workflow is one workflow run of a stage, named with its distinguishing parameters.
type Workflow struct {
	Name    string   `json:"name"`
	Phase   string   `json:"phase"`
	Actions []Action `json:"actions"`
}

// Action is one action's record.
type Action struct {
	Name     string    `json:"name"`
	Type     string    `json:"type,omitempty"`
	Target   string    `json:"target,omitempty"`
	Phase    string    `json:"phase"`
	Attempts int32     `json:"attempts,omitempty"`
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	// Took is how long it ran, as the record measured it (to the millisecond).
	Took    string `json:"took,omitempty"`
	Message string `json:"message,omitempty"`
	// AsRun is the action as it ran, rendered: an HTTP request (sensitive headers redacted), a
	// manifest's first lines, a Job's containers.
	AsRun []string `json:"asRun,omitempty"`
	// Response is an HTTP action's status code and the start of its body.
	Response string `json:"response,omitempty"`
	// Objects are the objects it created, changed or deleted.
	Objects []string `json:"objects,omitempty"`
}

// Signal is one operator signal the run received.
type Signal struct {
	Time   time.Time `json:"time"`
	By     string    `json:"by"`
	Verb   string    `json:"verb"`
	Step   string    `json:"step,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Result string    `json:"result"`
	// Message says what the signal did, or why it was refused.
	Message string `json:"message,omitempty"`
}

// Event is one Kubernetes event of the execution.
type Event struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
}

// Related is another execution and how it ended.
type Related struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
}

// Build reads the execution namespace/name (its journal included), its events, its reverts and
// its plan's history, and tells them.
func Build(ctx context.Context, c client.Client, namespace, name string) (*Report, error) {
	exec, err := engine.ReadExecution(ctx, c, namespace, name)
	if err != nil {
		return nil, err
	}
	// What cannot be read is left out of the report, which says so (no events, no reverts).
	events := &corev1.EventList{}
	_ = c.List(ctx, events, client.InNamespace(namespace), client.MatchingFields{"involvedObject.name": name})
	all := &v1alpha1.DRPlanExecutionList{}
	_ = c.List(ctx, all, client.InNamespace(namespace))
	plan := &v1alpha1.DRPlan{}
	if c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: exec.Spec.PlanRef}, plan) != nil {
		plan = nil
	}
	return Assemble(exec, events.Items, all.Items, plan), nil
}

// Assemble tells exec from its record, its events, the executions of its namespace (for the
// reverts that undid it) and its plan (for earlier runs; nil when unknown).
func Assemble(exec *v1alpha1.DRPlanExecution, events []corev1.Event, executions []v1alpha1.DRPlanExecution, plan *v1alpha1.DRPlan) *Report {
	if unpacked, err := engine.UnpackedStatus(exec); err == nil {
		exec = unpacked // the workflows as run
	}
	r := fromRecord(exec)
	for _, e := range events {
		if e.InvolvedObject.Name != exec.Name {
			continue
		}
		t := e.LastTimestamp.Time
		if t.IsZero() {
			t = e.EventTime.Time
		}
		r.Events = append(r.Events, Event{Time: t.UTC(), Type: e.Type, Reason: e.Reason, Message: e.Message})
	}
	slices.SortStableFunc(r.Events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	for _, e := range executions {
		if e.Spec.RevertExecutionRef == exec.Name {
			r.RevertedBy = append(r.RevertedBy, Related{Name: e.Name, Phase: string(e.Status.Phase)})
		}
	}
	slices.SortFunc(r.RevertedBy, func(a, b Related) int { return cmp.Compare(a.Name, b.Name) })
	if plan != nil {
		for _, d := range engine.EarlierSuccesses(plan, exec) {
			r.Earlier = append(r.Earlier, d.Round(time.Millisecond).String())
		}
	}
	return r
}

// fromRecord tells what the execution's own record says.
func fromRecord(exec *v1alpha1.DRPlanExecution) *Report {
	st := &exec.Status
	r := &Report{Version: SchemaVersion, Name: exec.Name, Namespace: exec.Namespace, Plan: exec.Spec.PlanRef,
		Operation: string(exec.Spec.OperationType), Phase: string(st.Phase), Message: st.Message, Reverts: exec.Spec.RevertExecutionRef,
		Start: timeOf(st.StartTime), End: timeOf(st.CompletionTime)}
	if exec.Spec.Mode != "" {
		r.Operation += " (" + string(exec.Spec.Mode) + ")"
	}
	if !r.Start.IsZero() && !r.End.IsZero() {
		r.Duration = r.End.Sub(r.Start).Round(time.Millisecond).String()
	}
	for _, s := range st.Signals {
		r.Signals = append(r.Signals, Signal{Time: s.At.UTC(), By: s.By, Verb: string(s.Verb), Step: s.Step, Reason: s.Reason, Result: s.Result, Message: s.Message})
	}
	if run := st.Runner; run != nil {
		r.Runner = Runner{User: run.User, Host: run.Host, PID: run.PID, Version: run.Version}
		// (The user is the one the API server identified, when it answered the runner's
		// SelfSubjectReview; else the login name on the runner's host.)
	}
	for _, k := range slices.Sorted(maps.Keys(st.ResolvedParams)) {
		r.Params = append(r.Params, Param{Name: k, Value: engine.RedactCredentials(st.ResolvedParams[k])})
	}
	for i := range st.StageStatuses {
		ss := &st.StageStatuses[i]
		labels := engine.WorkflowLabels(ss)
		stage := Stage{Name: ss.Name, Phase: phase(ss.Phase), Start: timeOf(ss.StartTime), End: timeOf(ss.CompletionTime)}
		for j, w := range ss.WorkflowExecutions {
			wf := Workflow{Name: labels[j], Phase: phase(w.Phase)}
			vars := engine.Vars{Params: w.ResolvedParams, PlanName: exec.Spec.PlanRef, PlanNamespace: exec.Namespace, ExecutionName: exec.Name,
				Outputs: map[string]map[string]string{}}
			for _, a := range w.ActionStatuses {
				wf.Actions = append(wf.Actions, action(w.WorkflowSpec, a, vars))
				if a.Outputs != nil {
					vars.Outputs[a.Name] = engine.OutputValues(a.Outputs)
				}
			}
			stage.Workflows = append(stage.Workflows, wf)
		}
		r.Stages = append(r.Stages, stage)
	}
	return r
}

// action tells one action's record, with what its workflow says it does, rendered with the
// run's parameters (sensitive ones stay REDACTED) and the outputs of the actions before it.
func action(spec *v1alpha1.DRWorkflowSpec, a v1alpha1.ActionStatus, vars engine.Vars) Action {
	out := Action{Name: a.Name, Phase: phase(a.Phase), Attempts: a.Attempts, Start: timeOf(a.StartTime), End: timeOf(a.CompletionTime),
		Took: a.Duration, Message: engine.RedactCredentials(a.Message)}
	if spec != nil {
		for i := range spec.Actions {
			if def := &spec.Actions[i]; def.Name == a.Name {
				out.Type = string(def.Type)
				if rendered, err := engine.RenderAction(def, vars); err == nil {
					def = rendered
				}
				if t := actions.Lookup(def.Type); t != nil && t.Target != nil && t.Set(def) {
					out.Target = engine.RedactCredentials(t.Target(def))
					if t.Details != nil {
						for _, line := range t.Details(def) {
							if len(line) > maxExcerpt {
								line = line[:maxExcerpt] + "…"
							}
							out.AsRun = append(out.AsRun, engine.RedactCredentials(line))
						}
					}
				}
			}
		}
	}
	if o := a.Outputs; o != nil {
		if h := o.HTTPResponse; h != nil {
			body := strings.TrimSpace(h.Body)
			if len(body) > maxExcerpt {
				body = body[:maxExcerpt] + "…"
			}
			out.Response = engine.RedactCredentials(fmt.Sprintf("HTTP %d %s", h.StatusCode, body))
		}
		how := "" // the message says what was done to it; whether it existed is said when known
		if e := o.ResourceExisted; e != nil && *e {
			how = " (existed before)"
		} else if e != nil {
			how = " (created)"
		}
		for _, ref := range []*corev1.ObjectReference{o.ResourceRef, o.JobRef, o.LocalizationRef, o.GlobalizationRef, o.SubscriptionRef, o.HelmChartRef} {
			if ref != nil {
				out.Objects = append(out.Objects, fmt.Sprintf("%s %s%s", ref.Kind, qualified(ref.Namespace, ref.Name), how))
			}
		}
		for _, ref := range o.SubscriptionRefs {
			out.Objects = append(out.Objects, fmt.Sprintf("%s %s (per cluster)", ref.Kind, qualified(ref.Namespace, ref.Name)))
		}
	}
	return out
}

func qualified(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func phase(p v1alpha1.ExecutionPhase) string {
	if p == "" {
		return "Pending"
	}
	return string(p)
}

// timeOf is t in UTC, or the zero time when unset.
func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

package main

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// planShape is the size of a benchmark plan: Stages chained by dependsOn, each running Workflows
// in parallel, each workflow calling Actions HTTP endpoints one after the other.
type planShape struct {
	Stages, Workflows, Actions int
}

// total is the number of actions a run of the plan performs.
func (s planShape) total() int { return s.Stages * s.Workflows * s.Actions }

// sequential is how many actions lie one after the other on the plan's longest path: stages run
// one after the other and so do the actions of a workflow, but the workflows of a stage overlap.
func (s planShape) sequential() int { return s.Stages * s.Actions }

func (s planShape) String() string {
	return fmt.Sprintf("%d stages × %d workflows × %d actions", s.Stages, s.Workflows, s.Actions)
}

// actionRef names one action three ways: where the execution's status records it (workflow and
// action name) and the URL path it calls, which is how the target tells the actions apart.
type actionRef struct {
	Stage, Workflow, Action, Path string
}

// key is the action's identity in the status: workflow names are unique in the plan, so the pair
// is enough (the same workflow is never referenced twice).
func (a actionRef) key() string { return statusKey(a.Workflow, a.Action) }

func statusKey(workflow, action string) string { return workflow + "/" + action }

// benchPlan is everything a scenario creates before drctl runs: one DRWorkflow per stage and
// workflow slot (distinct objects, as a real plan's components are), the DRPlan, and the list of
// actions the run is expected to perform.
type benchPlan struct {
	Plan      *v1alpha1.DRPlan
	Workflows []*v1alpha1.DRWorkflow
	Actions   []actionRef
}

// newBenchPlan builds the plan named name in namespace ns whose every action is a GET of
// targetURL followed by a path distinct per action (/bench/s0w1/7).
func newBenchPlan(name, ns string, shape planShape, targetURL string) benchPlan {
	bp := benchPlan{Plan: &v1alpha1.DRPlan{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1alpha1.DRPlanSpec{Description: "drctl benchmark: " + shape.String()},
	}}
	base := strings.TrimRight(targetURL, "/")
	for s := range shape.Stages {
		stage := v1alpha1.Stage{Name: fmt.Sprintf("s%d", s), Parallel: true}
		if s > 0 {
			stage.DependsOn = []string{fmt.Sprintf("s%d", s-1)}
		}
		for w := range shape.Workflows {
			wfName := fmt.Sprintf("s%dw%d", s, w)
			wf := &v1alpha1.DRWorkflow{
				ObjectMeta: metav1.ObjectMeta{Name: wfName, Namespace: ns},
				Spec:       v1alpha1.DRWorkflowSpec{FailurePolicy: v1alpha1.WorkflowFailFast},
			}
			for a := range shape.Actions {
				ref := actionRef{Stage: stage.Name, Workflow: wfName, Action: fmt.Sprintf("a%d", a),
					Path: fmt.Sprintf("/bench/%s/%d", wfName, a)}
				// No retryPolicy: an action that fails fails the run, which the report shows as a
				// failure rather than a slower figure.
				wf.Spec.Actions = append(wf.Spec.Actions, v1alpha1.Action{
					Name:    ref.Action,
					Type:    v1alpha1.ActionHTTP,
					HTTP:    &v1alpha1.HTTPAction{URL: base + ref.Path, Method: "GET"},
					Timeout: "30s",
				})
				bp.Actions = append(bp.Actions, ref)
			}
			bp.Workflows = append(bp.Workflows, wf)
			stage.Workflows = append(stage.Workflows, v1alpha1.WorkflowReference{
				WorkflowRef: v1alpha1.ObjectReference{Name: wfName}})
		}
		bp.Plan.Spec.Stages = append(bp.Plan.Spec.Stages, stage)
	}
	return bp
}

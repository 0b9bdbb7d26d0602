package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// userExecution creates an execution as kubectl apply would: a spec and a label of the user's, no
// status.
func (f *fixture) userExecution(name string, spec v1alpha1.DRPlanExecutionSpec) *v1alpha1.DRPlanExecution {
	f.t.Helper()
	exec := &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.namespace, Labels: map[string]string{"team": "payments"}},
		Spec:       spec,
	}
	require.NoError(f.t, f.client.Create(f.ctx, exec))
	return exec
}

func TestRunStartsAnExecutionAUserCreatedAndRecordsItAsExecuteDoes(t *testing.T) {
	f := newFixture(t)
	srv, h := failingServer(t, "", 0)
	f.apply(httpWorkflow("w1", srv.URL, "a", "b") + "---\n" + httpWorkflow("w2", srv.URL, "c") + "---\n" + fmt.Sprintf(twoStagePlan, "gitops"))
	exec := f.userExecution("applied", v1alpha1.DRPlanExecutionSpec{PlanRef: "gitops", OperationType: v1alpha1.OperationExecute})

	res, err := f.engine.Run(f.ctx, exec, RunOptions{})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"/w1/a", "/w1/b", "/w2/c"}, h.list())

	got := f.execution("applied")
	assert.Equal(t, v1alpha1.PhaseSucceeded, got.Status.Phase)
	assert.Equal(t, "payments", got.Labels["team"], "the user's labels are kept")
	assert.Equal(t, "gitops", got.Labels[LabelPlan])
	assert.Equal(t, "tester", got.Annotations[AnnotationRunnerUser])
	require.NotNil(t, got.Status.Runner)
	assert.Equal(t, []string{"s1/w1/a=Succeeded", "s1/w1/b=Succeeded", "s2/w2/c=Succeeded"}, actionPhases(got))
	assert.Equal(t, "applied", f.plan("gitops").Status.LastExecutionRef)

	// A user-created Revert of it undoes it, in reverse.
	rev := f.userExecution("applied-undo", v1alpha1.DRPlanExecutionSpec{PlanRef: "gitops", OperationType: v1alpha1.OperationRevert, RevertExecutionRef: "applied"})
	res, err = f.engine.Run(f.ctx, rev, RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, "revert", f.execution("applied-undo").Labels[LabelOperation])

	// Started once, it is not started again: resume is the way on.
	_, err = f.engine.Run(f.ctx, f.execution("applied"), RunOptions{})
	require.True(t, IsInvalid(err), "%v", err)
}

func TestRunRecordsAnExecutionThatCannotRunAsFailedWithTheReason(t *testing.T) {
	f := newFixture(t)
	srv, h := failingServer(t, "", 0)
	f.apply(httpWorkflow("w1", srv.URL, "a") + "---\n" + httpWorkflow("w2", srv.URL, "c") + "---\n" + fmt.Sprintf(twoStagePlan, "other") + `---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: broken}
spec:
  stages:
  - {name: s1, workflows: [{workflowRef: {name: w1}}, {workflowRef: {name: gone}}]}
`)

	cases := map[string]struct {
		spec v1alpha1.DRPlanExecutionSpec
		want string
	}{
		"missing-workflow": {v1alpha1.DRPlanExecutionSpec{PlanRef: "broken", OperationType: v1alpha1.OperationExecute}, "references missing workflows"},
		"missing-plan":     {v1alpha1.DRPlanExecutionSpec{PlanRef: "nope", OperationType: v1alpha1.OperationExecute}, "DRPlan " + f.namespace + "/nope not found"},
		"revert-no-target": {v1alpha1.DRPlanExecutionSpec{PlanRef: "other", OperationType: v1alpha1.OperationRevert}, "spec.revertExecutionRef is required"},
		"revert-missing":   {v1alpha1.DRPlanExecutionSpec{PlanRef: "other", OperationType: v1alpha1.OperationRevert, RevertExecutionRef: "ghost"}, "ghost not found"},
		"revert-unended":   {v1alpha1.DRPlanExecutionSpec{PlanRef: "other", OperationType: v1alpha1.OperationRevert, RevertExecutionRef: "idle"}, "only an execution that has ended"},
	}
	f.userExecution("idle", v1alpha1.DRPlanExecutionSpec{PlanRef: "other", OperationType: v1alpha1.OperationExecute})
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			exec := f.userExecution(name, c.spec)
			res, err := f.engine.Run(f.ctx, exec, RunOptions{})
			require.NoError(t, err, "an execution that cannot run is recorded, not returned")
			assert.Equal(t, v1alpha1.PhaseFailed, res.Phase)
			got := f.execution(name)
			assert.Equal(t, v1alpha1.PhaseFailed, got.Status.Phase)
			assert.Contains(t, got.Status.Message, c.want)
			assert.Contains(t, got.Status.Message, "nothing was changed")
			assert.NotNil(t, got.Status.CompletionTime)
			assert.Empty(t, got.Status.StageStatuses, "nothing ran")

			events := &corev1.EventList{}
			require.NoError(t, f.client.List(f.ctx, events, client.InNamespace(f.namespace), client.MatchingFields{"involvedObject.name": name}))
			var reasons []string
			for _, ev := range events.Items {
				reasons = append(reasons, ev.Reason)
			}
			assert.Equal(t, []string{"ExecutionInvalid"}, reasons)
		})
	}
	assert.Empty(t, h.list(), "no action of an execution that cannot run is performed")
	assert.Nil(t, f.plan("broken").Status.CurrentExecution, "the plan is not marked as running")
}

func TestRunLeavesAnExecutionUntouchedWhileThePlanIsLocked(t *testing.T) {
	f := newFixture(t)
	srv, h := failingServer(t, "", 0)
	f.apply(httpWorkflow("w1", srv.URL, "a") + "---\n" + httpWorkflow("w2", srv.URL, "c") + "---\n" + fmt.Sprintf(twoStagePlan, "busy"))
	other := lease.New(f.client, f.cfg.Clock, f.namespace, lease.Name("busy"), "execution elsewhere by someone")
	require.NoError(t, other.TryAcquire(f.ctx))
	exec := f.userExecution("queued", v1alpha1.DRPlanExecutionSpec{PlanRef: "busy", OperationType: v1alpha1.OperationExecute})

	_, err := f.engine.Run(f.ctx, exec, RunOptions{})
	var locked *LockedError
	require.ErrorAs(t, err, &locked)
	assert.Contains(t, locked.Holder, "execution elsewhere")
	got := f.execution("queued")
	assert.Empty(t, got.Status.Phase, "a locked execution waits, unclaimed")
	assert.Nil(t, got.Status.Runner)
	assert.Empty(t, h.list())

	require.NoError(t, other.Release(f.ctx))
	res, err := f.engine.Run(f.ctx, got, RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.PhaseSucceeded, res.Phase)
}

// A failed call to the API server is an *APIError — something to retry — never invalid input.
func TestAnUnreachableAPIServerIsAnAPIErrorNotInvalidInput(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PartitionTimeout = 1 })
	f.cut.Store(true)
	defer f.cut.Store(false)
	_, err := f.engine.Resume(f.ctx, ResumeOptions{Namespace: f.namespace, Execution: "any"})
	assert.True(t, IsAPIError(err), "resume: %v", err)
	_, err = f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "any"})
	assert.True(t, IsAPIError(err), "execute: %v", err)
	_, err = f.engine.Cancel(f.ctx, f.namespace, "any")
	assert.True(t, IsAPIError(err), "cancel: %v", err)
	_, err = f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: "any"})
	assert.True(t, IsAPIError(err), "revert: %v", err)
	assert.False(t, IsInvalid(err))

	f.cut.Store(false)
	_, err = f.engine.Resume(f.ctx, ResumeOptions{Namespace: f.namespace, Execution: "any"})
	assert.True(t, IsInvalid(err), "a missing execution is invalid input: %v", err)
}

// A cancel requested between the moment a controller read the execution and its claim is not
// lost: the claim adds its stamp to the execution as it is now.
func TestRunHonoursACancelRequestedBeforeTheClaim(t *testing.T) {
	f := newFixture(t)
	srv, h := failingServer(t, "", 0)
	f.apply(httpWorkflow("w1", srv.URL, "a") + "---\n" + httpWorkflow("w2", srv.URL, "c") + "---\n" + fmt.Sprintf(twoStagePlan, "p"))
	stale := f.userExecution("cancel-early", v1alpha1.DRPlanExecutionSpec{PlanRef: "p", OperationType: v1alpha1.OperationExecute})
	latest := f.execution("cancel-early")
	latest.Annotations = map[string]string{AnnotationCancel: "true"}
	require.NoError(t, f.client.Update(f.ctx, latest))

	res, err := f.engine.Run(f.ctx, stale, RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.PhaseCanceled, res.Phase, res.Message)
	assert.Empty(t, h.list(), "nothing ran")
	got := f.execution("cancel-early")
	assert.Equal(t, "true", got.Annotations[AnnotationCancel])
	assert.Equal(t, "tester", got.Annotations[AnnotationRunnerUser])
}

// An execution a runner created for itself and left without a record (it stopped before its first
// action) is never run by anyone else: Run records why.
func TestRunRefusesAnExecutionARunnerCreatedAndAbandoned(t *testing.T) {
	f := newFixture(t)
	srv, h := failingServer(t, "", 0)
	f.apply(httpWorkflow("w1", srv.URL, "a") + "---\n" + httpWorkflow("w2", srv.URL, "c") + "---\n" + fmt.Sprintf(twoStagePlan, "p"))
	exec := &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: "left", Namespace: f.namespace, Annotations: map[string]string{
			AnnotationCreatedBy: "drctl execute", AnnotationRunnerUser: "sre", AnnotationRunnerHost: "laptop", AnnotationRunnerPID: "7"}},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "p", OperationType: v1alpha1.OperationExecute},
	}
	require.NoError(t, f.client.Create(f.ctx, exec))
	res, err := f.engine.Run(f.ctx, exec, RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	assert.Contains(t, f.execution("left").Status.Message, "drctl execute created it for itself (sre@laptop pid 7) and stopped before its first action; nothing ran")
	assert.Empty(t, h.list())
}

func TestTransientAPIFailuresAreToldFromAnswersAboutTheInput(t *testing.T) {
	gr := v1alpha1.GroupVersion.WithResource("drplans").GroupResource()
	assert.True(t, transient(apierrors.NewServiceUnavailable("down")))
	assert.True(t, transient(apierrors.NewTooManyRequests("slow down", 1)))
	assert.True(t, transient(apierrors.NewInternalError(fmt.Errorf("etcd"))))
	assert.True(t, transient(apierrors.NewTimeoutError("slow", 1)))
	assert.True(t, transient(fmt.Errorf("get secret: %w", context.DeadlineExceeded)))
	assert.False(t, transient(apierrors.NewNotFound(gr, "x")))
	assert.False(t, transient(apierrors.NewForbidden(gr, "x", fmt.Errorf("no"))))
	assert.False(t, transient(fmt.Errorf("jsonPath %q: bad", "{.x")))
}

// A start whose write was committed but whose answer was lost is read back: the record says the
// run started, so it goes on — it is neither cleaned up as if nothing was written nor left for a
// resume nobody asked for.
func TestAStartWhoseAnswerWasLostGoesOn(t *testing.T) {
	f := newFixture(t)
	srv, h := failingServer(t, "", 0)
	f.apply(httpWorkflow("w1", srv.URL, "a") + "---\n" + httpWorkflow("w2", srv.URL, "c") + "---\n" + fmt.Sprintf(twoStagePlan, "p"))
	f.loseStatusReply.Store(true)
	res := f.execute("p")
	assert.False(t, f.loseStatusReply.Load(), "the start's answer was lost")
	assert.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"/w1/a", "/w2/c"}, h.list())
	assert.Equal(t, v1alpha1.PhaseSucceeded, f.execution(res.Execution.Name).Status.Phase)
}

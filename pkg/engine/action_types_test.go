package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// TestEveryActionTypeRevertsAsDescribed walks every registered action type and operation, with the
// type's own example: what --dry-run (and describe) says the automatic rollback does is what
// revert then does to the object on the API server. An object the action finds already there is
// made first by the type's Create example.
func TestEveryActionTypeRevertsAsDescribed(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go completeJobs(ctx, f.client, f.namespace)

	type walk struct {
		typ      *actions.Type
		op       v1alpha1.ResourceOperation
		existing bool // the object is there before the action runs
	}
	var walks []walk
	for _, typ := range actions.Types() {
		require.NotNil(t, typ.Example, "action type %s has no Example", typ.Name)
		if len(typ.Operations) == 0 {
			walks = append(walks, walk{typ: typ})
		}
		for _, op := range typ.Operations {
			switch op {
			case v1alpha1.OperationCreate:
				walks = append(walks, walk{typ, op, false})
			case v1alpha1.OperationApply:
				walks = append(walks, walk{typ, op, false}, walk{typ, op, true})
			default:
				walks = append(walks, walk{typ, op, true})
			}
		}
	}
	require.GreaterOrEqual(t, len(walks), len(actions.Types()), "every registered type is walked")

	for i, w := range walks {
		name := strings.ToLower(fmt.Sprintf("%s-%s-%d", w.typ.Name, or(string(w.op), "run"), i))
		t.Run(name, func(t *testing.T) {
			at := actions.ExampleTarget{Namespace: f.namespace, Name: name + "-" + f.namespace, URL: srv.URL + "/" + name}
			var made *corev1.ObjectReference
			if w.existing {
				made = runExample(t, f, w.typ, v1alpha1.OperationCreate, at)
			}
			forward := w.typ.Example(w.op, at)
			forward.Name = "act"
			createPlan(t, f, name, forward)

			planned, err := f.engine.DryRun(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: name})
			rollback := w.typ.RollbackOf(forward)
			if rollback.Kind == actions.RollbackRequired {
				// It cannot be reverted without a custom rollback, so it is never run without one.
				var invalid *InvalidError
				require.True(t, errors.As(err, &invalid), "%v", err)
				assert.Contains(t, err.Error(), "spec.actions[0].rollback: Required value")
				return
			}
			require.NoError(t, err)
			require.Len(t, planned, 1)
			described := planned[0].AutoRollback
			assert.Equal(t, rollback.Describe(), described)

			res := f.execute(name)
			require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
			ref := w.typ.Recorded(actionStatus(f.execution(res.Execution.Name), "s", name, "act").Outputs)
			if ref == nil {
				ref = made
			}
			before, sent := objectExists(t, f, ref), h.count("/"+name)
			rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
			require.NoError(t, err)
			require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
			undo := actionStatus(f.execution(rev.Execution.Name), "s", name, "act")
			after := objectExists(t, f, ref)

			deletes := strings.HasPrefix(described, "automatic: delete ") && !(rollback.Kind == actions.RollbackDeleteIfCreated && w.existing)
			if deletes {
				assert.Equal(t, v1alpha1.PhaseSucceeded, undo.Phase, "%q: %s", described, undo.Message)
				require.NotNil(t, ref, "the action recorded the object revert deletes")
				assert.False(t, after, "%q, but the object is still there", described)
				return
			}
			assert.Equal(t, v1alpha1.PhaseSkipped, undo.Phase, "%q: %s", described, undo.Message)
			assert.Equal(t, before, after, "%q, but revert changed the object", described)
			assert.Equal(t, sent, h.count("/"+name), "revert sent no request")
			if ref != nil && w.existing && rollback.Kind == actions.RollbackDeleteIfCreated {
				assert.True(t, after, "the object that existed before is kept")
			}
		})
	}
}

// runExample runs a type's example once, directly, and returns the object it made.
func runExample(t *testing.T, f *fixture, typ *actions.Type, op v1alpha1.ResourceOperation, at actions.ExampleTarget) *corev1.ObjectReference {
	t.Helper()
	exec, err := actions.Default().Get(typ.Name)
	require.NoError(t, err)
	res, err := exec.Execute(f.ctx, actions.Env{Client: f.client}, actions.Request{Action: typ.Example(op, at), Namespace: f.namespace, ObjectName: at.Name})
	require.NoError(t, err)
	return typ.Recorded(res.Outputs)
}

// createPlan makes a workflow holding one action and a plan of one stage running it, both named name.
func createPlan(t *testing.T, f *fixture, name string, a *v1alpha1.Action) {
	t.Helper()
	wf := &v1alpha1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: f.namespace, Name: name}, Spec: v1alpha1.DRWorkflowSpec{Actions: []v1alpha1.Action{*a}}}
	require.NoError(t, f.client.Create(f.ctx, wf))
	plan := &v1alpha1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: f.namespace, Name: name}, Spec: v1alpha1.DRPlanSpec{
		Stages: []v1alpha1.Stage{{Name: "s", Workflows: []v1alpha1.WorkflowReference{{WorkflowRef: v1alpha1.ObjectReference{Name: name}}}}},
	}}
	require.NoError(t, f.client.Create(f.ctx, plan))
}

// objectExists reports whether ref names a live object (false for nil, gone, or being deleted).
func objectExists(t *testing.T, f *fixture, ref *corev1.ObjectReference) bool {
	t.Helper()
	if ref == nil {
		return false
	}
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(ref.APIVersion)
	obj.SetKind(ref.Kind)
	err := f.client.Get(f.ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, obj)
	if apierrors.IsNotFound(err) {
		return false
	}
	require.NoError(t, err)
	return obj.GetDeletionTimestamp() == nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

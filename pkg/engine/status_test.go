package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// TestStatusFollowsEveryTransitionWithinASecond watches the DRPlanExecution as a user would and
// checks that each transition the engine announces is in the recorded status within 1 s.
func TestStatusFollowsEveryTransitionWithinASecond(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
	}))
	defer srv.Close()
	f.apply(httpWorkflow("w1", srv.URL, "a", "b", "c") + "---\n" + httpWorkflow("w2", srv.URL, "d", "e") + "---\n" + fmt.Sprintf(twoStagePlan, "watched"))

	type seen struct {
		at   time.Time
		exec *v1alpha1.DRPlanExecution
	}
	var mu sync.Mutex
	var observed []seen
	w, err := f.client.Watch(context.Background(), &v1alpha1.DRPlanExecutionList{}, client.InNamespace(f.namespace))
	require.NoError(t, err)
	defer w.Stop()
	go func() {
		for ev := range w.ResultChan() {
			if e, ok := ev.Object.(*v1alpha1.DRPlanExecution); ok {
				mu.Lock()
				observed = append(observed, seen{time.Now(), e})
				mu.Unlock()
			}
		}
	}()
	res := f.execute("watched")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase)
	time.Sleep(300 * time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	worst := time.Duration(0)
	checked := 0
	for _, ev := range f.events.Events() {
		if ev.Type != EventAction {
			continue
		}
		var lag time.Duration = -1
		for _, o := range observed {
			if o.at.Before(ev.Time) {
				continue
			}
			if a := actionStatus(o.exec, stageOf(o.exec, ev.Workflow), ev.Workflow, ev.Action); a.Phase == ev.Phase || v1alpha1.IsFinished(a.Phase) {
				lag = o.at.Sub(ev.Time)
				break
			}
		}
		require.GreaterOrEqual(t, lag, time.Duration(0), "transition %s/%s %s never recorded", ev.Workflow, ev.Action, ev.Phase)
		assert.LessOrEqual(t, lag, time.Second, "transition %s/%s %s recorded after %s", ev.Workflow, ev.Action, ev.Phase, lag)
		worst = max(worst, lag)
		checked++
	}
	assert.Equal(t, 10, checked, "5 actions, Running and Succeeded each")
	t.Logf("worst status lag over %d action transitions: %s", checked, worst)
}

func stageOf(exec *v1alpha1.DRPlanExecution, workflow string) string {
	for _, ss := range exec.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			if w.WorkflowRef.Name == workflow {
				return ss.Name
			}
		}
	}
	return ""
}

package get

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/tui"
)

// Tables of drctl's kinds for `drctl get` and `drctl history`, printed by cli-runtime's table
// printer. Columns with priority 1 appear with -o wide only. The default columns are the CRDs'
// printer columns, so `drctl get` and `kubectl get` agree — except ACTIONS, which drctl can count.

func col(name string, priority int32) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "string", Priority: priority}
}

func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func planTable(items []v1alpha1.DRPlan, now time.Time) *metav1.Table {
	t := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
		col("NAME", 0), col("PHASE", 0), col("LAST-EXECUTION", 0), col("AGE", 0),
		col("STAGES", 1), col("RUNNING", 1), col("DESCRIPTION", 1),
	}}
	for i := range items {
		p := &items[i]
		running := "<none>"
		if p.Status.CurrentExecution != nil {
			running = p.Status.CurrentExecution.Name
		}
		t.Rows = append(t.Rows, metav1.TableRow{
			Cells:  []any{p.Name, orNone(string(p.Status.Phase)), orNone(p.Status.LastExecutionRef), age(p.CreationTimestamp, now), len(p.Spec.Stages), running, p.Spec.Description},
			Object: runtime.RawExtension{Object: p},
		})
	}
	return t
}

func workflowTable(items []v1alpha1.DRWorkflow, now time.Time) *metav1.Table {
	t := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
		col("NAME", 0), col("ACTIONS", 0), col("PHASE", 0), col("AGE", 0), col("TYPES", 1), col("PARAMETERS", 1),
	}}
	for i := range items {
		w := &items[i]
		var types, params []string
		seen := map[v1alpha1.ActionType]bool{}
		for _, a := range w.Spec.Actions {
			if !seen[a.Type] {
				seen[a.Type] = true
				types = append(types, string(a.Type))
			}
		}
		for _, p := range w.Spec.Parameters {
			params = append(params, p.Name)
		}
		t.Rows = append(t.Rows, metav1.TableRow{
			Cells:  []any{w.Name, len(w.Spec.Actions), orNone(string(w.Status.Phase)), age(w.CreationTimestamp, now), strings.Join(types, ","), orNone(strings.Join(params, ","))},
			Object: runtime.RawExtension{Object: w},
		})
	}
	return t
}

func executionTable(items []v1alpha1.DRPlanExecution, now time.Time) *metav1.Table {
	t := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
		col("NAME", 0), col("PLAN", 0), col("OPERATION", 0), col("PHASE", 0), col("PROGRESS", 0), col("AGE", 0),
		col("DURATION", 1), col("RUNNER", 1), col("MESSAGE", 1),
	}}
	for i := range items {
		e := &items[i]
		took := ""
		if st := e.Status.StartTime; st != nil {
			end := now
			if ct := e.Status.CompletionTime; ct != nil {
				end = ct.Time
			}
			took = duration.HumanDuration(end.Sub(st.Time))
		}
		runner := ""
		if r := e.Status.Runner; r != nil {
			runner = fmt.Sprintf("%s@%s", r.User, r.Host)
		}
		msg := e.Status.Message
		if len(msg) > 80 {
			msg = msg[:77] + "..."
		}
		t.Rows = append(t.Rows, metav1.TableRow{
			Cells: []any{e.Name, e.Spec.PlanRef, tui.OperationLabel(e.Spec.OperationType, e.Spec.Mode), tui.PhaseLabel(e), orNone(e.Status.Progress),
				age(e.CreationTimestamp, now), orNone(took), orNone(runner), msg},
			Object: runtime.RawExtension{Object: e},
		})
	}
	return t
}

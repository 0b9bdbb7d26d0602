package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
)

// Report is what a drill measured: the execute's recovery time, per stage, against the RTO and
// the plan's earlier successful runs. In --progress json it is one record of type Drill.
type Report struct {
	Version   int           `json:"version"`
	Type      string        `json:"type"`
	Drill     string        `json:"drill"`
	Execution string        `json:"execution"`
	Phase     string        `json:"phase"`
	Recovery  string        `json:"recovery"`
	RTO       string        `json:"rto,omitempty"`
	RTOMet    *bool         `json:"rtoMet,omitempty"`
	Stages    []StageReport `json:"stages"`
	// Earlier are the durations of the plan's earlier successful executes, newest first.
	Earlier []string `json:"earlier,omitempty"`
}

// StageReport is one stage's time.
type StageReport struct {
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Duration string `json:"duration"`
}

// report measures the execute and prints the report in the session's progress mode: lines, or
// one JSON record.
func report(o *Options, mode, id string, exec *v1alpha1.DRPlanExecution) {
	r := measure(id, exec, o.RTO, earlier(o, exec))
	if mode == progress.JSON {
		_ = json.NewEncoder(o.IO.Out).Encode(r)
		return
	}
	fmt.Fprint(o.IO.Out, r.String())
}

// measure builds the report of exec.
func measure(id string, exec *v1alpha1.DRPlanExecution, rto time.Duration, earlier []time.Duration) Report {
	took := duration(exec)
	r := Report{Version: progress.SchemaVersion, Type: "Drill", Drill: id, Execution: exec.Name, Phase: string(exec.Status.Phase),
		Recovery: took.Round(time.Millisecond).String()}
	if rto > 0 {
		met := exec.Status.Phase == v1alpha1.PhaseSucceeded && took <= rto
		r.RTO, r.RTOMet = rto.String(), &met
	}
	for _, st := range exec.Status.StageStatuses {
		d := "-"
		if st.StartTime != nil && st.CompletionTime != nil {
			d = st.CompletionTime.Sub(st.StartTime.Time).Round(time.Millisecond).String()
		}
		r.Stages = append(r.Stages, StageReport{Name: st.Name, Phase: string(st.Phase), Duration: d})
	}
	for _, d := range earlier {
		r.Earlier = append(r.Earlier, d.Round(time.Millisecond).String())
	}
	return r
}

// String is the report as a person reads it.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "drill %s: execution %s %s, recovery time %s", r.Drill, r.Execution, r.Phase, r.Recovery)
	if r.RTOMet != nil {
		verdict := "met"
		if !*r.RTOMet {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, ", RTO %s %s", r.RTO, verdict)
	}
	b.WriteString("\n")
	for _, st := range r.Stages {
		fmt.Fprintf(&b, "  stage %-24s %-10s %s\n", st.Name, st.Phase, st.Duration)
	}
	if len(r.Earlier) == 0 {
		b.WriteString("  no earlier successful run of the plan to compare with\n")
	} else {
		fmt.Fprintf(&b, "  earlier successful runs (newest first): %s\n", strings.Join(r.Earlier, ", "))
	}
	return b.String()
}

// earlier are the durations of the plan's earlier successful executes, from its history.
func earlier(o *Options, exec *v1alpha1.DRPlanExecution) []time.Duration {
	c, _, err := o.Factory.KubeClient()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	plan := &v1alpha1.DRPlan{}
	if c.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: exec.Spec.PlanRef}, plan) != nil {
		return nil
	}
	return engine.EarlierSuccesses(plan, exec)
}

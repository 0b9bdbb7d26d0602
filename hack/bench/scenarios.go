package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// scenario is one measurement: a run of a generated plan against a target of fixed latency, or
// the history listing of a plan with many executions.
type scenario struct {
	Key     string // the namespace's and report's name for it
	Base    string // the default scenario it derives from, which --scenarios selects
	Shape   planShape
	Latency time.Duration
	History bool // the `drctl history` scenario; Shape and Latency unused
}

// Critical path: the time the run could not be shorter than, all of its sequential actions
// waiting on the target and nothing else taking time.
func (s scenario) criticalPath() time.Duration {
	return time.Duration(s.Shape.sequential()) * s.Latency
}

// The default scenarios. 400 actions (5 stages × 4 workflows × 20 actions, 20 being the most a
// workflow is expected to hold) is the size the goals are set for; 1000 shows how the cost grows
// with the record. 50 ms is a service answering quickly; 0 ms leaves only drctl's own cost.
var defaultScenarios = []scenario{
	{Key: "400-50ms", Shape: planShape{5, 4, 20}, Latency: 50 * time.Millisecond},
	{Key: "400-0ms", Shape: planShape{5, 4, 20}},
	{Key: "1000-50ms", Shape: planShape{5, 4, 50}, Latency: 50 * time.Millisecond},
	{Key: "1000-0ms", Shape: planShape{5, 4, 50}},
	{Key: "history", History: true},
}

func scenarioKeys() []string {
	var keys []string
	for _, s := range defaultScenarios {
		keys = append(keys, s.Key)
	}
	return keys
}

// selectScenarios picks the scenarios named in list (comma-separated; empty or "all" for all of
// them, in the default order) and applies the shape overrides (0 keeps the default) to the
// execute scenarios, for a quick smoke run. Overridden scenarios are renamed after their size,
// so that a report never calls a 12-action run "400".
func selectScenarios(list string, override planShape) ([]scenario, error) {
	want := map[string]bool{}
	if list != "" && list != "all" {
		for _, k := range strings.Split(list, ",") {
			k = strings.TrimSpace(k)
			if !slices.Contains(scenarioKeys(), k) {
				return nil, fmt.Errorf("unknown scenario %q (known: %s)", k, strings.Join(scenarioKeys(), ", "))
			}
			want[k] = true
		}
	}
	var out []scenario
	seen := map[string]bool{}
	for _, s := range defaultScenarios {
		if len(want) > 0 && !want[s.Key] {
			continue
		}
		s.Base = s.Key
		if !s.History && override != (planShape{}) {
			if override.Stages > 0 {
				s.Shape.Stages = override.Stages
			}
			if override.Workflows > 0 {
				s.Shape.Workflows = override.Workflows
			}
			if override.Actions > 0 {
				s.Shape.Actions = override.Actions
			}
			s.Key = fmt.Sprintf("%d-%dms", s.Shape.total(), s.Latency.Milliseconds())
		}
		if seen[s.Key] {
			continue
		}
		seen[s.Key] = true
		out = append(out, s)
	}
	return out, nil
}

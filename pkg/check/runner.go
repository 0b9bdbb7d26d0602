package check

import (
	"context"
	"fmt"
	"strings"
)

// runnerNeeds is what running any plan of a namespace takes, besides its actions (see
// examples/rbac/drctl-operator.yaml): reading the plan and its workflows, writing the
// execution's record, the plan's Lease, the run's journal, its events.
var runnerNeeds = []struct {
	group, resource string
	verbs           []string
}{
	{"dr.bkbcs.tencent.com", "drplans", []string{"get"}},
	{"dr.bkbcs.tencent.com", "drworkflows", []string{"get", "list"}},
	{"dr.bkbcs.tencent.com", "drplans/status", []string{"update"}},
	{"dr.bkbcs.tencent.com", "drplanexecutions", []string{"create", "get", "update", "patch", "watch"}},
	{"dr.bkbcs.tencent.com", "drplanexecutions/status", []string{"update", "patch"}},
	{"coordination.k8s.io", "leases", []string{"get", "create", "update"}},
	{"", "configmaps", []string{"get", "create", "update", "delete"}},
	{"", "events", []string{"create"}},
}

// runner checks that the user may run a plan of namespace at all.
func (c *Checker) runner(ctx context.Context, namespace string) []Result {
	var results []Result
	for _, need := range runnerNeeds {
		resource, sub, _ := strings.Cut(need.resource, "/")
		name := need.resource
		if need.group != "" {
			name = resource + "." + need.group
			if sub != "" {
				name += "/" + sub
			}
		}
		var denied []string
		for _, verb := range need.verbs {
			ok, err := c.allowed(ctx, review{namespace: namespace, verb: verb, group: need.group, resource: resource, subresource: sub})
			if err != nil {
				return append(results, Result{Check: "runner", Outcome: Fail, Detail: fmt.Sprintf("cannot ask the API server about %s: %v", name, err)})
			}
			if !ok {
				denied = append(denied, verb)
			}
		}
		if len(denied) > 0 {
			results = append(results, Result{Check: "runner", Outcome: Fail,
				Detail: fmt.Sprintf("you may not %s %s in namespace %s: a run needs it", strings.Join(denied, ", "), name, namespace),
				Fix:    "bind the drctl-operator ClusterRole of examples/rbac in namespace " + namespace})
			continue
		}
		results = append(results, Result{Check: "runner", Outcome: Pass, Detail: fmt.Sprintf("%s %s in namespace %s", strings.Join(need.verbs, ", "), name, namespace)})
	}
	return results
}

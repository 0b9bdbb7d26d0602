package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/check"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// ConditionChecked is the DRPlan condition that says whether drctl check last passed: what
// would fail the plan's next run (a permission, a CRD, a namespace, an object, an endpoint),
// found before the disaster.
const ConditionChecked = "Checked"

// Reasons of the Checked condition.
const (
	ReasonCheckPassed = "Passed"
	ReasonCheckFailed = "Failed"
	// ReasonNeedsParameters: the plan has required parameters that only a run gives (-p); the
	// check cannot render it (Unknown): drctl check with -p does.
	ReasonNeedsParameters = "NeedsParameters"
	// ReasonCheckError: the API server failed during the check (Unknown); the next one retries.
	ReasonCheckError = "CheckError"
)

// maxCheckFailuresInMessage is how many failed checks the condition's message names.
const maxCheckFailuresInMessage = 3

// planChecker checks every plan, every interval, as drctl check does, acting as the identity the
// plan's runs act as (identity.go), and writes the verdict in its Checked condition. It runs on
// the leader only, and probes no HTTP endpoint (a DNS lookup only).
type planChecker struct {
	client    client.Client
	newEngine func(engine.Observer, client.WithWatch) *engine.Engine
	clients   *actionClients
	interval  time.Duration
	opts      Options
	log       *slog.Logger
}

// Start checks every plan at once, then every interval, until ctx ends.
func (p *planChecker) Start(ctx context.Context) error {
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	for {
		p.checkAll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// NeedLeaderElection: one replica checks.
func (p *planChecker) NeedLeaderElection() bool { return true }

func (p *planChecker) checkAll(ctx context.Context) {
	plans := &v1alpha1.DRPlanList{}
	if err := p.client.List(ctx, plans); err != nil {
		p.log.Warn("check plans: list", "error", err)
		return
	}
	for i := range plans.Items {
		if ctx.Err() != nil {
			return
		}
		if err := p.check(ctx, &plans.Items[i]); err != nil {
			p.log.Warn("check plan", "plan", plans.Items[i].Namespace+"/"+plans.Items[i].Name, "error", err)
		}
	}
}

// check checks one plan and writes its Checked condition when the verdict changed (again on a
// conflict with another writer of the plan's status, on a fresh read).
func (p *planChecker) check(ctx context.Context, plan *v1alpha1.DRPlan) error {
	cond := metav1.Condition{Type: ConditionChecked, ObservedGeneration: plan.Generation}
	cond.Status, cond.Reason, cond.Message = p.verdict(ctx, plan)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		fresh := &v1alpha1.DRPlan{}
		if err := p.client.Get(ctx, client.ObjectKeyFromObject(plan), fresh); err != nil {
			return client.IgnoreNotFound(err)
		}
		if !meta.SetStatusCondition(&fresh.Status.Conditions, cond) {
			return nil
		}
		return p.client.Status().Update(ctx, fresh)
	})
}

// verdict is the Checked condition's status, reason and message for plan.
func (p *planChecker) verdict(ctx context.Context, plan *v1alpha1.DRPlan) (metav1.ConditionStatus, string, string) {
	failed := func(why string) (metav1.ConditionStatus, string, string) {
		return metav1.ConditionFalse, ReasonCheckFailed, why
	}
	user, err := runAs(plan, p.opts)
	if err != nil {
		return failed(err.Error())
	}
	acting, err := p.clients.forUser(user)
	if err != nil {
		return failed(err.Error())
	}
	planned, err := p.newEngine(nil, acting).DryRun(ctx, engine.ExecuteOptions{Namespace: plan.Namespace, Plan: plan.Name})
	switch {
	case err != nil && engine.IsInvalid(err) && strings.Contains(err.Error(), "is required and has no value"):
		return metav1.ConditionUnknown, ReasonNeedsParameters, fmt.Sprintf("%v: only a run gives them (drctl check %s -n %s -p name=value checks it)", err, plan.Name, plan.Namespace)
	case err != nil && engine.IsInvalid(err):
		return failed("the plan cannot be rendered: " + err.Error())
	case err != nil:
		return metav1.ConditionUnknown, ReasonCheckError, err.Error()
	}
	checker := &check.Checker{Client: acting, Mapper: p.clients.mapper, Resolver: net.DefaultResolver, SkipRunner: true}
	results := checker.Plan(ctx, plan.Namespace, planned)
	var failures []string
	for _, r := range results {
		if r.Outcome == check.Fail {
			failures = append(failures, strings.TrimPrefix(r.Action+" ", " ")+r.Check+": "+r.Detail)
		}
	}
	if len(failures) == 0 {
		return metav1.ConditionTrue, ReasonCheckPassed, fmt.Sprintf("%d checks passed", len(results))
	}
	msg := strings.Join(failures[:min(len(failures), maxCheckFailuresInMessage)], "; ")
	if more := len(failures) - maxCheckFailuresInMessage; more > 0 {
		msg += fmt.Sprintf("; and %d more", more)
	}
	return failed(fmt.Sprintf("%d of %d checks failed: %s (drctl check %s -n %s shows them all)", len(failures), len(results), msg, plan.Name, plan.Namespace))
}

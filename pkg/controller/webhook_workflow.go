package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// workflowWebhook admits DRWorkflows by drctl validate's rules (a parameter used without being
// declared is judged by the plans of the cluster that reference the workflow), and refuses to
// delete one a plan references (FR-044).
type workflowWebhook struct {
	client client.Reader
}

var _ admission.Validator[*v1alpha1.DRWorkflow] = &workflowWebhook{}

func (w *workflowWebhook) ValidateCreate(ctx context.Context, wf *v1alpha1.DRWorkflow) (admission.Warnings, error) {
	plans, err := listPlans(ctx, w.client)
	if err != nil {
		return nil, err
	}
	return judge(objectName(v1alpha1.KindDRWorkflow, wf.Namespace, wf.Name), validate.CheckWorkflow(wf, validate.PlansSupply(wf, plans)))
}

func (w *workflowWebhook) ValidateUpdate(ctx context.Context, old, wf *v1alpha1.DRWorkflow) (admission.Warnings, error) {
	if equality.Semantic.DeepEqual(old.Spec, wf.Spec) {
		return nil, nil // labels, annotations, finalizers: nothing the rules judge
	}
	return w.ValidateCreate(ctx, wf)
}

func (w *workflowWebhook) ValidateDelete(ctx context.Context, wf *v1alpha1.DRWorkflow) (admission.Warnings, error) {
	list := &v1alpha1.DRPlanList{}
	if err := w.client.List(ctx, list, client.MatchingFields{indexWorkflowRefs: wf.Namespace + "/" + wf.Name}); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	var plans []string
	for _, p := range list.Items {
		plans = append(plans, p.Namespace+"/"+p.Name)
	}
	slices.Sort(plans)
	return nil, deny(objectName(v1alpha1.KindDRWorkflow, wf.Namespace, wf.Name),
		"cannot be deleted: DRPlan %s references it; remove the reference first", strings.Join(plans, ", "))
}

func objectName(kind, namespace, name string) string {
	return fmt.Sprintf("%s %s/%s", kind, namespace, name)
}

package engine

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// LabelParamsOf marks the Secret that holds an execution's sensitive parameter values.
const LabelParamsOf = "dr.bkbcs.tencent.com/params-of"

// paramsSecretName is the Secret of an execution's sensitive parameters: <execution>.params (the
// dot keeps it apart from the objects of actions, as the journal's).
func paramsSecretName(execution string) string { return executionObjectName(execution, ".params") }

// sealSensitiveParams takes the values of a new execution's own sensitive parameters (given
// with -p) out of its spec: each becomes a secretKeyRef to the execution's params Secret, so the
// DRPlanExecution, which anyone who may read executions reads, never holds them, and a resume or
// a revert reads them from there. It returns the values to store; nil when there are none.
func sealSensitiveParams(exec *v1alpha1.DRPlanExecution) map[string][]byte {
	sensitive := map[string]bool{}
	for _, ss := range exec.Status.StageStatuses {
		for _, we := range ss.WorkflowExecutions {
			for _, name := range we.SensitiveParams {
				sensitive[name] = true
			}
		}
	}
	var sealed map[string][]byte
	for i := range exec.Spec.Params {
		p := &exec.Spec.Params[i]
		if p.Value == nil || !(sensitive[p.Name] || p.Sensitive != nil && *p.Sensitive) {
			continue
		}
		if sealed == nil {
			sealed = map[string][]byte{}
		}
		sealed[p.Name] = []byte(*p.Value)
		p.Value = nil
		p.Sensitive = ptrTo(true)
		p.ValueFrom = &v1alpha1.ParameterValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: paramsSecretName(exec.Name), Key: p.Name}}
	}
	return sealed
}

// outdatedCRD says when the API server dropped the secretKeyRef of a sealed parameter: its
// DRPlanExecution CRD predates them, and a resume or revert could not read the value again.
func outdatedCRD(stored *v1alpha1.DRPlanExecution, sealed map[string][]byte) error {
	for _, p := range stored.Spec.Params {
		if _, ok := sealed[p.Name]; ok && (p.ValueFrom == nil || p.ValueFrom.SecretKeyRef == nil) {
			return fmt.Errorf("the API server dropped valueFrom.secretKeyRef of parameter %q: the DRPlanExecution CRD is older than this drctl; run `drctl install` first", p.Name)
		}
	}
	return nil
}

// storeSealedParams creates the params Secret of a created execution, owned by it (deleted with
// it where a garbage collector runs).
func (e *Engine) storeSealedParams(ctx context.Context, exec *v1alpha1.DRPlanExecution, values map[string][]byte) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: paramsSecretName(exec.Name), Namespace: exec.Namespace,
			Labels: map[string]string{LabelParamsOf: labelValue(exec.Name)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.KindDRPlanExecution,
				Name: exec.Name, UID: exec.UID}},
		},
		Type: corev1.SecretTypeOpaque,
		Data: values,
	}
	if err := e.cfg.Client.Create(ctx, secret); err != nil {
		names := make([]string, 0, len(values))
		for k := range values {
			names = append(names, k)
		}
		slices.Sort(names)
		return fmt.Errorf("store the sensitive parameters %v of %s in Secret %s (drctl never writes them into the execution): %w; "+
			"without permission to create Secrets there, supply them through valueFrom.secretKeyRef instead", names, exec.Name, secret.Name, err)
	}
	return nil
}

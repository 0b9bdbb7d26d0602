package controller

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// DefaultWebhookConfigurationName names drctl serve's ValidatingWebhookConfiguration and
// MutatingWebhookConfiguration.
const DefaultWebhookConfigurationName = "drctl"

// The webhook server's paths: controller-runtime's, which are also the upstream controller's.
const (
	pathValidateWorkflow  = "/validate-dr-bkbcs-tencent-com-v1alpha1-drworkflow"
	pathValidatePlan      = "/validate-dr-bkbcs-tencent-com-v1alpha1-drplan"
	pathValidateExecution = "/validate-dr-bkbcs-tencent-com-v1alpha1-drplanexecution"
	pathMutateExecution   = "/mutate-dr-bkbcs-tencent-com-v1alpha1-drplanexecution"
)

// WebhookConfigOptions says how the API server reaches the webhooks.
type WebhookConfigOptions struct {
	// Name of both configurations (default DefaultWebhookConfigurationName).
	Name string
	// ClientConfig is how to call the webhook at path: a Service in a cluster, a URL elsewhere.
	ClientConfig func(path string) admissionregistrationv1.WebhookClientConfig
	// NamespaceSelector limits the webhooks to some namespaces (nil: all).
	NamespaceSelector *metav1.LabelSelector
}

// WebhookConfigurations are the admission registrations of drctl serve.
//
// Workflows and plans are refused when the webhook cannot be reached (failurePolicy Fail): an
// edit can wait for the controller. Executions are not (Ignore): during a disaster, a controller
// that is down must never stop `drctl execute` from running a failover — the runners check what
// the webhook checks anyway, under the plan's Lease. Nor are deletions (Ignore): a namespace being
// deleted while the controller is down must not hang in Terminating; its delete protections are
// the controller's to give while it runs.
func WebhookConfigurations(o WebhookConfigOptions) (*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration) {
	if o.Name == "" {
		o.Name = DefaultWebhookConfigurationName
	}
	fail, ignore := admissionregistrationv1.Fail, admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	rule := func(resource string, ops ...admissionregistrationv1.OperationType) []admissionregistrationv1.RuleWithOperations {
		return []admissionregistrationv1.RuleWithOperations{{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{v1alpha1.GroupVersion.Group}, APIVersions: []string{v1alpha1.GroupVersion.Version}, Resources: []string{resource}}}}
	}
	create, update, del := admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete
	validating := func(name, path, resource string, policy *admissionregistrationv1.FailurePolicyType, ops ...admissionregistrationv1.OperationType) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{Name: name, ClientConfig: o.ClientConfig(path), Rules: rule(resource, ops...),
			FailurePolicy: policy, SideEffects: &none, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: o.NamespaceSelector}
	}
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			validating("drworkflows.validate.drctl.dr.bkbcs.tencent.com", pathValidateWorkflow, "drworkflows", &fail, create, update),
			validating("drworkflows.protect.drctl.dr.bkbcs.tencent.com", pathValidateWorkflow, "drworkflows", &ignore, del),
			validating("drplans.validate.drctl.dr.bkbcs.tencent.com", pathValidatePlan, "drplans", &fail, create, update),
			validating("drplans.protect.drctl.dr.bkbcs.tencent.com", pathValidatePlan, "drplans", &ignore, del),
			validating("drplanexecutions.validate.drctl.dr.bkbcs.tencent.com", pathValidateExecution, "drplanexecutions", &ignore, create, update),
		},
	}
	m := &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "drplanexecutions.default.drctl.dr.bkbcs.tencent.com", ClientConfig: o.ClientConfig(pathMutateExecution),
			Rules: rule("drplanexecutions", create), FailurePolicy: &ignore, SideEffects: &none, TimeoutSeconds: &timeout,
			AdmissionReviewVersions: []string{"v1"}, NamespaceSelector: o.NamespaceSelector,
		}},
	}
	return v, m
}

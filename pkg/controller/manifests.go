package controller

import (
	"fmt"
	"maps"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ManifestOptions says where and how `drctl install --serve` installs the controller.
type ManifestOptions struct {
	Namespace string // default DefaultSystemNamespace
	Image     string // the drctl image, with its tag
	Replicas  int32  // default 2: one leads, one stands by
}

// Names of what the manifests install.
const (
	ServeName              = "drctl-serve" // Deployment, ServiceAccount, ClusterRole(Binding), Role(Binding)
	metricsPort, probePort = 8080, 8081
)

func (o ManifestOptions) namespace() string {
	if o.Namespace == "" {
		return DefaultSystemNamespace
	}
	return o.Namespace
}

// Manifests are the objects that run drctl serve in a cluster, in the order to apply them (the
// CRDs, which come first, are pkg/crd's): Namespace, ServiceAccount, least-privilege RBAC,
// Service, Deployment, webhook configurations.
func Manifests(o ManifestOptions) []client.Object {
	o.Namespace = o.namespace()
	if o.Replicas == 0 {
		o.Replicas = 2
	}
	labels := map[string]string{"app.kubernetes.io/name": "drctl", "app.kubernetes.io/component": "serve"}
	meta := func(name, namespace string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels}
	}
	typed := func(apiVersion, kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	}
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: ServeName, Namespace: o.Namespace}}

	objs := []client.Object{
		// Its pods meet the restricted Pod Security Standard, which the namespace enforces.
		&corev1.Namespace{TypeMeta: typed("v1", "Namespace"), ObjectMeta: metav1.ObjectMeta{Name: o.Namespace,
			Labels: withLabel(labels, "pod-security.kubernetes.io/enforce", "restricted")}},
		&corev1.ServiceAccount{TypeMeta: typed("v1", "ServiceAccount"), ObjectMeta: meta(ServeName, o.Namespace)},
		&rbacv1.ClusterRole{TypeMeta: typed("rbac.authorization.k8s.io/v1", "ClusterRole"), ObjectMeta: meta(ServeName, ""), Rules: ClusterRules()},
		&rbacv1.ClusterRoleBinding{TypeMeta: typed("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), ObjectMeta: meta(ServeName, ""),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ServeName}, Subjects: subject},
		&rbacv1.Role{TypeMeta: typed("rbac.authorization.k8s.io/v1", "Role"), ObjectMeta: meta(ServeName, o.Namespace), Rules: NamespaceRules()},
		&rbacv1.RoleBinding{TypeMeta: typed("rbac.authorization.k8s.io/v1", "RoleBinding"), ObjectMeta: meta(ServeName, o.Namespace),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: ServeName}, Subjects: subject},
		&corev1.Service{TypeMeta: typed("v1", "Service"), ObjectMeta: meta(DefaultWebhookService, o.Namespace), Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports: []corev1.ServicePort{
				{Name: "webhook", Port: 443, TargetPort: intstr.FromString("webhook")},
				{Name: "metrics", Port: metricsPort, TargetPort: intstr.FromString("metrics")},
			},
		}},
		deployment(o, meta(ServeName, o.Namespace), labels),
		// A drain evicts one replica at a time: with two, one stays, and workflow and plan
		// writes, which wait on the webhook, go on.
		&policyv1.PodDisruptionBudget{TypeMeta: typed("policy/v1", "PodDisruptionBudget"), ObjectMeta: meta(ServeName, o.Namespace),
			Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: labels}}},
	}
	v, m := WebhookConfigurations(WebhookConfigOptions{ClientConfig: func(path string) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
			Namespace: o.Namespace, Name: DefaultWebhookService, Path: ptr.To(path), Port: ptr.To(int32(443))}}
	}})
	v.Labels, m.Labels = labels, labels
	return append(objs, v, m)
}

// ClusterRules are everything drctl serve does across namespaces, and nothing more (a test runs
// serve as this role and compares what it called with these rules):
//   - its own kinds: read and watch them, claim executions (update: labels and annotations), and
//     write their status;
//   - per plan: the plan's Lease, the execution's journal ConfigMap and its events;
//   - who it is (SelfSubjectReview), and impersonating plans' ServiceAccounts, as whom actions run;
//   - the caBundle of its own webhook configurations.
//
// Actions need no rights here: they run as the plan's ServiceAccount.
func ClusterRules() []rbacv1.PolicyRule {
	group := v1alpha1.GroupVersion.Group
	return []rbacv1.PolicyRule{
		{APIGroups: []string{group}, Resources: []string{"drworkflows", "drplans"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{group}, Resources: []string{"drplanexecutions"}, Verbs: []string{"get", "list", "watch", "update"}},
		{APIGroups: []string{group}, Resources: []string{"drworkflows/status", "drplans/status"}, Verbs: []string{"update"}},
		{APIGroups: []string{group}, Resources: []string{"drplanexecutions/status"}, Verbs: []string{"update", "patch"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "create", "update", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"get", "impersonate"}},
		{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"},
			ResourceNames: []string{DefaultWebhookConfigurationName}, Verbs: []string{"get", "update"}},
	}
}

// NamespaceRules are what drctl serve does in its own namespace only: keep the webhook
// certificate's Secret.
func NamespaceRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{WebhookCertSecret}, Verbs: []string{"get", "update"}},
	}
}

// withLabel is labels and key=value.
func withLabel(labels map[string]string, key, value string) map[string]string {
	out := maps.Clone(labels)
	out[key] = value
	return out
}

// deployment runs the replicas: non-root, read-only root filesystem (a writable /tmp for the
// webhook certificate), no privilege, bounded resources, probed.
func deployment(o ManifestOptions, meta metav1.ObjectMeta, labels map[string]string) *appsv1.Deployment {
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("probes")}}, PeriodSeconds: 10}
	}
	container := corev1.Container{
		Name:  "serve",
		Image: o.Image,
		Args: []string{"serve", "--leader-elect", fmt.Sprintf("--metrics-bind-address=:%d", metricsPort),
			fmt.Sprintf("--health-probe-bind-address=:%d", probePort), fmt.Sprintf("--webhook-port=%d", DefaultWebhookPort)},
		Env: []corev1.EnvVar{{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}},
		Ports: []corev1.ContainerPort{
			{Name: "webhook", ContainerPort: DefaultWebhookPort}, {Name: "metrics", ContainerPort: metricsPort}, {Name: "probes", ContainerPort: probePort},
		},
		LivenessProbe:  probe("/healthz"),
		ReadinessProbe: probe("/readyz"),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot: ptr.To(true), ReadOnlyRootFilesystem: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(o.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: ServeName,
					// Longer than --shutdown-grace (30s) and a hand-over's writes.
					TerminationGracePeriodSeconds: ptr.To(int64(60)),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(65532)), RunAsGroup: ptr.To(int64(65532)),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{container},
					// Replicas on different nodes, where there are several.
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: labels}}}},
					}},
					Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				},
			},
		},
	}
}

package validate

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
)

// A plan runs with the identity of whoever runs it: a read of any Secret, a ClusterRoleBinding,
// a Job with a powerful ServiceAccount are the plan author's right, but a reviewer must see
// them. These checks name what a plan reaches beyond its own namespace or rights, as warnings
// (`drctl validate --strict` fails on them), and `drctl execute --dry-run` lists the same for
// the rendered actions.

// clusterScopedKinds are the built-in kinds without a namespace: writing one changes the whole
// cluster.
var clusterScopedKinds = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "StorageClass": true, "CSIDriver": true, "CSINode": true, "VolumeAttachment": true,
	"PriorityClass": true, "RuntimeClass": true, "IngressClass": true, "APIService": true, "CertificateSigningRequest": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true, "ValidatingAdmissionPolicy": true,
	"ValidatingAdmissionPolicyBinding": true, "FlowSchema": true, "PriorityLevelConfiguration": true,
}

// rbacKinds grant rights.
var rbacKinds = map[string]bool{"Role": true, "RoleBinding": true, "ClusterRole": true, "ClusterRoleBinding": true}

// ParamReach names a parameter read from a Secret: the run reads it with the runner's identity.
func ParamReach(p v1alpha1.Parameter) string {
	from := p.ValueFrom
	switch {
	case from == nil:
		return ""
	case from.SecretKeyRef != nil:
		return fmt.Sprintf("reads Secret %s (key %s) for parameter %q", from.SecretKeyRef.Name, from.SecretKeyRef.Key, p.Name)
	case from.ManifestRef != nil && from.ManifestRef.Kind == "Secret":
		where := from.ManifestRef.Name
		if where == "" {
			where = "selected by " + from.ManifestRef.LabelSelector
		}
		if ns := from.ManifestRef.Namespace; ns != "" {
			where = ns + "/" + where
		}
		return fmt.Sprintf("reads Secret %s for parameter %q", where, p.Name)
	}
	return ""
}

// Reach is one thing an action reaches: where in it (a field path) and what.
type Reach struct {
	Field, What string
}

// ActionReach lists what an action (a rendered one, or one with placeholders, which are read as
// stand-ins) reaches beyond namespace, the namespace its plan runs in ("" when unknown): objects
// of other namespaces, cluster-scoped objects, RBAC objects, a Job's ServiceAccount; and for
// HTTP, skipped TLS verification, credentials written in the URL and cloud metadata addresses.
func ActionReach(path *field.Path, a *v1alpha1.Action, namespace string) []Reach {
	var out []Reach
	add := func(p *field.Path, format string, args ...any) {
		out = append(out, Reach{Field: p.String(), What: fmt.Sprintf(format, args...)})
	}
	elsewhere := func(ns string) bool {
		return ns != "" && namespace != "" && ns != namespace && !template.HasPlaceholder(ns) && !strings.Contains(ns, actions.StandIn)
	}
	switch {
	case a.Resource != nil:
		p := path.Child("resource", "manifest")
		var obj struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		manifest, err := template.Render(a.Resource.Manifest, func(template.Ref) (string, bool) { return actions.StandIn, true })
		if err != nil || yaml.Unmarshal([]byte(manifest), &obj) != nil {
			break
		}
		op := map[v1alpha1.ResourceOperation]string{"Apply": "applies", "Patch": "patches", "Delete": "deletes"}[a.Resource.Operation]
		if op == "" {
			op = "creates"
		}
		what := obj.Kind
		if name := obj.Metadata.Name; name != "" && !strings.Contains(name, actions.StandIn) {
			what += " " + name
		}
		switch {
		case clusterScopedKinds[obj.Kind]:
			add(p, "%s cluster-scoped %s: it affects the whole cluster", op, what)
		case elsewhere(obj.Metadata.Namespace):
			add(p, "%s %s in namespace %s, outside the plan's namespace %s", op, what, obj.Metadata.Namespace, namespace)
		}
		if rbacKinds[obj.Kind] && strings.HasPrefix(obj.APIVersion, "rbac.authorization.k8s.io/") {
			add(p, "%s RBAC object %s: it grants rights", op, what)
		}
	case a.Job != nil:
		if elsewhere(a.Job.Namespace) {
			add(path.Child("job", "namespace"), "runs a Job in namespace %s, outside the plan's namespace %s", a.Job.Namespace, namespace)
		}
		pod := a.Job.Template.Spec.Template.Spec
		if sa := pod.ServiceAccountName; sa != "" && sa != "default" {
			add(path.Child("job", "template", "spec", "template", "spec", "serviceAccountName"), "runs a Job as ServiceAccount %s, with that account's rights", sa)
		}
	case a.HTTP != nil:
		p := path.Child("http")
		if a.HTTP.InsecureSkipVerify {
			add(p.Child("insecureSkipVerify"), "skips TLS verification: anyone on the network path can read and answer the request")
		}
		for _, msg := range urlReach(a.HTTP.URL) {
			add(p.Child("url"), "%s", msg)
		}
	}
	return out
}

// credentialQuery is a query parameter whose name says it holds a credential.
var credentialQuery = regexp.MustCompile(`(?i)(token|key|password|passwd|secret|signature|sig|credential|auth)$`)

// urlReach warns of credentials written into a URL (they end up in logs and proxies) and of
// addresses that serve cloud instance credentials.
func urlReach(raw string) []string {
	refs, errs := template.Parse(raw)
	if len(errs) > 0 {
		return nil
	}
	var b strings.Builder // placeholders (a sensitive parameter, say) are not literals
	last := 0
	for _, r := range refs {
		b.WriteString(raw[last:r.Start])
		b.WriteString(actions.StandIn)
		last = r.End
	}
	b.WriteString(raw[last:])
	literal := b.String()
	u, err := url.Parse(literal)
	if err != nil {
		return nil
	}
	var out []string
	if pw, set := u.User.Password(); set && pw != actions.StandIn {
		out = append(out, "holds a password in the URL: it is logged wherever the URL is; use a header with a sensitive parameter")
	}
	for name, values := range u.Query() {
		for _, v := range values {
			if credentialQuery.MatchString(name) && v != "" && v != actions.StandIn {
				out = append(out, fmt.Sprintf("holds a literal credential in query parameter %q: use a sensitive parameter", name))
			}
		}
	}
	if metadataHost(u.Hostname()) {
		out = append(out, fmt.Sprintf("calls %s, a link-local or cloud metadata address, which hands out the node's credentials", u.Hostname()))
	}
	return out
}

func metadataHost(host string) bool {
	switch strings.ToLower(host) {
	case "metadata.google.internal", "metadata", "100.100.100.200", "fd00:ec2::254":
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast())
}

func reachWarnings(reach []Reach) Findings {
	var fs Findings
	for _, r := range reach {
		fs.Warnf(r.Field, "%s", r.What)
	}
	return fs
}

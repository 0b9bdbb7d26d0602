package check

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/actions"
)

// access checks one object an action touches: its kind is served, its namespace exists, the user
// may use the verbs, and it exists if it must.
func (c *Checker) access(ctx context.Context, where string, rollback bool, planNamespace string, acc actions.Access) []Result {
	result := func(check string, outcome Outcome, detail, fix string) Result {
		return Result{Action: where, Rollback: rollback, Check: check, Outcome: outcome, Detail: detail, Fix: fix}
	}
	kind := acc.GVK.Kind
	if unknown(acc.GVK.String()) {
		return []Result{result("kind", Skip, "the kind comes from an earlier action's outputs: known when the run gets there", "")}
	}
	mapping, err := c.Mapper.RESTMapping(acc.GVK.GroupKind(), acc.GVK.Version)
	if meta.IsNoMatchError(err) && c.madeCRD {
		return []Result{result("kind", Skip, fmt.Sprintf("the cluster does not serve %s %s yet; an earlier action installs a CRD", acc.GVK.GroupVersion(), kind), "")}
	}
	if meta.IsNoMatchError(err) {
		return []Result{result("kind", Fail, fmt.Sprintf("the cluster does not serve %s %s", acc.GVK.GroupVersion(), kind),
			"install the CustomResourceDefinition of "+kind+" (or fix apiVersion and kind)")}
	}
	if err != nil {
		return []Result{result("kind", Fail, fmt.Sprintf("discovery of %s: %v", acc.GVK, err), "")}
	}
	var results []Result
	namespace := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace = acc.Namespace
		if namespace == "" {
			namespace = planNamespace
		}
		if unknown(namespace) {
			return append(results, result("namespace", Skip, "the namespace comes from an earlier action's outputs: known when the run gets there", ""))
		}
		if c.made["namespace/"+namespace] {
			return append(results, result("namespace", Pass, "namespace "+namespace+" is made by an earlier action", ""))
		}
		ns, first := c.namespace(ctx, namespace)
		ns.Action, ns.Rollback = where, rollback
		if first || ns.Outcome != Pass { // a namespace that exists is said once
			results = append(results, ns)
		}
		if ns.Outcome == Fail {
			return results
		}
	}
	resource := mapping.Resource.Resource
	if g := mapping.Resource.Group; g != "" {
		resource += "." + g
	}
	object := kind
	if acc.Name != "" && !unknown(acc.Name) {
		object += " " + qualified(namespace, acc.Name)
	}
	if len(acc.Verbs) > 0 {
		var denied []string
		for _, verb := range acc.Verbs {
			r := review{namespace: namespace, verb: verb, group: mapping.Resource.Group, resource: mapping.Resource.Resource}
			if verb != "create" && acc.Name != "" && !unknown(acc.Name) {
				r.name = acc.Name // RBAC may grant it for this object only (resourceNames)
			}
			ok, err := c.allowed(ctx, r)
			if err != nil {
				results = append(results, result("permission", Fail, fmt.Sprintf("cannot ask the API server whether %s %s is allowed: %v", verb, resource, err), ""))
				return results
			}
			if !ok {
				denied = append(denied, verb)
			}
		}
		scope := "cluster-wide"
		if namespace != "" {
			scope = "in namespace " + namespace
		}
		if len(denied) > 0 {
			results = append(results, result("permission", Fail,
				fmt.Sprintf("%s: you may not %s %s %s", object, strings.Join(denied, ", "), resource, scope),
				fmt.Sprintf("grant %s on %s %s (a Role and RoleBinding, see examples/rbac)", strings.Join(denied, ", "), resource, scope)))
		} else {
			results = append(results, result("permission", Pass, fmt.Sprintf("%s: %s %s %s", object, strings.Join(acc.Verbs, ", "), resource, scope), ""))
		}
	}
	if acc.MustExist && acc.Name != "" && !unknown(acc.Name) && c.made[madeKey(acc, namespace)] {
		results = append(results, result("object", Pass, object+" is made by an earlier action", ""))
	} else if acc.MustExist && acc.Name != "" && !unknown(acc.Name) {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(acc.GVK)
		err := c.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: acc.Name}, obj)
		switch {
		case err == nil:
			results = append(results, result("object", Pass, object+" exists", ""))
		case apierrors.IsNotFound(err):
			results = append(results, result("object", Fail, object+" does not exist; the action needs it", "create it before the run, or fix its name"))
		case apierrors.IsForbidden(err):
			results = append(results, result("object", Warn, object+": you may not read it, so whether it exists is unknown", "grant get on "+resource))
		default:
			results = append(results, result("object", Fail, fmt.Sprintf("%s: %v", object, err), ""))
		}
	}
	return results
}

// namespace checks, once per namespace, that it exists; first says this was the first time.
func (c *Checker) namespace(ctx context.Context, name string) (r Result, first bool) {
	if r, ok := c.namespaces[name]; ok {
		return r, false
	}
	r = Result{Check: "namespace"}
	err := c.Client.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
	switch {
	case err == nil:
		r.Outcome, r.Detail = Pass, "namespace "+name+" exists"
	case apierrors.IsNotFound(err):
		r.Outcome, r.Detail, r.Fix = Fail, "namespace "+name+" does not exist", "create it (kubectl create namespace "+name+"), or fix the action's namespace"
	case apierrors.IsForbidden(err):
		r.Outcome, r.Detail, r.Fix = Warn, "namespace "+name+": you may not read namespaces, so whether it exists is unknown", "grant get on namespaces to check it"
	default:
		r.Outcome, r.Detail = Fail, fmt.Sprintf("namespace %s: %v", name, err)
	}
	c.namespaces[name] = r
	return r, true
}

func qualified(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

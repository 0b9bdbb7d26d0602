package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
)

func init() {
	register(&Type{
		Name:       v1alpha1.ActionKubernetesResource,
		Field:      "resource",
		Set:        func(a *v1alpha1.Action) bool { return a.Resource != nil },
		Operations: []v1alpha1.ResourceOperation{v1alpha1.OperationCreate, v1alpha1.OperationApply, v1alpha1.OperationPatch, v1alpha1.OperationDelete},
		operation:  func(a *v1alpha1.Action) string { return string(a.Resource.Operation) },
		deleteNamed: func(a *v1alpha1.Action) *v1alpha1.Action {
			c := a.DeepCopy()
			c.Resource.Operation, c.Resource.PatchType, c.Resource.Force = v1alpha1.OperationDelete, "", false
			return c
		},
		Rollback: func(op v1alpha1.ResourceOperation) Rollback {
			switch op {
			case v1alpha1.OperationCreate:
				return Rollback{Kind: RollbackDelete, What: "the created object"}
			case v1alpha1.OperationApply:
				return Rollback{Kind: RollbackDeleteIfCreated, What: "the object"}
			case v1alpha1.OperationPatch:
				return patchRollback
			}
			return Rollback{What: "a Delete has no automatic rollback"}
		},
		recorded:     func(o *v1alpha1.ActionOutputs) *corev1.ObjectReference { return o.ResourceRef },
		deleteAction: DeleteAction,
		NewExecutor:  func() Executor { return &Resource{} },
		Check:        checkResource,
		Example: func(op v1alpha1.ResourceOperation, at ExampleTarget) *v1alpha1.Action {
			return example("type: KubernetesResource\nresource:\n  operation: %s\n  manifest: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: %s, namespace: %s}\n    data: {role: primary}\n", op, at.Name, at.Namespace)
		},
		Documents: []Document{{Path: "resource.manifest", Format: DocumentYAML}},
		access:    manifestAccess,
		Target: func(a *v1alpha1.Action) string {
			return string(operation(a.Resource.Operation)) + " " + manifestTarget(a.Resource.Manifest)
		},
		Details: func(a *v1alpha1.Action) []string {
			out := []string{"manifest (" + string(operation(a.Resource.Operation)) + "):"}
			lines := strings.Split(strings.TrimRight(a.Resource.Manifest, "\n"), "\n")
			if len(lines) > 8 {
				lines = append(lines[:8], "...")
			}
			for _, l := range lines {
				out = append(out, "  "+l)
			}
			return out
		},
	})
}

func checkResource(path *field.Path, a *v1alpha1.Action, r Reporter) {
	res, path := a.Resource, path.Child("resource")
	mp := path.Child("manifest").String()
	op := operation(res.Operation)
	if res.PatchType == v1alpha1.PatchJSON && op == v1alpha1.OperationPatch {
		r.Errorf(path.Child("patchType").String(), "Unsupported value %q: a manifest names one object and cannot carry a JSON patch's list of operations; use Merge or Strategic", res.PatchType)
	}
	if res.PatchType != "" && op != v1alpha1.OperationPatch {
		r.Warnf(path.Child("patchType").String(), "patchType applies to operation Patch only; it is ignored for %s", op)
	}
	if res.Force && op != v1alpha1.OperationApply {
		r.Warnf(path.Child("force").String(), "force applies to operation Apply only; it is ignored for %s", op)
	}
	if res.Manifest == "" {
		r.Errorf(mp, "Required value: a KubernetesResource action needs a manifest")
		return
	}
	rendered, err := template.Render(res.Manifest, func(template.Ref) (string, bool) { return StandIn, true })
	if err != nil {
		return // template errors are reported by the template check
	}
	dec := yamlv3.NewDecoder(strings.NewReader(rendered))
	var objs []map[string]any
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if err != nil {
			if err.Error() != "EOF" {
				r.Errorf(mp, "malformed manifest: %s", strings.TrimPrefix(err.Error(), "yaml: "))
				return
			}
			break
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	if len(objs) != 1 {
		r.Errorf(mp, "Invalid value: the manifest must hold exactly one object, found %d", len(objs))
		return
	}
	obj := objs[0]
	for _, key := range []string{"apiVersion", "kind"} {
		if s, _ := obj[key].(string); s == "" {
			r.Errorf(mp, "Required value: the manifest has no %s", key)
		}
	}
	meta, _ := obj["metadata"].(map[string]any)
	if name, _ := meta["name"].(string); name == "" {
		r.Errorf(mp, "Required value: the manifest has no metadata.name (drctl acts on one named object; generateName is not supported)")
	}
}

// manifestTarget names the object of a manifest ("Service mysql"), or "a manifest" when the text
// (unrendered, with placeholders) does not read as YAML.
func manifestTarget(manifest string) string {
	var m struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(manifest), &m); err != nil || m.Kind == "" {
		return "a manifest"
	}
	return m.Kind + " " + m.Metadata.Name
}

// Resource creates, applies (server-side), patches or deletes one object of any kind, CRDs
// included, mapped through the client's RESTMapper.
type Resource struct{}

// Execute performs the operation once.
func (r *Resource) Execute(ctx context.Context, env Env, req Request) (Result, error) {
	spec := req.Action.Resource
	if spec == nil {
		return Result{}, Permanent(errors.New("resource is not set"))
	}
	obj, err := parseManifest(spec.Manifest)
	if err != nil {
		return Result{}, Permanent(err)
	}
	if err := defaultNamespace(env.Client, obj, req.Namespace); err != nil {
		return Result{}, err
	}
	if env.Logger != nil {
		env.Logger.Debug("kubernetes resource", "operation", spec.Operation, "manifest", spec.Manifest)
	}
	switch op := operation(spec.Operation); op {
	case v1alpha1.OperationCreate:
		return r.create(ctx, env, req, obj)
	case v1alpha1.OperationApply:
		return r.apply(ctx, env, req, obj, spec.Force)
	case v1alpha1.OperationPatch:
		return r.patch(ctx, env, obj, spec.PatchType)
	case v1alpha1.OperationDelete:
		return deleteObject(ctx, env.Client, obj)
	default:
		return Result{}, Permanent(fmt.Errorf("unknown operation %q", op))
	}
}

func (r *Resource) create(ctx context.Context, env Env, req Request, obj *unstructured.Unstructured) (Result, error) {
	live, adopted, err := createOrAdopt(ctx, env.Client, obj, req.Labels, req.ReplaceExisting)
	if err != nil {
		return Result{}, err
	}
	if adopted {
		return resourceResult(live, false, "adopted "+describe(live)+", created by an earlier attempt"), nil
	}
	return resourceResult(live, false, "created "+describe(live)), nil
}

func (r *Resource) apply(ctx context.Context, env Env, req Request, obj *unstructured.Unstructured, force bool) (Result, error) {
	existed, err := existedBefore(ctx, env.Client, obj, req.Recorded, req.Labels)
	if err != nil {
		return Result{}, err
	}
	if !existed {
		addLabels(obj, req.Labels)
	}
	live, err := serverSideApply(ctx, env.Client, obj, force)
	if err != nil {
		return Result{}, err
	}
	verb := "created"
	if existed {
		verb = "applied to existing"
	}
	return resourceResult(live, existed, verb+" "+describe(live)), nil
}

func (r *Resource) patch(ctx context.Context, env Env, obj *unstructured.Unstructured, patchType v1alpha1.PatchType) (Result, error) {
	data, err := obj.MarshalJSON()
	if err != nil {
		return Result{}, Permanent(err)
	}
	pt := types.MergePatchType
	switch patchType {
	case v1alpha1.PatchJSON:
		return Result{}, Permanent(errors.New("patchType JSON needs a JSON patch list, which a manifest cannot hold; use Merge or Strategic"))
	case v1alpha1.PatchStrategic:
		pt = types.StrategicMergePatchType
	}
	target := &unstructured.Unstructured{}
	target.SetGroupVersionKind(obj.GroupVersionKind())
	target.SetNamespace(obj.GetNamespace())
	target.SetName(obj.GetName())
	if err := env.Client.Patch(ctx, target, client.RawPatch(pt, data), client.FieldOwner(crd.FieldManager)); err != nil {
		if apierrors.IsNotFound(err) {
			return Result{}, Permanent(fmt.Errorf("patch %s: it does not exist", describe(obj)))
		}
		return Result{}, classify(fmt.Errorf("patch %s: %w", describe(obj), err))
	}
	return resourceResult(target, true, "patched "+describe(target)), nil
}

// deleteObject deletes obj with background propagation and waits until it is gone or the context
// ends. An object already absent succeeds. When obj has a UID, only the object with that UID is
// deleted: another one made under the same name since is left alone and the result is Skipped.
func deleteObject(ctx context.Context, c client.Client, obj *unstructured.Unstructured) (Result, error) {
	absent, skipped, err := deleteRecorded(ctx, c, obj, describe(obj), client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil {
		return Result{}, err
	}
	if res, settled := settledDelete(absent, skipped, describe(obj)); settled {
		return res, nil
	}
	uid := obj.GetUID()
	live := emptyLike(obj)
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), live)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		// Ours is gone when another object already holds the name.
		return err == nil && uid != "" && live.GetUID() != uid, nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete %s: still present (finalizers %v): %w", describe(obj), live.GetFinalizers(), err)
	}
	return Result{Message: "deleted " + describe(obj)}, nil
}

// DeleteAction is a KubernetesResource action that deletes the referenced object. A UID in ref goes
// into the manifest, where it becomes the delete's precondition: only that very object is deleted.
func DeleteAction(ref *corev1.ObjectReference) *v1alpha1.Action {
	manifest := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", ref.APIVersion, ref.Kind, ref.Name)
	if ref.Namespace != "" {
		manifest += "  namespace: " + ref.Namespace + "\n"
	}
	if ref.UID != "" {
		manifest += "  uid: " + string(ref.UID) + "\n"
	}
	return &v1alpha1.Action{
		Type:     v1alpha1.ActionKubernetesResource,
		Resource: &v1alpha1.KubernetesResourceAction{Operation: v1alpha1.OperationDelete, Manifest: manifest},
	}
}

func parseManifest(manifest string) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if obj.GetAPIVersion() == "" || obj.GetKind() == "" || obj.GetName() == "" {
		return nil, errors.New("manifest: needs apiVersion, kind and metadata.name")
	}
	return obj, nil
}

// defaultNamespace puts a namespaced object without namespace into ns.
func defaultNamespace(c client.Client, obj *unstructured.Unstructured, ns string) error {
	gvk := obj.GroupVersionKind()
	mapping, err := c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return Permanent(fmt.Errorf("the cluster does not serve %s: %w", gvk, err))
		}
		return err
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace && obj.GetNamespace() == "" {
		obj.SetNamespace(ns)
	}
	return nil
}

func operation(op v1alpha1.ResourceOperation) v1alpha1.ResourceOperation {
	if op == "" {
		return v1alpha1.OperationCreate
	}
	return op
}

func resourceResult(obj *unstructured.Unstructured, existed bool, msg string) Result {
	ref := &corev1.ObjectReference{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(),
		Name: obj.GetName(), UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion()}
	return Result{
		Message: msg,
		Outputs: &v1alpha1.ActionOutputs{
			ResourceRef:     ref,
			ResourceExisted: ptr.To(existed),
		},
	}
}

func describe(obj *unstructured.Unstructured) string {
	name := obj.GetName()
	if ns := obj.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return strings.ToLower(obj.GetKind()) + " " + name
}

// classify marks API errors that retrying cannot fix as permanent: invalid, forbidden,
// unauthorized, bad request, method not supported.
func classify(err error) error {
	switch {
	case apierrors.IsInvalid(err), apierrors.IsForbidden(err), apierrors.IsUnauthorized(err),
		apierrors.IsBadRequest(err), apierrors.IsMethodNotSupported(err), apierrors.IsNotAcceptable(err),
		apierrors.IsUnsupportedMediaType(err), apierrors.IsRequestEntityTooLargeError(err):
		return Permanent(err)
	}
	return err
}

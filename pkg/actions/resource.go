package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

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
	live, adopted, err := createOrAdopt(ctx, env.Client, obj, req.Labels)
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

// AutoRollback undoes a Create by deleting the object, and an Apply only when the object did not
// exist before; a Patch needs a custom rollback and a Delete has none.
func (r *Resource) AutoRollback(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) (*v1alpha1.Action, string) {
	if forward.Resource == nil {
		return nil, "resource is not set"
	}
	switch operation(forward.Resource.Operation) {
	case v1alpha1.OperationCreate, v1alpha1.OperationApply:
	case v1alpha1.OperationDelete:
		return nil, "a Delete has no automatic rollback; define a rollback to recreate the object"
	default:
		return nil, "a Patch has no automatic rollback; define a rollback"
	}
	if outputs == nil || outputs.ResourceRef == nil {
		return nil, "no object was recorded, nothing to delete"
	}
	if operation(forward.Resource.Operation) == v1alpha1.OperationApply && (outputs.ResourceExisted == nil || *outputs.ResourceExisted) {
		return nil, "applied to an existing object; define a rollback"
	}
	return DeleteAction(outputs.ResourceRef), ""
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

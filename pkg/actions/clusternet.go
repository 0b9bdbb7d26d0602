package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd"
	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Clusternet creates, applies, patches, deletes (and for Subscriptions replaces) one Clusternet
// object: a Localization, Globalization, Subscription or HelmChart. Success means the hub's API
// server accepted the change; Clusternet distributes it asynchronously (the specification's
// model: add a check action after it to wait for the child clusters).
type Clusternet struct {
	kind string
}

func clusternetKind(kind string) *Clusternet { return &Clusternet{kind: kind} }

// target is what an action says about its Clusternet object.
type target struct {
	op              string
	name, namespace string
	spec            any    // the typed spec, nil when absent
	uid             string // a Delete's precondition, when set
}

func (c *Clusternet) target(a *v1alpha1.Action, defaultNamespace string) (target, error) {
	var t target
	switch c.kind {
	case "Localization":
		if a.Localization == nil {
			return t, errors.New("localization is not set")
		}
		l := a.Localization
		t = target{string(l.Operation), l.Name, l.Namespace, nilIfNil(l.Spec), l.UID}
	case "Globalization":
		if a.Globalization == nil {
			return t, errors.New("globalization is not set")
		}
		g := a.Globalization
		t = target{string(g.Operation), g.Name, "", nilIfNil(g.Spec), g.UID}
	case "HelmChart":
		if a.HelmChart == nil {
			return t, errors.New("helmChart is not set")
		}
		h := a.HelmChart
		t = target{string(h.Operation), h.Name, h.Namespace, nilIfNil(h.Spec), h.UID}
	case "Subscription":
		if a.Subscription == nil {
			return t, errors.New("subscription is not set")
		}
		s := a.Subscription
		t = target{string(s.Operation), s.Name, s.Namespace, nilIfNil(s.Spec), s.UID}
		if t.namespace == "" {
			t.namespace = defaultNamespace
		}
	}
	if t.op == "" {
		t.op = string(v1alpha1.OperationCreate)
	}
	return t, nil
}

// nilIfNil turns a typed nil pointer into an untyped nil.
func nilIfNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// Execute performs the operation once.
func (c *Clusternet) Execute(ctx context.Context, env Env, req Request) (Result, error) {
	t, err := c.target(req.Action, req.Namespace)
	if err != nil {
		return Result{}, Permanent(err)
	}
	obj, err := c.object(t)
	if err != nil {
		return Result{}, Permanent(err)
	}
	if env.Logger != nil {
		env.Logger.Debug("clusternet", "kind", c.kind, "operation", t.op, "object", obj.Object)
	}
	switch v1alpha1.ResourceOperation(t.op) {
	case v1alpha1.OperationCreate:
		return c.create(ctx, env, req, obj)
	case v1alpha1.OperationApply:
		return c.apply(ctx, env, req, obj)
	case v1alpha1.OperationPatch:
		return c.patch(ctx, env, obj)
	case v1alpha1.OperationDelete:
		return c.delete(ctx, env, obj)
	case v1alpha1.OperationReplace:
		if c.kind != "Subscription" {
			return Result{}, Permanent(fmt.Errorf("operation Replace applies to Subscriptions only"))
		}
		if err := c.deleteAndWait(ctx, env, obj); err != nil {
			return Result{}, err
		}
		fresh, _ := c.object(t)
		return c.create(ctx, env, req, fresh)
	}
	return Result{}, Permanent(fmt.Errorf("unknown operation %q", t.op))
}

// object builds the unstructured Clusternet object of a target.
func (c *Clusternet) object(t target) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetAPIVersion(clusternetv1alpha1.GroupVersion.String())
	obj.SetKind(c.kind)
	obj.SetName(t.name)
	obj.SetNamespace(t.namespace)
	if t.uid != "" {
		obj.SetUID(types.UID(t.uid)) // the delete's precondition (deleteRecorded)
	}
	if t.spec != nil {
		data, err := json.Marshal(t.spec)
		if err != nil {
			return nil, err
		}
		var spec map[string]any
		if err := json.Unmarshal(data, &spec); err != nil {
			return nil, err
		}
		obj.Object["spec"] = spec
	}
	return obj, nil
}

func (c *Clusternet) create(ctx context.Context, env Env, req Request, obj *unstructured.Unstructured) (Result, error) {
	live, adopted, err := createOrAdopt(ctx, env.Client, obj, req.Labels)
	if err != nil {
		return Result{}, err
	}
	if adopted {
		return c.result(live, false, "adopted "+describe(live)+", created by an earlier attempt"), nil
	}
	return c.result(live, false, "created "+describe(live)), nil
}

func (c *Clusternet) apply(ctx context.Context, env Env, req Request, obj *unstructured.Unstructured) (Result, error) {
	existed, err := existedBefore(ctx, env.Client, obj, req.Recorded, req.Labels)
	if err != nil {
		return Result{}, err
	}
	if !existed {
		addLabels(obj, req.Labels)
	}
	live, err := serverSideApply(ctx, env.Client, obj, false)
	if err != nil {
		return Result{}, err
	}
	return c.result(live, existed, "applied "+describe(live)), nil
}

// patch merges the action's spec into the object's (Clusternet adds a finalizer, so objects are
// changed by patches, never replaced).
func (c *Clusternet) patch(ctx context.Context, env Env, obj *unstructured.Unstructured) (Result, error) {
	data, err := json.Marshal(map[string]any{"spec": obj.Object["spec"]})
	if err != nil {
		return Result{}, Permanent(err)
	}
	target := emptyLike(obj)
	target.SetName(obj.GetName())
	target.SetNamespace(obj.GetNamespace())
	if err := env.Client.Patch(ctx, target, client.RawPatch(types.MergePatchType, data), client.FieldOwner(crd.FieldManager)); err != nil {
		if apierrors.IsNotFound(err) {
			return Result{}, Permanent(fmt.Errorf("patch %s: it does not exist", describe(obj)))
		}
		return Result{}, classify(fmt.Errorf("patch %s: %w", describe(obj), err))
	}
	return c.result(target, true, "patched "+describe(target)), nil
}

// delete asks for deletion; Clusternet's finalizer completes it asynchronously. With a UID on obj,
// only that very object is deleted (as deleteObject does).
func (c *Clusternet) delete(ctx context.Context, env Env, obj *unstructured.Unstructured) (Result, error) {
	absent, skipped, err := deleteRecorded(ctx, env.Client, obj, describe(obj))
	if err != nil {
		return Result{}, err
	}
	if res, settled := settledDelete(absent, skipped, describe(obj)); settled {
		return res, nil
	}
	return Result{Message: "deletion of " + describe(obj) + " accepted"}, nil
}

// deleteAndWait deletes obj if present and waits until it is gone (Replace).
func (c *Clusternet) deleteAndWait(ctx context.Context, env Env, obj *unstructured.Unstructured) error {
	if err := env.Client.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return classify(fmt.Errorf("delete %s: %w", describe(obj), err))
	}
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKeyFromObject(obj), emptyLike(obj))), nil
	})
	if err != nil {
		return fmt.Errorf("replace %s: the old one is still being deleted (Clusternet removes its finalizer): %w", describe(obj), err)
	}
	return nil
}

// result records the object's reference under the kind's output field.
func (c *Clusternet) result(obj *unstructured.Unstructured, existed bool, msg string) Result {
	ref := &corev1.ObjectReference{APIVersion: obj.GetAPIVersion(), Kind: c.kind, Namespace: obj.GetNamespace(),
		Name: obj.GetName(), UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion()}
	out := &v1alpha1.ActionOutputs{ResourceExisted: ptr.To(existed)}
	switch c.kind {
	case "Localization":
		out.LocalizationRef = ref
	case "Globalization":
		out.GlobalizationRef = ref
	case "Subscription":
		out.SubscriptionRef = ref
	case "HelmChart":
		out.HelmChartRef = ref
	}
	return Result{Outputs: out, Message: msg}
}

// AutoRollback deletes what a Create made (and what an Apply made, if it did not exist before);
// a Patch needs a custom rollback, a Delete and a Replace have none.
func (c *Clusternet) AutoRollback(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) (*v1alpha1.Action, string) {
	t, err := c.target(forward, "")
	if err != nil {
		return nil, err.Error()
	}
	switch v1alpha1.ResourceOperation(t.op) {
	case v1alpha1.OperationCreate, v1alpha1.OperationApply:
	default:
		return nil, fmt.Sprintf("a %s of a %s has no automatic rollback; define a rollback", t.op, c.kind)
	}
	ref := c.recorded(outputs)
	if ref == nil {
		return nil, "no object was recorded, nothing to delete"
	}
	if v1alpha1.ResourceOperation(t.op) == v1alpha1.OperationApply && (outputs.ResourceExisted == nil || *outputs.ResourceExisted) {
		return nil, "applied to an existing object; define a rollback"
	}
	del := &v1alpha1.Action{Type: v1alpha1.ActionType(c.kind)}
	uid := string(ref.UID) // delete only the object the forward action made
	switch c.kind {
	case "Localization":
		del.Localization = &v1alpha1.LocalizationAction{Operation: v1alpha1.ClusternetOperation(v1alpha1.OperationDelete), Name: ref.Name, Namespace: ref.Namespace, UID: uid}
	case "Globalization":
		del.Globalization = &v1alpha1.GlobalizationAction{Operation: v1alpha1.ClusternetOperation(v1alpha1.OperationDelete), Name: ref.Name, UID: uid}
	case "Subscription":
		del.Subscription = &v1alpha1.SubscriptionAction{Operation: v1alpha1.SubscriptionOperation(v1alpha1.OperationDelete), Name: ref.Name, Namespace: ref.Namespace, UID: uid}
	case "HelmChart":
		del.HelmChart = &v1alpha1.HelmChartAction{Operation: v1alpha1.ClusternetOperation(v1alpha1.OperationDelete), Name: ref.Name, Namespace: ref.Namespace, UID: uid}
	}
	return del, ""
}

func (c *Clusternet) recorded(o *v1alpha1.ActionOutputs) *corev1.ObjectReference {
	if o == nil {
		return nil
	}
	switch c.kind {
	case "Localization":
		return o.LocalizationRef
	case "Globalization":
		return o.GlobalizationRef
	case "Subscription":
		return o.SubscriptionRef
	case "HelmChart":
		return o.HelmChartRef
	}
	return nil
}

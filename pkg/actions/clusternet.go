package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd"
	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func init() {
	for _, t := range []*Type{
		clusternetType("Localization", "localization", func(a *v1alpha1.Action) bool { return a.Localization != nil },
			func(ref *corev1.ObjectReference, op v1alpha1.ResourceOperation) *v1alpha1.Action {
				return &v1alpha1.Action{Localization: &v1alpha1.LocalizationAction{Operation: v1alpha1.ClusternetOperation(op), Name: ref.Name, Namespace: ref.Namespace, UID: string(ref.UID)}}
			}),
		clusternetType("Globalization", "globalization", func(a *v1alpha1.Action) bool { return a.Globalization != nil },
			func(ref *corev1.ObjectReference, op v1alpha1.ResourceOperation) *v1alpha1.Action {
				return &v1alpha1.Action{Globalization: &v1alpha1.GlobalizationAction{Operation: v1alpha1.ClusternetOperation(op), Name: ref.Name, UID: string(ref.UID)}}
			}),
		clusternetType("HelmChart", "helmChart", func(a *v1alpha1.Action) bool { return a.HelmChart != nil },
			func(ref *corev1.ObjectReference, op v1alpha1.ResourceOperation) *v1alpha1.Action {
				return &v1alpha1.Action{HelmChart: &v1alpha1.HelmChartAction{Operation: v1alpha1.ClusternetOperation(op), Name: ref.Name, Namespace: ref.Namespace, UID: string(ref.UID)}}
			}),
		clusternetType("Subscription", "subscription", func(a *v1alpha1.Action) bool { return a.Subscription != nil },
			func(ref *corev1.ObjectReference, op v1alpha1.ResourceOperation) *v1alpha1.Action {
				return &v1alpha1.Action{Subscription: &v1alpha1.SubscriptionAction{Operation: v1alpha1.SubscriptionOperation(op), Name: ref.Name, Namespace: ref.Namespace, UID: string(ref.UID)}}
			}),
	} {
		register(t)
	}
}

// clusternetType describes one Clusternet kind; build makes an action of the kind, with operation
// op, on the object ref.
func clusternetType(kind, blockField string, set func(*v1alpha1.Action) bool, build func(ref *corev1.ObjectReference, op v1alpha1.ResourceOperation) *v1alpha1.Action) *Type {
	c := clusternetKind(kind)
	ops := []v1alpha1.ResourceOperation{v1alpha1.OperationCreate, v1alpha1.OperationApply, v1alpha1.OperationPatch, v1alpha1.OperationDelete}
	if kind == "Subscription" {
		ops = append(ops, v1alpha1.OperationReplace)
	}
	t := &Type{
		Name:       v1alpha1.ActionType(kind),
		Field:      blockField,
		Set:        set,
		Operations: ops,
		operation: func(a *v1alpha1.Action) string {
			t, _ := c.target(a, "")
			return t.written
		},
		deleteNamed: func(a *v1alpha1.Action) *v1alpha1.Action {
			t, _ := c.target(a, "")
			del := build(&corev1.ObjectReference{Name: t.name, Namespace: t.namespace}, v1alpha1.OperationDelete)
			del.Name, del.Type = a.Name, a.Type
			// A PerCluster Subscription's delete removes its children; the time allowed is the same.
			del.ClusterExecutionMode, del.Timeout, del.RetryPolicy = a.ClusterExecutionMode, a.Timeout, a.RetryPolicy
			return del
		},
		Rollback: func(op v1alpha1.ResourceOperation) Rollback {
			switch op {
			case v1alpha1.OperationCreate:
				return Rollback{Kind: RollbackDelete, What: "the " + kind}
			case v1alpha1.OperationApply:
				return Rollback{Kind: RollbackDeleteIfCreated, What: "the " + kind}
			case v1alpha1.OperationPatch:
				return patchRollback
			case v1alpha1.OperationReplace:
				return Rollback{What: "a Replace of a " + kind + " has no automatic rollback"}
			}
			return Rollback{What: "a Delete of a " + kind + " has no automatic rollback"}
		},
		recorded: c.recorded,
		undoMany: func(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) *v1alpha1.Action {
			if kind != "Subscription" {
				return nil
			}
			return perClusterUndo(forward, outputs)
		},
		deleteAction: func(ref *corev1.ObjectReference) *v1alpha1.Action {
			del := build(ref, v1alpha1.OperationDelete) // with the UID: only the object the action made
			del.Type = v1alpha1.ActionType(kind)
			return del
		},
		NewExecutor: func() Executor { return c },
		access:      c.access,
		Check: func(path *field.Path, a *v1alpha1.Action, r Reporter) {
			t, _ := c.target(a, "")
			c.check(path.Child(blockField), t, r)
		},
		Target: func(a *v1alpha1.Action) string {
			t, _ := c.target(a, "")
			if t.namespace == "" {
				return t.op + " " + t.name
			}
			return t.op + " " + t.namespace + "/" + t.name
		},
	}
	t.Details = func(a *v1alpha1.Action) []string { return []string{"target: " + t.Target(a)} }
	specs := map[string]string{
		"Localization":  `{overridePolicy: ApplyNow, priority: 600, feed: {apiVersion: apps/v1, kind: Deployment, name: web}, overrides: [{type: MergePatch, value: '{"spec":{"replicas":2}}'}]}`,
		"Globalization": `{overridePolicy: ApplyNow, priority: 100, feed: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: default}, overrides: [{type: MergePatch, value: '{"spec":{"replicas":2}}'}]}`,
		"HelmChart":     `{repo: "https://charts.example.com/stable", chart: web, targetNamespace: web}`,
		"Subscription":  `{feeds: [{apiVersion: apps/v1, kind: Deployment, name: web, namespace: default}], subscribers: [{clusterAffinity: {matchLabels: {dr: standby}}}]}`,
	}
	t.Example = func(op v1alpha1.ResourceOperation, at ExampleTarget) *v1alpha1.Action {
		namespace := ", namespace: " + at.Namespace
		if kind == "Globalization" {
			namespace = "" // cluster-scoped
		}
		return example("type: %s\n%s: {operation: %s, name: %s%s, spec: %s}", kind, blockField, op, at.Name, namespace, specs[kind])
	}
	if kind == "Localization" || kind == "Globalization" {
		t.Documents = []Document{{Path: blockField + ".spec.overrides[*].value", Format: DocumentAsWritten}}
	}
	return t
}

// check requires what each operation needs: Create and Apply a spec (with a feed for a
// Localization or Globalization, feeds and subscribers for a Subscription), Patch and Replace a
// spec.
func (c *Clusternet) check(path *field.Path, t target, r Reporter) {
	sp := path.Child("spec")
	op := v1alpha1.ResourceOperation(t.op)
	switch {
	case op == v1alpha1.OperationDelete:
	case t.spec == nil && c.kind == "Subscription" && (op == v1alpha1.OperationCreate || op == v1alpha1.OperationApply || op == v1alpha1.OperationReplace):
		r.Errorf(sp.String(), "Required value: operation %s needs spec (Create, Apply and Replace need feeds and subscribers)", op)
	case t.spec == nil:
		r.Errorf(sp.String(), "Required value: %s operation %s needs spec", c.kind, op)
	case !t.hasFeed && (op == v1alpha1.OperationCreate || op == v1alpha1.OperationApply) && (c.kind == "Localization" || c.kind == "Globalization"):
		r.Errorf(sp.Child("feed").String(), "Required value: %s operation %s needs spec.feed (the object it overrides)", c.kind, op)
	}
}

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
	op              string // the operation, Create when unset
	written         string // the operation as written
	hasFeed         bool   // a Localization's or Globalization's spec names its feed
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
		t = target{op: string(l.Operation), name: l.Name, namespace: l.Namespace, spec: nilIfNil(l.Spec), uid: l.UID, hasFeed: l.Spec != nil && l.Spec.Feed != nil}
	case "Globalization":
		if a.Globalization == nil {
			return t, errors.New("globalization is not set")
		}
		g := a.Globalization
		t = target{op: string(g.Operation), name: g.Name, spec: nilIfNil(g.Spec), uid: g.UID, hasFeed: g.Spec != nil && g.Spec.Feed != nil}
	case "HelmChart":
		if a.HelmChart == nil {
			return t, errors.New("helmChart is not set")
		}
		h := a.HelmChart
		t = target{op: string(h.Operation), name: h.Name, namespace: h.Namespace, spec: nilIfNil(h.Spec), uid: h.UID}
	case "Subscription":
		if a.Subscription == nil {
			return t, errors.New("subscription is not set")
		}
		s := a.Subscription
		t = target{op: string(s.Operation), name: s.Name, namespace: s.Namespace, spec: nilIfNil(s.Spec), uid: s.UID}
		if t.namespace == "" {
			t.namespace = defaultNamespace
		}
	}
	if t.written = t.op; t.op == "" {
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
	if c.kind == "Subscription" && req.Action.ClusterExecutionMode == v1alpha1.ClusterExecutionPerCluster {
		switch v1alpha1.ResourceOperation(t.op) {
		case v1alpha1.OperationCreate, v1alpha1.OperationApply:
			if req.Action.WaitReady {
				return c.perCluster(ctx, env, req, t)
			}
		case v1alpha1.OperationDelete:
			return c.deletePerCluster(ctx, env, t, req.Action.Subscription.ChildRefs)
		}
	}
	var res Result
	switch v1alpha1.ResourceOperation(t.op) {
	case v1alpha1.OperationCreate:
		res, err = c.create(ctx, env, req, obj)
	case v1alpha1.OperationApply:
		res, err = c.apply(ctx, env, req, obj)
	case v1alpha1.OperationPatch:
		res, err = c.patch(ctx, env, obj)
	case v1alpha1.OperationDelete:
		return c.delete(ctx, env, obj)
	case v1alpha1.OperationReplace:
		if c.kind != "Subscription" {
			return Result{}, Permanent(fmt.Errorf("operation Replace applies to Subscriptions only"))
		}
		if err := deleteAndWait(ctx, env.Client, obj, "replace"); err != nil {
			return Result{}, err
		}
		fresh, _ := c.object(t)
		res, err = c.create(ctx, env, req, fresh)
	default:
		return Result{}, Permanent(fmt.Errorf("unknown operation %q", t.op))
	}
	if err != nil || c.kind != "Subscription" || !req.Action.WaitReady {
		return res, err
	}
	return awaitSubscription(ctx, env, t.namespace, t.name, res)
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
	live, adopted, err := createOrAdopt(ctx, env.Client, obj, req.Labels, req.ReplaceExisting)
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

package actions

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// createOrAdopt creates obj with the request's labels. If it exists already and carries those
// labels, an earlier attempt of this very action created it (a resume after a crash): it is
// adopted and returned. If it exists without them, someone else made it: a permanent error,
// unless replace says to delete that one first (a hook's hookCleanup.beforeCreate, as Helm's
// before-hook-creation policy deletes the previous run's hook).
func createOrAdopt(ctx context.Context, c client.Client, obj *unstructured.Unstructured, labels map[string]string, replace bool) (live *unstructured.Unstructured, adopted bool, err error) {
	addLabels(obj, labels)
	err = c.Create(ctx, obj, client.FieldOwner(crd.FieldManager))
	if apierrors.IsAlreadyExists(err) {
		live = emptyLike(obj)
		if gerr := c.Get(ctx, client.ObjectKeyFromObject(obj), live); gerr != nil {
			return nil, false, gerr
		}
		switch {
		case carriesLabels(live, labels):
			return live, true, nil
		case replace:
			if err := deleteAndWait(ctx, c, live, "delete the previous hook resource before creating it"); err != nil {
				return nil, false, err
			}
			return createOrAdopt(ctx, c, obj, labels, false)
		}
		return nil, false, Permanent(fmt.Errorf("create %s: already exists and was not created by this execution", describe(obj)))
	}
	if err != nil {
		return nil, false, classify(fmt.Errorf("create %s: %w", describe(obj), err))
	}
	return obj, false, nil
}

// existedBefore tells whether obj existed before the action first touched it: as recorded by an
// earlier attempt, or as the cluster says now. An object that carries this execution's labels was
// made by an earlier attempt of this very action (a retry after a crash that came before its
// outputs were recorded): it did not exist before, and reverting must still delete it.
func existedBefore(ctx context.Context, c client.Client, obj *unstructured.Unstructured, recorded *v1alpha1.ActionOutputs, labels map[string]string) (bool, error) {
	if recorded != nil && recorded.ResourceExisted != nil {
		return *recorded.ResourceExisted, nil
	}
	live := emptyLike(obj)
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), live)
	switch {
	case err == nil:
		return !carriesLabels(live, labels), nil
	case apierrors.IsNotFound(err):
		return false, nil
	}
	return false, classify(fmt.Errorf("get %s: %w", describe(obj), err))
}

// settledDelete is the outcome of a delete (deleteRecorded) that leaves nothing to wait for: the
// object was already absent, or it is someone else's now (Skipped, with the reason). settled is
// false when the deletion was accepted.
func settledDelete(absent bool, skipped, what string) (res Result, settled bool) {
	switch {
	case skipped != "":
		return Result{Message: skipped, Skipped: skipped}, true
	case absent:
		return Result{Message: what + " already absent"}, true
	}
	return Result{}, false
}

// deleteRecorded deletes obj, described as what. When obj carries a UID (the one recorded when
// this execution created it), the UID is a precondition: an object deleted and made again under
// the same name by someone else is not ours, and the API server refuses to delete it. skipped then
// says so; absent says there was nothing under the name.
func deleteRecorded(ctx context.Context, c client.Client, obj client.Object, what string, opts ...client.DeleteOption) (absent bool, skipped string, err error) {
	uid := obj.GetUID()
	if uid != "" {
		opts = append(opts[:len(opts):len(opts)], client.Preconditions{UID: &uid})
	}
	err = c.Delete(ctx, obj, opts...)
	switch {
	case err == nil:
		return false, "", nil
	case apierrors.IsNotFound(err):
		return true, "", nil
	case uid != "" && apierrors.IsConflict(err):
		// The UID is the only precondition, so another object holds the name now; read it to say which.
		live := obj.DeepCopyObject().(client.Object)
		gerr := c.Get(ctx, client.ObjectKeyFromObject(obj), live)
		if apierrors.IsNotFound(gerr) {
			return true, "", nil
		}
		if gerr == nil && live.GetUID() != uid {
			return false, fmt.Sprintf("not deleted: %s was recreated by someone else (uid %s; the recorded one was uid %s)", what, live.GetUID(), uid), nil
		}
	}
	return false, "", classify(fmt.Errorf("delete %s: %w", what, err))
}

// serverSideApply applies obj with drctl's field manager; a conflict with another manager is
// permanent unless forced.
func serverSideApply(ctx context.Context, c client.Client, obj *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error) {
	opts := []client.ApplyOption{client.FieldOwner(crd.FieldManager)}
	if force {
		opts = append(opts, client.ForceOwnership)
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), opts...); err != nil {
		if apierrors.IsConflict(err) {
			return nil, Permanent(fmt.Errorf("apply %s: %w (set force: true on the action to take these fields over)", describe(obj), err))
		}
		return nil, classify(fmt.Errorf("apply %s: %w", describe(obj), err))
	}
	live := emptyLike(obj)
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		return obj, nil
	}
	return live, nil
}

func emptyLike(obj *unstructured.Unstructured) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(obj.GroupVersionKind())
	return u
}

// Labels mark what an action created, so that a resume adopts it and a person can find it.

func copyLabels(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func hasLabels(have, want map[string]string) bool {
	if len(want) == 0 {
		return false
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func addLabels(obj *unstructured.Unstructured, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	merged := obj.GetLabels()
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range labels {
		merged[k] = v
	}
	obj.SetLabels(merged)
}

func carriesLabels(obj *unstructured.Unstructured, labels map[string]string) bool {
	return hasLabels(obj.GetLabels(), labels)
}

// deleteAndWait deletes obj (only that very object when it carries a UID) and waits until it is
// gone: finalizers (Clusternet's) may hold it a while. why says what the wait is for.
func deleteAndWait(ctx context.Context, c client.Client, obj *unstructured.Unstructured, why string) error {
	var opts []client.DeleteOption
	if uid := obj.GetUID(); uid != "" {
		opts = append(opts, client.Preconditions{UID: &uid})
	}
	if err := c.Delete(ctx, obj, opts...); err != nil && !apierrors.IsNotFound(err) {
		return classify(fmt.Errorf("%s: delete %s: %w", why, describe(obj), err))
	}
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		return apierrors.IsNotFound(c.Get(ctx, client.ObjectKeyFromObject(obj), emptyLike(obj))), nil
	})
	if err != nil {
		return fmt.Errorf("%s: %s is still being deleted (a finalizer holds it): %w", why, describe(obj), err)
	}
	return nil
}

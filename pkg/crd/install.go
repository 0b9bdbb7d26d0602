package crd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset/typed/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// FieldManager is the server-side apply field manager drctl uses for everything it writes.
const FieldManager = "drctl"

// InstallOptions configures Install.
type InstallOptions struct {
	// DryRun asks the API server to validate the CRDs without persisting them (--dry-run=server).
	DryRun bool
	// Timeout bounds the wait for the CRDs to be served. Zero means one minute.
	Timeout time.Duration
	// Progress receives one line per CRD; nil discards it.
	Progress io.Writer
}

// Install applies drctl's CRDs with server-side apply and waits until the API server serves them:
// Established, and each kind can be listed (its storage is initialised; until then creates fail,
// and so does deleting the CRD again).
//
// Server-side apply, because client-side apply stores the whole object in the last-applied
// annotation, and the DRWorkflow CRD (it carries the full Job schema) is larger than the 256 KiB an
// annotation may hold. Conflicts are forced: drctl's CRDs are a superset of the upstream
// controller's, so taking over fields another manager set (an earlier upstream install) is the point.
// Install is idempotent.
func Install(ctx context.Context, cfg *rest.Config, opts InstallOptions) error {
	client, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds, err := CRDs()
	if err != nil {
		return err
	}
	patchOpts := metav1.PatchOptions{FieldManager: FieldManager, Force: ptr.To(true)}
	if opts.DryRun {
		patchOpts.DryRun = []string{metav1.DryRunAll}
	}
	for _, crd := range crds {
		crd.APIVersion = apiextensionsv1.SchemeGroupVersion.String()
		crd.Kind = "CustomResourceDefinition"
		body, err := json.Marshal(crd)
		if err != nil {
			return fmt.Errorf("encode CRD %s: %w", crd.Name, err)
		}
		if _, err := client.CustomResourceDefinitions().Patch(ctx, crd.Name, types.ApplyPatchType, body, patchOpts); err != nil {
			return fmt.Errorf("apply CRD %s: %w", crd.Name, err)
		}
		suffix := "applied"
		if opts.DryRun {
			suffix = "applied (server dry run)"
		}
		progressf(opts.Progress, "customresourcedefinition.apiextensions.k8s.io/%s %s\n", crd.Name, suffix)
	}
	if opts.DryRun {
		return nil
	}
	ctx, cancel := withTimeout(ctx, opts.Timeout)
	defer cancel()
	for _, crd := range crds {
		if err := waitEstablished(ctx, client, crd.Name); err != nil {
			return err
		}
		if err := waitListable(ctx, dyn, crd); err != nil {
			return err
		}
		progressf(opts.Progress, "customresourcedefinition.apiextensions.k8s.io/%s established\n", crd.Name)
	}
	return nil
}

// waitListable polls until a LIST of the CRD's kind succeeds.
func waitListable(ctx context.Context, dyn dynamic.Interface, crd *apiextensionsv1.CustomResourceDefinition) error {
	gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: crd.Spec.Versions[0].Name, Resource: crd.Spec.Names.Plural}
	var lastErr error
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, lastErr = dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		return lastErr == nil, nil
	})
	if err != nil {
		return fmt.Errorf("wait for %s to be served: %w (last error: %v)", gvr.GroupResource(), err, lastErr)
	}
	return nil
}

// waitEstablished polls until the CRD's Established and NamesAccepted conditions are True.
func waitEstablished(ctx context.Context, client apiextensionsclient.CustomResourceDefinitionsGetter, name string) error {
	var last *apiextensionsv1.CustomResourceDefinition
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		crd, err := client.CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = crd
		return conditionTrue(crd, apiextensionsv1.Established) && conditionTrue(crd, apiextensionsv1.NamesAccepted), nil
	})
	if err != nil {
		msg := ""
		if last != nil {
			for _, c := range last.Status.Conditions {
				if c.Status != apiextensionsv1.ConditionTrue {
					msg += fmt.Sprintf("; %s=%s: %s", c.Type, c.Status, c.Message)
				}
			}
		}
		return fmt.Errorf("wait for CRD %s to be established: %w%s", name, err, msg)
	}
	return nil
}

func conditionTrue(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == t {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// UninstallOptions configures Uninstall.
type UninstallOptions struct {
	// DryRun asks the API server to validate the deletion without performing it.
	DryRun bool
	// Timeout bounds the wait for the CRDs to be gone. Zero means one minute.
	Timeout time.Duration
	// Progress receives one line per CRD; nil discards it.
	Progress io.Writer
}

// Uninstall deletes drctl's CRDs, and with them every DRWorkflow, DRPlan and DRPlanExecution in the
// cluster, and waits until they are gone (as `kubectl delete` does). CRDs that are already absent
// are reported, not treated as errors.
func Uninstall(ctx context.Context, cfg *rest.Config, opts UninstallOptions) error {
	client, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds, err := CRDs()
	if err != nil {
		return err
	}
	delOpts := metav1.DeleteOptions{}
	if opts.DryRun {
		delOpts.DryRun = []string{metav1.DryRunAll}
	}
	var errs []error
	var deleted []string
	for _, crd := range crds {
		err := client.CustomResourceDefinitions().Delete(ctx, crd.Name, delOpts)
		switch {
		case apierrors.IsNotFound(err):
			progressf(opts.Progress, "customresourcedefinition.apiextensions.k8s.io/%s already absent\n", crd.Name)
		case err != nil:
			errs = append(errs, fmt.Errorf("delete CRD %s: %w", crd.Name, err))
		default:
			deleted = append(deleted, crd.Name)
		}
	}
	if opts.DryRun {
		for _, name := range deleted {
			progressf(opts.Progress, "customresourcedefinition.apiextensions.k8s.io/%s deleted (server dry run)\n", name)
		}
		return errors.Join(errs...)
	}
	ctx, cancel := withTimeout(ctx, opts.Timeout)
	defer cancel()
	for _, name := range deleted {
		if err := waitGone(ctx, client, name); err != nil {
			errs = append(errs, err)
			continue
		}
		progressf(opts.Progress, "customresourcedefinition.apiextensions.k8s.io/%s deleted\n", name)
	}
	return errors.Join(errs...)
}

// waitGone polls until the CRD no longer exists; the API server first deletes every object of it.
func waitGone(ctx context.Context, client apiextensionsclient.CustomResourceDefinitionsGetter, name string) error {
	var last *apiextensionsv1.CustomResourceDefinition
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		crd, err := client.CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		last = crd
		return false, err
	})
	if err != nil {
		msg := ""
		if last != nil {
			for _, c := range last.Status.Conditions {
				if c.Type == apiextensionsv1.Terminating {
					msg = fmt.Sprintf(" (%s: %s)", c.Reason, c.Message)
				}
			}
		}
		return fmt.Errorf("wait for CRD %s to be deleted: %w%s", name, err, msg)
	}
	return nil
}

// withTimeout bounds a wait by d, or by one minute when d is zero.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = time.Minute
	}
	return context.WithTimeout(ctx, d)
}

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/drctl/drctl/pkg/crd"
)

// InstallOptions configures Install.
type InstallOptions struct {
	ManifestOptions
	// DryRun asks the API server to validate without persisting (--dry-run=server).
	DryRun bool
	// Progress receives one line per object; nil discards it.
	Progress io.Writer
}

// Install applies the controller's manifests (after the CRDs, which crd.Install applies) with
// server-side apply, as drctl's field manager: idempotent, and an upgrade is the same call.
func Install(ctx context.Context, cfg *rest.Config, opts InstallOptions) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return err
	}
	patchOpts := metav1.PatchOptions{FieldManager: crd.FieldManager, Force: ptr.To(true)}
	suffix := "applied"
	if opts.DryRun {
		patchOpts.DryRun, suffix = []string{metav1.DryRunAll}, "applied (server dry run)"
	}
	// A server dry run does not create the namespace: what goes in it cannot be checked yet.
	namespaceMissing := false
	if opts.DryRun {
		_, err := dyn.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Get(ctx, opts.namespace(), metav1.GetOptions{})
		namespaceMissing = apierrors.IsNotFound(err)
	}
	for _, obj := range Manifests(opts.ManifestOptions) {
		gvk := obj.GetObjectKind().GroupVersionKind()
		// kind.group/name, as kubectl prints what it applies
		what := strings.ToLower(gvk.Kind)
		if gvk.Group != "" {
			what += "." + gvk.Group
		}
		what += "/" + obj.GetName()
		if namespaceMissing && obj.GetNamespace() != "" {
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "%s skipped (server dry run: namespace %s does not exist yet)\n", what, obj.GetNamespace())
			}
			continue
		}
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", gvk.Kind, err)
		}
		body, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		var r dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if ns := obj.GetNamespace(); ns != "" {
			r = dyn.Resource(mapping.Resource).Namespace(ns)
		}
		if _, err := r.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, patchOpts); err != nil {
			return fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
		}
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "%s %s\n", what, suffix)
		}
	}
	return nil
}

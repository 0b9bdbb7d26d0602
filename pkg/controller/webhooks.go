package controller

import (
	"context"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// webhookServer is the admission webhook server of opts (nil when WebhookPort is 0), with its
// certificate: the one in CertDir, or serve's own (made or read, and its CA injected), kept
// current by the returned refresher (nil with CertDir).
func webhookServer(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, opts Options) (webhook.Server, *certRefresher, error) {
	if opts.WebhookPort == 0 {
		return nil, nil, nil
	}
	certDir := opts.CertDir
	var refresher *certRefresher
	if certDir == "" {
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		if err != nil {
			return nil, nil, err
		}
		dir, err := os.MkdirTemp("", "drctl-webhook-")
		if err != nil {
			return nil, nil, err
		}
		refresher = &certRefresher{client: c, namespace: opts.SystemNamespace, secret: WebhookCertSecret, webhookCfg: opts.WebhookConfigurationName,
			hosts: certHosts(opts.WebhookService, opts.SystemNamespace, opts.WebhookHost), dir: dir, log: opts.Logger}
		data, err := servingCertificate(ctx, c, refresher.namespace, refresher.secret, refresher.hosts)
		if err != nil {
			return nil, nil, err
		}
		missing, err := useCertificate(ctx, c, opts.WebhookConfigurationName, dir, data)
		if err != nil {
			return nil, nil, err
		}
		if len(missing) > 0 {
			opts.Logger.Warn("the admission webhooks are not registered; install them with drctl install --serve", "missing", missing)
		}
		certDir = dir
	}
	return webhook.NewServer(webhook.Options{Host: opts.WebhookHost, Port: opts.WebhookPort, CertDir: certDir}), refresher, nil
}

// addWebhooks registers the validating and defaulting webhooks at their paths
// (webhook_configurations.go).
func addWebhooks(mgr manager.Manager, clock *lease.ServerClock) error {
	c, api := mgr.GetClient(), mgr.GetAPIReader()
	if err := builder.WebhookManagedBy(mgr, &v1alpha1.DRWorkflow{}).WithValidator(&workflowWebhook{client: c}).Complete(); err != nil {
		return fmt.Errorf("DRWorkflow webhook: %w", err)
	}
	if err := builder.WebhookManagedBy(mgr, &v1alpha1.DRPlan{}).WithValidator(&planWebhook{client: c, apiReader: api, clock: clock}).Complete(); err != nil {
		return fmt.Errorf("DRPlan webhook: %w", err)
	}
	err := builder.WebhookManagedBy(mgr, &v1alpha1.DRPlanExecution{}).
		WithValidator(&executionWebhook{client: api, apiReader: api, clock: clock}).
		WithDefaulter(executionDefaulter{apiReader: api, clock: clock}).
		Complete()
	if err != nil {
		return fmt.Errorf("DRPlanExecution webhook: %w", err)
	}
	return nil
}

package controller

import (
	"fmt"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Tenancy. A plan's actions run, and its parameters' valueFrom sources are read, as a
// ServiceAccount of the plan's own namespace, impersonated (the Flux model): in a shared cluster
// team A's plan must not read kube-system's Secrets or bind cluster-admin through the controller's
// own rights. The account is the plan's spec.serviceAccountName, else --default-service-account.
// With neither, serve acts as itself only for plans of its own namespace, unless started with
// --allow-controller-identity. The run's own records (the execution, its journal, events, the
// Lease) are written as the controller: they are drctl's, not the plan's.

// runAs is who a run of plan acts as: a ServiceAccount's user name, or "" for the controller
// itself; an error when serve may act for the plan as neither.
func runAs(plan *v1alpha1.DRPlan, opts Options) (string, error) {
	sa := plan.Spec.ServiceAccountName
	if sa == "" {
		sa = opts.DefaultServiceAccount
	}
	switch {
	case sa != "":
		return "system:serviceaccount:" + plan.Namespace + ":" + sa, nil
	case plan.Namespace == opts.SystemNamespace || opts.AllowControllerIdentity:
		return "", nil
	}
	return "", fmt.Errorf("drctl serve acts for a plan outside its own namespace (%s) only as a ServiceAccount of the plan's namespace: "+
		"set spec.serviceAccountName on DRPlan %s/%s, or start serve with --default-service-account (or, to let plans act with the controller's own rights, --allow-controller-identity)",
		opts.SystemNamespace, plan.Namespace, plan.Name)
}

// serviceAccountOf splits a ServiceAccount's user name.
func serviceAccountOf(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// actionClients makes, and keeps, one client per identity runs act as.
type actionClients struct {
	cfg    *rest.Config
	scheme *runtime.Scheme
	mapper meta.RESTMapper
	own    client.WithWatch // the controller's identity

	mu     sync.Mutex
	byUser map[string]client.WithWatch
}

// forUser is the client acting as user ("" the controller).
func (a *actionClients) forUser(user string) (client.WithWatch, error) {
	if user == "" {
		return a.own, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.byUser[user]; ok {
		return c, nil
	}
	cfg := rest.CopyConfig(a.cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user} // the API server adds the account's groups
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: a.scheme, Mapper: a.mapper})
	if err != nil {
		return nil, fmt.Errorf("client impersonating %s: %w", user, err)
	}
	if a.byUser == nil {
		a.byUser = map[string]client.WithWatch{}
	}
	a.byUser[user] = c
	return c, nil
}

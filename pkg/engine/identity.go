package engine

import (
	"context"
	"errors"
	"os"
	"os/user"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/version"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Runner modes, recorded in status.runner.mode: who ran an execution.
const (
	ModeCLI   = "cli"   // drctl execute/revert/resume from a terminal
	ModeServe = "serve" // drctl serve, the in-cluster controller
)

// DiscoverRunner names this process for the records it writes: the Kubernetes user it acts as
// (from a SelfSubjectReview, else the local user), the host (a pod's name in a cluster), the pid,
// drctl's version and the mode.
func DiscoverRunner(ctx context.Context, c client.Client, mode string) v1alpha1.RunnerInfo {
	r := v1alpha1.RunnerInfo{PID: int64(os.Getpid()), Version: version.Get().Version, Mode: mode}
	r.Host, _ = os.Hostname()
	if name, err := ReviewedUser(ctx, c); err == nil {
		r.User = name
	} else if u, err := user.Current(); err == nil {
		r.User = u.Username
	}
	return r
}

// ReviewedUser is the Kubernetes user the API server authenticates c as (a SelfSubjectReview).
func ReviewedUser(ctx context.Context, c client.Client) (string, error) {
	review := &authenticationv1.SelfSubjectReview{}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Create(rctx, review); err != nil {
		return "", err
	}
	if review.Status.UserInfo.Username == "" {
		return "", errors.New("the API server names no user for this client")
	}
	return review.Status.UserInfo.Username, nil
}

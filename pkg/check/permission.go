package check

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// review is one question to the API server's authorizer: may I verb group/resource in namespace?
type review struct {
	namespace, verb, group, resource, subresource, name string
}

type reviewAnswer struct {
	allowed bool
	err     error
}

// allowed asks the API server (a SelfSubjectAccessReview, once per question) whether the user
// may do what r says.
func (c *Checker) allowed(ctx context.Context, r review) (bool, error) {
	if a, ok := c.reviews[r]; ok {
		return a.allowed, a.err
	}
	ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: r.namespace, Verb: r.verb, Group: r.group, Resource: r.resource,
			Subresource: r.subresource, Name: r.name},
	}}
	err := c.Client.Create(ctx, ssar)
	a := reviewAnswer{allowed: err == nil && ssar.Status.Allowed, err: err}
	c.reviews[r] = a
	return a.allowed, a.err
}

// Package lease guards each DRPlan with a coordination.k8s.io/v1 Lease, so that only one runner
// — a terminal or `drctl serve` — executes a plan at a time. The record follows client-go's leader
// election: holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions. Expiry
// is judged by the API server's clock (ServerClock), never by the local one.
package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Defaults of the plan lease.
const (
	DefaultDuration   = 15 * time.Second
	DefaultRenewEvery = 5 * time.Second
)

// Name is the Lease name that guards a plan.
func Name(plan string) string { return "drplan-" + plan }

// HeldError says the Lease is held, live, by someone else.
type HeldError struct {
	Holder string
	// Expires is when the Lease lapses unless renewed, in server time.
	Expires time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("plan is locked by %s (lease expires %s unless renewed)", e.Holder, e.Expires.UTC().Format(time.RFC3339))
}

// ErrLost says the Lease was taken by another runner while this one held it.
var ErrLost = errors.New("the plan's lease was taken over by another runner")

// Lease is one runner's handle on a plan's Lease.
type Lease struct {
	Client    client.Client
	Namespace string
	Name      string
	// Holder is this runner's holderIdentity.
	Holder     string
	Duration   time.Duration
	RenewEvery time.Duration
	Clock      *ServerClock

	current *coordinationv1.Lease
}

// New returns a handle with the default timings.
func New(c client.Client, clock *ServerClock, namespace, name, holder string) *Lease {
	return &Lease{Client: c, Namespace: namespace, Name: name, Holder: holder,
		Duration: DefaultDuration, RenewEvery: DefaultRenewEvery, Clock: clock}
}

// TryAcquire takes the Lease if it is free, expired or already ours; otherwise it returns a
// *HeldError. Of two runners trying at once, exactly one succeeds: creation and takeover are
// guarded by the API server (AlreadyExists, resourceVersion conflicts).
func (l *Lease) TryAcquire(ctx context.Context) error {
	cur := &coordinationv1.Lease{}
	err := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name}, cur)
	now := metav1.NewMicroTime(l.Clock.Now())
	switch {
	case apierrors.IsNotFound(err):
		fresh := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: l.Namespace, Name: l.Name},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(l.Holder),
				LeaseDurationSeconds: ptr.To(int32(l.Duration / time.Second)),
				AcquireTime:          &now,
				RenewTime:            &now,
			},
		}
		if err := l.Client.Create(ctx, fresh); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return l.heldNow(ctx)
			}
			return fmt.Errorf("create lease %s/%s: %w", l.Namespace, l.Name, err)
		}
		l.current = fresh
		return nil
	case err != nil:
		return fmt.Errorf("get lease %s/%s: %w", l.Namespace, l.Name, err)
	}
	holder := ptr.Deref(cur.Spec.HolderIdentity, "")
	if holder != "" && holder != l.Holder && !l.expired(cur) {
		return l.held(cur)
	}
	next := cur.DeepCopy()
	if holder != l.Holder {
		next.Spec.AcquireTime = &now
		next.Spec.LeaseTransitions = ptr.To(ptr.Deref(cur.Spec.LeaseTransitions, 0) + 1)
	}
	next.Spec.HolderIdentity = ptr.To(l.Holder)
	next.Spec.LeaseDurationSeconds = ptr.To(int32(l.Duration / time.Second))
	next.Spec.RenewTime = &now
	if err := l.Client.Update(ctx, next); err != nil {
		if apierrors.IsConflict(err) {
			return l.heldNow(ctx)
		}
		return fmt.Errorf("take lease %s/%s: %w", l.Namespace, l.Name, err)
	}
	l.current = next
	return nil
}

// Acquire retries TryAcquire until it succeeds, the context ends, or wait passes; a zero wait
// means one attempt. It returns the last *HeldError when the Lease stayed held.
func (l *Lease) Acquire(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := l.TryAcquire(ctx)
		var held *HeldError
		if err == nil || !errors.As(err, &held) || !time.Now().Before(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(time.Second, time.Until(deadline))):
		}
	}
}

// Renew extends the Lease once. It returns ErrLost when another runner holds it now.
func (l *Lease) Renew(ctx context.Context) error {
	return l.renew(ctx, true)
}

func (l *Lease) renew(ctx context.Context, retry bool) error {
	if l.current == nil {
		return ErrLost
	}
	next := l.current.DeepCopy()
	now := metav1.NewMicroTime(l.Clock.Now())
	next.Spec.RenewTime = &now
	err := l.Client.Update(ctx, next)
	if (apierrors.IsConflict(err) && retry) || apierrors.IsNotFound(err) {
		cur := &coordinationv1.Lease{}
		if gerr := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name}, cur); gerr != nil {
			if apierrors.IsNotFound(gerr) {
				return ErrLost
			}
			return gerr
		}
		if ptr.Deref(cur.Spec.HolderIdentity, "") != l.Holder {
			return ErrLost
		}
		l.current = cur // ours still, changed by someone (a label, say): renew on top of it
		return l.renew(ctx, false)
	}
	if err != nil {
		return err
	}
	l.current = next
	return nil
}

// Release gives the Lease up (holder cleared), if this runner still holds it.
func (l *Lease) Release(ctx context.Context) error {
	if l.current == nil {
		return nil
	}
	next := l.current.DeepCopy()
	next.Spec.HolderIdentity = nil
	next.Spec.RenewTime = nil
	next.Spec.AcquireTime = nil
	err := l.Client.Update(ctx, next)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		err = nil // someone else has it now, or it is gone: nothing of ours to release
	}
	l.current = nil
	return err
}

// Info describes a Lease for `drctl status` and error messages.
type Info struct {
	Holder  string
	Expires time.Time
	Expired bool
}

// Describe reads a plan's Lease; a missing Lease or one without holder is reported as free (nil).
func Describe(ctx context.Context, c client.Client, clock *ServerClock, namespace, name string) (*Info, error) {
	cur := &coordinationv1.Lease{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cur); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if ptr.Deref(cur.Spec.HolderIdentity, "") == "" {
		return nil, nil
	}
	exp := expiry(cur)
	return &Info{Holder: *cur.Spec.HolderIdentity, Expires: exp, Expired: !clock.Now().Before(exp)}, nil
}

func (l *Lease) heldNow(ctx context.Context) error {
	cur := &coordinationv1.Lease{}
	if err := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name}, cur); err != nil {
		return fmt.Errorf("get lease %s/%s: %w", l.Namespace, l.Name, err)
	}
	return l.held(cur)
}

func (l *Lease) held(cur *coordinationv1.Lease) error {
	return &HeldError{Holder: ptr.Deref(cur.Spec.HolderIdentity, ""), Expires: expiry(cur)}
}

func (l *Lease) expired(cur *coordinationv1.Lease) bool {
	return !l.Clock.Now().Before(expiry(cur))
}

// expiry is renewTime + leaseDurationSeconds (or acquireTime, if never renewed).
func expiry(cur *coordinationv1.Lease) time.Time {
	var t time.Time
	switch {
	case cur.Spec.RenewTime != nil:
		t = cur.Spec.RenewTime.Time
	case cur.Spec.AcquireTime != nil:
		t = cur.Spec.AcquireTime.Time
	}
	return t.Add(time.Duration(ptr.Deref(cur.Spec.LeaseDurationSeconds, 0)) * time.Second)
}

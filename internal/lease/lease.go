// Package lease guards each DRPlan with a coordination.k8s.io/v1 Lease, so that only one runner
// — a terminal or `drctl serve` — executes a plan at a time. The record follows client-go's leader
// election: holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions. Expiry
// is judged by the API server's clock (ServerClock), never by the local one.
package lease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Defaults of the plan lease, as client-go's leader election: a holder renews every RetryPeriod;
// one that could not renew for RenewDeadline stops acting, well before the Lease (Duration) lapses
// for the others.
const (
	DefaultDuration      = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// clockError is how far a ServerClock may lag the server (the Date header's resolution). A holder
// allows for it: the renewTime it writes may be up to this much older than the server's time.
const clockError = time.Second

// Name is the Lease name that guards a plan.
func Name(plan string) string { return "drplan-" + plan }

// HeldError says the Lease is held, live, by someone else.
type HeldError struct {
	Holder string
	// Expires is when the Lease lapses unless renewed, in server time.
	Expires time.Time
}

func (e *HeldError) Error() string {
	if e.Expires.IsZero() {
		return "plan is locked by " + e.Holder
	}
	return fmt.Sprintf("plan is locked by %s (lease expires %s unless renewed)", e.Holder, e.Expires.UTC().Format(time.RFC3339))
}

// ErrLost says the Lease was taken by another runner while this one held it.
var ErrLost = errors.New("the plan's lease was taken over by another runner")

// Lease is one runner's handle on a plan's Lease.
//
// A holder may act only until its deadline: the moment the last successful renewal (or the
// acquisition) was sent, plus RenewDeadline, measured on the local monotonic clock. Others can
// take the Lease over no earlier than that moment plus Duration minus the clock's error, so a
// holder that respects its deadline never acts after someone else took over. Past the deadline
// (renewals failing: a partition) it may act again only after a renewal succeeds, which proves
// that nobody took over meanwhile: the update is guarded by the Lease's resourceVersion, and only
// this holder ever writes its own identity.
type Lease struct {
	Client    client.Client
	Namespace string
	Name      string
	// Holder is this runner's holderIdentity.
	Holder        string
	Duration      time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	Clock         *ServerClock

	mu       sync.Mutex // guards current, deadline, sent and lost: Keep renews while others read
	current  *coordinationv1.Lease
	deadline time.Time // local, monotonic
	sent     time.Time // when the last successful renewal was sent, with its monotonic reading
	lost     bool
}

// New returns a handle with the default timings.
func New(c client.Client, clock *ServerClock, namespace, name, holder string) *Lease {
	return &Lease{Client: c, Namespace: namespace, Name: name, Holder: holder,
		Duration: DefaultDuration, RenewDeadline: DefaultRenewDeadline, RetryPeriod: DefaultRetryPeriod, Clock: clock}
}

// Timings derives a renew deadline and a retry period from a lease duration, in the proportions
// of the defaults (15 s, 10 s, 2 s), keeping the deadline at least the clock's error and a second
// short of the duration. Durations under 3 s are too short to be safe and are raised to 3 s.
func Timings(duration time.Duration) (d, renewDeadline, retry time.Duration) {
	d = max(duration.Round(time.Second), 3*time.Second)
	renewDeadline = min(d*2/3, d-clockError-time.Second)
	return d, renewDeadline, d * 2 / 15
}

// TryAcquire takes the Lease if it is free, expired or already ours; otherwise it returns a
// *HeldError. Of two runners trying at once, exactly one succeeds: creation and takeover are
// guarded by the API server (AlreadyExists, resourceVersion conflicts). Every acquisition by a new
// holder increments leaseTransitions: the epoch (see Epoch).
func (l *Lease) TryAcquire(ctx context.Context) error {
	cur := &coordinationv1.Lease{}
	err := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name}, cur)
	sent := time.Now()
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
		l.held(fresh, sent)
		return nil
	case err != nil:
		return fmt.Errorf("get lease %s/%s: %w", l.Namespace, l.Name, err)
	}
	holder := ptr.Deref(cur.Spec.HolderIdentity, "")
	if holder != "" && holder != l.Holder && !l.expired(cur) {
		return heldBy(cur)
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
	l.held(next, sent)
	return nil
}

// held records a successful acquisition or renewal sent at sent.
func (l *Lease) held(cur *coordinationv1.Lease, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.current = cur
	l.sent = sent
	l.deadline = sent.Add(l.RenewDeadline)
}

// suspended reports that more wall-clock time than monotonic time has passed since the last
// renewal: the machine was suspended (Linux's monotonic clock stops then) or its clock stepped.
// Either way, neither the deadline nor the server clock's estimate can be trusted until the
// server has been heard from again.
func (l *Lease) suspended() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sent.IsZero() {
		return false
	}
	wall := time.Now().Round(0).Sub(l.sent.Round(0)) // Round(0) strips the monotonic reading
	return wall-time.Since(l.sent) > clockError
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

// Remaining is how long this holder may still act without another successful renewal: zero once
// its deadline has passed or the Lease was lost.
func (l *Lease) Remaining() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost || l.current == nil {
		return 0
	}
	// The earlier of the monotonic and the wall-clock deadline: a suspend stops the first, a
	// forward step moves the second; either way the holder errs on the side of stopping.
	wall := l.deadline.Round(0).Sub(time.Now().Round(0))
	return max(min(time.Until(l.deadline), wall), 0)
}

// Epoch is the Lease's leaseTransitions as this holder holds it: it grows with every acquisition
// by a new holder, so a record stamped with it tells an older holder from a newer one.
func (l *Lease) Epoch() int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return 0
	}
	return ptr.Deref(l.current.Spec.LeaseTransitions, 0)
}

// RaiseEpoch makes this holder's epoch greater than floor, by writing leaseTransitions, in case
// the Lease was deleted and recreated (which starts it again from 0) since a record was stamped.
func (l *Lease) RaiseEpoch(ctx context.Context, floor int32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return ErrLost
	}
	if ptr.Deref(l.current.Spec.LeaseTransitions, 0) > floor {
		return nil
	}
	next := l.current.DeepCopy()
	next.Spec.LeaseTransitions = ptr.To(floor + 1)
	if err := l.Client.Update(ctx, next); err != nil {
		return fmt.Errorf("raise the epoch of lease %s/%s: %w", l.Namespace, l.Name, err)
	}
	l.current = next
	return nil
}

// Renew extends the Lease once. It returns ErrLost when another runner holds it now (for good:
// a lost Lease is never renewed again).
func (l *Lease) Renew(ctx context.Context) error {
	l.mu.Lock()
	cur, lost := l.current, l.lost
	l.mu.Unlock()
	if lost || cur == nil {
		return ErrLost
	}
	if l.suspended() {
		// After a suspend the server clock's estimate lags; a renewTime written from it would
		// be in the past. Hear from the server first (the response's Date moves the clock on).
		if err := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name}, &coordinationv1.Lease{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		next := cur.DeepCopy()
		sent := time.Now()
		now := metav1.NewMicroTime(l.Clock.Now())
		next.Spec.RenewTime = &now
		err := l.Client.Update(ctx, next)
		if err == nil {
			l.held(next, sent)
			return nil
		}
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return err
		}
		// Someone changed or deleted the Lease. Only this holder writes its own identity, so if it
		// still names us, nobody took over: renew on top of the new version.
		cur = &coordinationv1.Lease{}
		gerr := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name}, cur)
		switch {
		case apierrors.IsNotFound(gerr) || (gerr == nil && ptr.Deref(cur.Spec.HolderIdentity, "") != l.Holder):
			l.mu.Lock()
			l.lost = true
			l.mu.Unlock()
			return ErrLost
		case gerr != nil:
			return gerr
		case attempt > 0:
			return err
		}
	}
}

// Keep renews the Lease every RetryPeriod until ctx ends or the Lease is lost (ErrLost). A failed
// renewal is retried at the next period; onRenew, when set, hears the outcome of each attempt.
func (l *Lease) Keep(ctx context.Context, onRenew func(error)) error {
	t := time.NewTicker(l.RetryPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		// A renewal that hangs (a dead route, no reset) must not outlive its use: it gives up
		// in time for the next one.
		rctx, cancel := context.WithTimeout(ctx, max(l.RetryPeriod, l.RenewDeadline/2))
		err := l.Renew(rctx)
		cancel()
		if errors.Is(err, ErrLost) {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if onRenew != nil {
			onRenew(err)
		}
	}
}

// Release gives the Lease up (holder cleared), if this runner still holds it. Stop Keep first:
// a renewal racing the release would make it conflict.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil || l.lost {
		l.current = nil
		return nil
	}
	cur := l.current
	l.current = nil
	for attempt := 0; ; attempt++ {
		next := cur.DeepCopy()
		next.Spec.HolderIdentity = nil
		next.Spec.RenewTime = nil
		next.Spec.AcquireTime = nil
		err := l.Client.Update(ctx, next)
		if err == nil || apierrors.IsNotFound(err) {
			return nil
		}
		if !apierrors.IsConflict(err) || attempt > 0 {
			return fmt.Errorf("release lease %s/%s: %w", l.Namespace, l.Name, err)
		}
		// Changed by someone: release it only if it is still ours.
		cur = &coordinationv1.Lease{}
		if gerr := l.Client.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Name}, cur); gerr != nil {
			if apierrors.IsNotFound(gerr) {
				return nil
			}
			return fmt.Errorf("release lease %s/%s: %w", l.Namespace, l.Name, gerr)
		}
		if ptr.Deref(cur.Spec.HolderIdentity, "") != l.Holder {
			return nil
		}
	}
}

// Info describes a Lease for `drctl status` and error messages.
type Info struct {
	Holder  string
	Expires time.Time
	Expired bool
}

// Describe reads a plan's Lease; a missing Lease or one without holder is reported as free (nil).
func Describe(ctx context.Context, c client.Reader, clock *ServerClock, namespace, name string) (*Info, error) {
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
	return heldBy(cur)
}

func heldBy(cur *coordinationv1.Lease) error {
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

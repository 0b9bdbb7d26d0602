package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/validate"
)

// The engine's operations fail in one of three ways, each an exported type, so that a caller
// decides what to do without reading messages: a CLI exits 2 on *InvalidError, 3 on *LockedError
// and 1 on *APIError; a controller records an invalid execution as Failed, requeues a locked one
// and retries an API failure with backoff.

// InvalidError says the plan, its workflows or the request cannot run; nothing was changed.
// Running it again changes nothing until the input is fixed.
type InvalidError struct {
	What        string
	Diagnostics []validate.Diagnostic
}

func (e *InvalidError) Error() string {
	msg := e.What
	for _, d := range e.Diagnostics {
		if d.Severity == validate.SeverityError {
			msg += fmt.Sprintf("\n  %s: %s: %s", d.Object(), d.Field, d.Message)
		}
	}
	return msg
}

func invalidf(format string, args ...any) error {
	return &InvalidError{What: fmt.Sprintf(format, args...)}
}

// IsInvalid reports whether err is an *InvalidError.
func IsInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}

// LockedError says another run has the plan: a live runner holds its Lease, or its current
// execution is unfinished with no runner (resume or cancel it first). Nothing was changed; the
// same request may succeed later.
type LockedError struct {
	// Holder describes who or what holds the plan.
	Holder string
	// Expires is when the holder's Lease lapses unless renewed (API server time); zero when the
	// plan is held by an unfinished execution rather than a live Lease.
	Expires time.Time
}

func (e *LockedError) Error() string {
	return (&lease.HeldError{Holder: e.Holder, Expires: e.Expires}).Error()
}

// IsLocked reports whether err is a *LockedError.
func IsLocked(err error) bool {
	var le *LockedError
	return errors.As(err, &le)
}

// APIError says a call to the API server failed (unreachable, timed out, refused, conflicting
// with a concurrent change): nothing is wrong with the input, and retrying may succeed. What was
// recorded before the failure stays true.
type APIError struct {
	Err error
}

func (e *APIError) Error() string { return e.Err.Error() }
func (e *APIError) Unwrap() error { return e.Err }

// IsAPIError reports whether err is an *APIError.
func IsAPIError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae)
}

// notFoundIsInvalid makes a failed read of an object the request names an *InvalidError when the
// object does not exist (the request is wrong) and leaves any other failure an API failure.
func notFoundIsInvalid(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if apierrors.IsNotFound(err) {
		return &InvalidError{What: what + " not found"}
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// transient reports whether err is a failure of the API server or the network that a retry may
// not meet (a timeout, throttling, a 5xx, a broken connection), as opposed to an answer about the
// input (not found, forbidden, invalid).
func transient(err error) bool {
	var netErr net.Error
	switch {
	case apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err),
		apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.As(err, &netErr):
		return true
	}
	var status apierrors.APIStatus
	return errors.As(err, &status) && status.Status().Code >= 500
}

// classify gives an error leaving one of the engine's operations its exported type: invalid and
// locked errors as they are (the Lease's own error becomes a *LockedError), a stop of the
// caller's context as it is, and everything else — which is a failed call to the API server — an
// *APIError.
func classify(err error) error {
	var held *lease.HeldError
	switch {
	case err == nil, IsInvalid(err), IsLocked(err), IsAPIError(err):
		return err
	case errors.As(err, &held):
		return &LockedError{Holder: held.Holder, Expires: held.Expires}
	case errors.Is(err, context.Canceled):
		return err
	}
	return &APIError{Err: err}
}

package v1alpha1

// phaseCancelled is the British spelling some writers use; the CRD enum says Canceled.
const phaseCancelled ExecutionPhase = "Cancelled"

// NormalizePhase reads "Cancelled" as Canceled and returns every other phase unchanged.
func NormalizePhase(p ExecutionPhase) ExecutionPhase {
	if p == phaseCancelled {
		return PhaseCanceled
	}
	return p
}

// IsFinished reports whether an execution, stage, workflow or action in phase p will not change
// any more.
func IsFinished(p ExecutionPhase) bool {
	switch NormalizePhase(p) {
	case PhaseSucceeded, PhaseFailed, PhaseSkipped, PhaseCanceled:
		return true
	}
	return false
}

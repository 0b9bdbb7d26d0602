package v1alpha1

import "testing"

func TestNormalizePhase(t *testing.T) {
	for in, want := range map[ExecutionPhase]ExecutionPhase{
		"Cancelled": PhaseCanceled, PhaseCanceled: PhaseCanceled, PhaseRunning: PhaseRunning,
	} {
		if got := NormalizePhase(in); got != want {
			t.Errorf("NormalizePhase(%q) = %q, want %q", in, got, want)
		}
	}
	if !IsFinished("Cancelled") || IsFinished(PhaseRunning) || IsFinished(PhaseUnknown) {
		t.Error("IsFinished: Cancelled is finished, Running and Unknown are not")
	}
}

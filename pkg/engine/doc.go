// Package engine runs DR plans: it resolves parameters, renders actions, schedules stages by
// their dependencies, runs workflows and their actions with timeouts and retries, reverts earlier
// runs in reverse order, honours cancellation, resumes runs whose runner died, and records every
// transition in the DRPlanExecution (the recorder) and as Kubernetes Events.
//
// It is a library first: Engine.Execute, Revert, Resume and Cancel are what `drctl` calls, and
// what `drctl serve` will call. The engine never prints; it emits Events to an Observer, which the
// progress renderers and tests consume. It knows no concrete action type: pkg/actions does the work.
package engine

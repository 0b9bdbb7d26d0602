package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ExecuteOptions says which plan to run and how.
type ExecuteOptions struct {
	Namespace string
	Plan      string
	// Name of the new execution; empty generates <plan>-<yyyymmdd-hhmmss>-<rand>.
	Name string
	// Params override every other parameter source (-p name=value).
	Params map[string]string
	// Mode selects install/upgrade/delete/rollback paths (spec.mode).
	Mode v1alpha1.ExecutionMode
	// LockTimeout is how long to wait for a plan locked by another run (0: fail at once).
	LockTimeout time.Duration
	// OnStart is called once the execution exists and holds the lease, before the first action.
	OnStart func(*v1alpha1.DRPlanExecution)
	// OnWarning, when set, receives each warning about the run's own parameters (one no workflow
	// of the plan knows, likely a typo) before anything runs.
	OnWarning func(string)
	// Labels are put on the new execution besides drctl's own (drctl drill links its executions).
	Labels map[string]string
	// OnFailure overrides the plan's onFailure for this run (spec.onFailure): Ask waits for an
	// operator's decision on an action that failed for good.
	OnFailure v1alpha1.OnFailurePolicy
}

// Execute validates the plan and its workflows as stored in the cluster, takes the plan's Lease,
// creates the DRPlanExecution and runs it to its end. Invalid input returns an *InvalidError and a
// locked plan a *LockedError, both before anything is created; a failed API call an *APIError.
func (e *Engine) Execute(ctx context.Context, opts ExecuteOptions) (*Result, error) {
	res, err := e.execute(ctx, opts)
	return res, classify(err)
}

func (e *Engine) execute(ctx context.Context, opts ExecuteOptions) (*Result, error) {
	p, err := e.prepareExecute(ctx, opts)
	if err != nil {
		return nil, err
	}
	res, err := e.start(ctx, p, launch{lockTimeout: opts.LockTimeout, onStart: opts.OnStart})
	// After the run, not before its first action (and not in a dry run, which changes nothing).
	e.markWorkflowsReady(ctx, p.loaded)
	return res, err
}

// preparedRun is a run ready to start: validated, its status laid out (for an Execute with the
// parameter and workflow snapshots), every action rendered once.
type preparedRun struct {
	plan   *v1alpha1.DRPlan
	exec   *v1alpha1.DRPlanExecution
	prog   *program
	loaded *loaded // an Execute's plan and workflows as read
	revert bool
	// holding, when set, runs once the Lease is held, before anything is created: what must
	// happen under the plan's lock first (a revert ends the Unknown run it undoes).
	holding func(context.Context, *lease.Lease) error
}

// prepareExecute does everything of an Execute that changes nothing in the cluster.
func (e *Engine) prepareExecute(ctx context.Context, opts ExecuteOptions) (*preparedRun, error) {
	l, err := e.loadPlan(ctx, opts.Namespace, opts.Plan)
	if err != nil {
		return nil, err
	}
	p, err := e.prepareExecution(ctx, l, e.newExecution(l.plan, opts))
	if opts.OnWarning != nil {
		for _, w := range l.warnings {
			opts.OnWarning(w)
		}
	}
	return p, err
}

// prepareExecution lays out the status of exec, an Execute of the loaded plan, and its program.
func (e *Engine) prepareExecution(ctx context.Context, l *loaded, exec *v1alpha1.DRPlanExecution) (*preparedRun, error) {
	if len(l.missing) > 0 {
		return nil, invalidf("DRPlan %s/%s references missing workflows: %v", l.plan.Namespace, l.plan.Name, l.missing)
	}
	if err := l.validate(exec); err != nil {
		return nil, err
	}
	runner := e.runnerInfo()
	if err := initExecuteStatus(ctx, exec, l.plan, l.workflows, e.valueFrom, &runner, metav1.NewTime(e.cfg.Now())); err != nil {
		if transient(err) { // the input may be fine: a valueFrom read failed on the way
			return nil, fmt.Errorf("resolve parameters: %w", err)
		}
		return nil, &InvalidError{What: "cannot resolve parameters: " + err.Error()}
	}
	planSensitive := sensitiveParams(l.plan.Spec.GlobalParams, exec.Spec.Params)
	spreadSensitive(&exec.Status, planSensitive)
	prog, err := executeProgram(exec, planNamespace(l.plan))
	if err != nil {
		return nil, err
	}
	prog.buildRedactor(e.cfg.SensitiveHeaders)
	// The program has the values; the record never does.
	redactRecord(&exec.Status, planSensitive)
	if err := packWorkflowSnapshots(&exec.Status); err != nil {
		return nil, err
	}
	if err := e.preflight(prog); err != nil {
		return nil, err
	}
	if err := checkRecordFits(exec); err != nil {
		return nil, err
	}
	return &preparedRun{plan: l.plan, exec: exec, prog: prog, loaded: l}, nil
}

// launch says how to start a prepared run.
type launch struct {
	lockTimeout time.Duration
	onStart     func(*v1alpha1.DRPlanExecution)
	// adopt: the execution exists already (a user created it) and is claimed, not created.
	adopt bool
}

// start takes the plan's Lease, creates the execution (or claims the one a user created) with its
// initial status, records the plan's current execution, and runs it.
func (e *Engine) start(ctx context.Context, p *preparedRun, how launch) (*Result, error) {
	exec, prog, plan := p.exec, p.prog, p.plan
	ns := planNamespace(plan)
	l := e.newLease(ns, plan.Name, e.holder(exec.Name))
	if err := l.Acquire(ctx, how.lockTimeout); err != nil {
		return nil, err
	}
	fenceOf(l).stamp(exec.Status.Runner) // the record is this runner's from its first write
	if err := e.refuseIfRunning(ctx, plan, exec); err != nil {
		_ = l.Release(ctx)
		return nil, err
	}
	if p.holding != nil {
		if err := p.holding(ctx, l); err != nil {
			_ = l.Release(ctx)
			return nil, err
		}
	}
	status := exec.Status
	create := e.create
	if how.adopt {
		create = e.adopt
	}
	if err := create(ctx, exec); err != nil {
		_ = l.Release(ctx)
		return nil, err
	}
	exec.Status = status
	// The journal exists before the record says so, and before anything runs (journal.go).
	journal := newJournalWriter(e.cfg.Client, exec, fenceOf(l))
	err := journal.create(ctx)
	switch {
	case apierrors.IsForbidden(err):
		journal, err = nil, nil // no permission on ConfigMaps: the runner writes the record instead
	case err != nil:
		journal, err = nil, fmt.Errorf("create the journal of %s: %w", exec.Name, err)
	default:
		exec.Status.Runner.Journal = journalName(exec.Name)
		err = e.recordStart(ctx, exec, fenceOf(l))
	}
	if errors.Is(err, errStartUncertain) {
		// The record may say Running: it must not be cleaned up as if nothing was written, nor
		// the plan released to a resume nobody asked for. The Lease is left to expire.
		return nil, fmt.Errorf("the start of %s may or may not have been recorded (the API server did not answer): check it (drctl describe execution %s) "+
			"and cancel it (drctl cancel %s) before running the plan again: %w", exec.Name, exec.Name, exec.Name, err)
	}
	if err != nil {
		return nil, e.abandonStart(ctx, exec, l, journal, how.adopt, err)
	}
	if err := e.startPlanStatus(ctx, exec); err != nil {
		e.cfg.Logger.Warn("update plan status", "plan", plan.Name, "err", err)
	}
	if how.onStart != nil {
		how.onStart(exec.DeepCopy())
	}
	return e.newRunner(exec, prog, l, journal, ns, p.revert).run(ctx)
}

// errStartUncertain says that the write of a run's start got no answer and its outcome could not
// be read back.
var errStartUncertain = errors.New("the start's write got no answer")

// recordStart writes exec's initial status. A write the API server refused wrote nothing; one that
// got no answer (a timeout, a broken connection) may have been committed: then the record is read
// back, and a start stamped with this runner's fence counts as written — the run goes on, as the
// record says it does.
func (e *Engine) recordStart(ctx context.Context, exec *v1alpha1.DRPlanExecution, f fence) error {
	want := exec.Status.DeepCopy()
	err := e.cfg.Client.Status().Update(ctx, exec)
	if err == nil {
		return droppedControls(want, &exec.Status)
	}
	if !transient(err) || ctx.Err() != nil {
		return err
	}
	deadline := time.Now().Add(min(e.cfg.PartitionTimeout, 30*time.Second))
	for delay := 200 * time.Millisecond; time.Now().Before(deadline); delay = min(2*delay, 2*time.Second) {
		stored := &v1alpha1.DRPlanExecution{}
		switch rerr := e.cfg.Client.Get(ctx, objectKey(exec.Namespace, exec.Name), stored); {
		case rerr == nil && f.owns(stored) && stored.Status.Phase == v1alpha1.PhaseRunning:
			exec.ResourceVersion = stored.ResourceVersion
			return nil
		case rerr == nil:
			return err // not written: nothing ran
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", errStartUncertain, err)
		case <-time.After(delay):
		}
	}
	return fmt.Errorf("%w: %v", errStartUncertain, err)
}

// abandonStart undoes a start that failed after the execution existed, before anything ran, and
// says so. It cleans up even when ctx was canceled (a Ctrl-C): a runner's execution left without
// a record would look, to drctl serve, like one a user applied for it to run. The execution is
// deleted only if it is still the one created (its UID); a user's own stays, to be run again.
func (e *Engine) abandonStart(ctx context.Context, exec *v1alpha1.DRPlanExecution, l *lease.Lease, journal *journalWriter, adopted bool, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if journal != nil {
		_ = journal.delete(cctx)
	}
	if adopted {
		_ = l.Release(cctx)
		return fmt.Errorf("record the start of %s (nothing ran): %w", exec.Name, cause)
	}
	err := e.cfg.Client.Delete(cctx, exec, client.Preconditions{UID: &exec.UID})
	_ = l.Release(cctx)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("start %s (nothing ran; deleting it failed too, so it stays without a record: delete it): %w", exec.Name, cause)
	}
	return fmt.Errorf("start %s (nothing ran; the execution was deleted): %w", exec.Name, cause)
}

// create creates a new execution (Execute, Revert): its status is written next. The values of
// its own sensitive parameters go into its params Secret, not into it (sealSensitiveParams); if
// they cannot be stored, the execution is deleted again before anything ran.
func (e *Engine) create(ctx context.Context, exec *v1alpha1.DRPlanExecution) error {
	sealed := sealSensitiveParams(exec)
	onFailure := exec.Spec.OnFailure
	if err := e.cfg.Client.Create(ctx, exec); err != nil {
		return fmt.Errorf("create DRPlanExecution %s/%s: %w", exec.Namespace, exec.Name, err)
	}
	var err error
	if exec.Spec.OnFailure != onFailure {
		err = errors.New("the API server dropped spec.onFailure: the DRPlanExecution CRD is older than this drctl; run `drctl install` first")
	}
	if err == nil && len(sealed) == 0 {
		return nil
	}
	if err == nil {
		err = outdatedCRD(exec, sealed)
	}
	if err == nil {
		err = e.storeSealedParams(ctx, exec, sealed)
	}
	if err != nil {
		if derr := e.cfg.Client.Delete(ctx, exec); derr != nil && !apierrors.IsNotFound(derr) {
			return fmt.Errorf("%w (and the execution, which ran nothing, could not be deleted: %v)", err, derr)
		}
		return err
	}
	return nil
}

// refuseIfRunning refuses a new run while the plan's current execution is still Running: its
// runner died (the Lease was free), and it must be resumed or canceled first.
func (e *Engine) refuseIfRunning(ctx context.Context, plan *v1alpha1.DRPlan, exec *v1alpha1.DRPlanExecution) error {
	fresh := &v1alpha1.DRPlan{}
	if err := e.cfg.Client.Get(ctx, objectKey(plan.Namespace, plan.Name), fresh); err != nil {
		return err
	}
	other, err := UnfinishedExecution(ctx, e.cfg.Client, fresh, exec)
	if err != nil || other == nil {
		return nil // unreadable or gone: nothing known in the way
	}
	name := other.Name
	ways := fmt.Sprintf("resume it (drctl resume %s) or cancel it (drctl cancel %s)", name, name)
	if other.Status.Phase == v1alpha1.PhaseUnknown {
		ways = fmt.Sprintf("resume it (drctl resume %s), revert it (drctl revert %s) or cancel it (drctl cancel %s)", name, name, name)
	}
	return &LockedError{Holder: fmt.Sprintf("execution %s, which is %s but has no live runner: %s", name, orPending(other.Status.Phase), ways)}
}

// UnfinishedExecution is the plan's current execution when it is another one, unfinished, that a
// new run exec must wait for: it is resumed, reverted or canceled first. A Revert of it is not
// kept waiting (undoing it is one way out of it). Nil when nothing is in the way; an error only
// when the current execution could not be read.
func UnfinishedExecution(ctx context.Context, c client.Reader, plan *v1alpha1.DRPlan, exec *v1alpha1.DRPlanExecution) (*v1alpha1.DRPlanExecution, error) {
	cur := plan.Status.CurrentExecution
	if cur == nil || cur.Name == exec.Name || cur.Name == exec.Spec.RevertExecutionRef {
		return nil, nil
	}
	other := &v1alpha1.DRPlanExecution{}
	if err := c.Get(ctx, objectKey(plan.Namespace, cur.Name), other); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if v1alpha1.IsFinished(other.Status.Phase) {
		return nil, nil
	}
	return other, nil
}

func orPending(p v1alpha1.ExecutionPhase) v1alpha1.ExecutionPhase {
	if p == "" {
		return v1alpha1.PhasePending
	}
	return p
}

// preflight checks, before any side effect, that every step renders (outputs of earlier actions
// stand in as placeholders), that its condition can be decided, and that drctl can perform every
// action type.
func (e *Engine) preflight(prog *program) error {
	var problems []string
	for _, sp := range prog.stages {
		for _, wp := range sp.workflows {
			vars := wp.vars
			vars.anyOutput = true
			for _, s := range wp.steps {
				if s.action != nil {
					// Judged before skips: a hook or a condition with no mode to go by must not
					// quietly skip its branch.
					for _, msg := range []string{prog.hookProblem(s.action), prog.conditionProblem(s.action.When, vars.Params)} {
						if msg != "" {
							problems = append(problems, fmt.Sprintf("stage %s, action %s: %s", sp.name, s.name, msg))
						}
					}
				}
				if s.skip != "" {
					continue
				}
				rendered, err := RenderAction(s.action, vars)
				if err != nil {
					problems = append(problems, fmt.Sprintf("stage %s: %v", sp.name, err))
					continue
				}
				if _, err := e.cfg.Actions.Get(rendered.Type); err != nil {
					problems = append(problems, fmt.Sprintf("stage %s, action %s: %v", sp.name, s.name, err))
				}
				if _, err := actionTimeout(rendered); err != nil {
					problems = append(problems, fmt.Sprintf("stage %s, action %s: %v", sp.name, s.name, err))
				}
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		msg := "the plan cannot run; nothing was changed:"
		for _, p := range problems {
			msg += "\n  " + p
		}
		return &InvalidError{What: prog.redact.String(msg)}
	}
	return nil
}

// newExecution builds the DRPlanExecution object of an Execute.
func (e *Engine) newExecution(plan *v1alpha1.DRPlan, opts ExecuteOptions) *v1alpha1.DRPlanExecution {
	name := opts.Name
	if name == "" {
		name = generateName(plan.Name, e.cfg.Now())
	}
	exec := &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: planNamespace(plan)},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: plan.Name, OperationType: v1alpha1.OperationExecute, Mode: opts.Mode,
			OnFailure: opts.OnFailure},
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Params)) {
		exec.Spec.Params = append(exec.Spec.Params, v1alpha1.Parameter{Name: k, Value: ptrTo(opts.Params[k])})
	}
	e.stamp(exec, plan.Name)
	addLabels(exec, opts.Labels)
	exec.Annotations[AnnotationCreatedBy] = "drctl execute"
	return exec
}

// addLabels puts labels on exec; drctl's own stay as they are.
func addLabels(exec *v1alpha1.DRPlanExecution, labels map[string]string) {
	for k, v := range labels {
		if _, own := exec.Labels[k]; !own {
			exec.Labels[k] = v
		}
	}
}

// stamp puts the plan labels and the runner annotations on a new execution.
func (e *Engine) stamp(exec *v1alpha1.DRPlanExecution, plan string) {
	exec.Labels = ExecutionLabels(plan, exec.Spec.OperationType)
	r := e.cfg.Runner
	exec.Annotations = map[string]string{
		AnnotationRunnerUser: r.User, AnnotationRunnerHost: r.Host,
		AnnotationRunnerPID: strconv.FormatInt(r.PID, 10), AnnotationRunnerVersion: r.Version,
	}
}

func (e *Engine) runnerInfo() v1alpha1.RunnerInfo {
	r := e.cfg.Runner
	if r.Mode == "" {
		r.Mode = ModeCLI
	}
	return r
}

// holder is the Lease holderIdentity: the execution and the runner.
func (e *Engine) holder(execution string) string {
	r := e.cfg.Runner
	return fmt.Sprintf("execution %s by %s@%s pid %d (%s)", execution, r.User, r.Host, r.PID, e.instance)
}

// runnerName is this runner as a person reads it: user@host pid N (mode).
func (e *Engine) runnerName() string {
	r := e.runnerInfo()
	return fmt.Sprintf("%s@%s pid %d (%s)", r.User, r.Host, r.PID, r.Mode)
}

// HolderExecution is the execution a plan Lease's holder runs ("" when the holder runs none, as
// a cancel that records an end does).
func HolderExecution(holder string) string {
	rest, ok := strings.CutPrefix(holder, "execution ")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, " ")
	return name
}

// generateName is <plan>-<yyyymmdd-hhmmss>-<4 random hex>, shortened to a valid name.
func generateName(plan string, now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	suffix := fmt.Sprintf("%s-%x", now.UTC().Format("20060102-150405"), b)
	maxPlan := 253 - len(suffix) - 1
	if len(plan) > maxPlan {
		plan = plan[:maxPlan]
	}
	return plan + "-" + suffix
}

func ptrTo[T any](v T) *T { return &v }

// markWorkflowsReady records, best effort, that the workflows validated: phase Ready, the action
// count behind the ACTIONS column of kubectl get drw, and the generation seen. A runner without
// permission on drworkflows/status simply leaves them as they are. It writes only what changed
// (a new workflow or a new generation), concurrently, and after the run: a status of
// convenience must not delay the first action of a failover.
func (e *Engine) markWorkflowsReady(ctx context.Context, l *loaded) {
	var g errgroup.Group
	g.SetLimit(loadParallelism)
	for _, wf := range l.workflows {
		st := &wf.Status
		if st.Phase == v1alpha1.WorkflowReady && st.ObservedGeneration == wf.Generation && int(st.ActionCount) == len(wf.Spec.Actions) {
			continue
		}
		g.Go(func() error {
			fresh := wf.DeepCopy()
			fresh.Status.Phase, fresh.Status.ObservedGeneration, fresh.Status.ActionCount = v1alpha1.WorkflowReady, wf.Generation, int32(len(wf.Spec.Actions))
			if err := e.cfg.Client.Status().Update(ctx, fresh); err != nil {
				e.cfg.Logger.Debug("record workflow status", "workflow", wf.Name, "err", err)
			}
			return nil
		})
	}
	_ = g.Wait()
}

package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func init() {
	register(&Type{
		Name:  v1alpha1.ActionJob,
		Field: "job",
		Set:   func(a *v1alpha1.Action) bool { return a.Job != nil },
		Rollback: func(v1alpha1.ResourceOperation) Rollback {
			return Rollback{Kind: RollbackDelete, What: "the Job (and its Pods)"}
		},
		recorded:     func(o *v1alpha1.ActionOutputs) *corev1.ObjectReference { return o.JobRef },
		deleteAction: DeleteAction,
		NewExecutor:  func() Executor { return &Job{} },
		Check:        checkJob,
		Example: func(_ v1alpha1.ResourceOperation, at ExampleTarget) *v1alpha1.Action {
			return example("type: Job\njob: {namespace: %s, template: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}", at.Namespace)
		},
		Target: func(a *v1alpha1.Action) string { return "Job in " + or(a.Job.Namespace, "the plan's namespace") },
		access: jobAccess,
		Details: func(a *v1alpha1.Action) []string {
			var out []string
			for _, c := range a.Job.Template.Spec.Template.Spec.Containers {
				out = append(out, fmt.Sprintf("container %s: %s %s", c.Name, c.Image, strings.Join(append(c.Command, c.Args...), " ")))
			}
			return out
		},
	})
}

func checkJob(path *field.Path, a *v1alpha1.Action, r Reporter) {
	j, path := a.Job, path.Child("job")
	containers := path.Child("template", "spec", "template", "spec", "containers")
	if len(j.Template.Spec.Template.Spec.Containers) == 0 {
		r.Errorf(containers.String(), "Required value: a Job needs at least one container")
	}
	for i, c := range j.Template.Spec.Template.Spec.Containers {
		if c.Image == "" {
			r.Errorf(containers.Index(i).Child("image").String(), "Required value: container %q needs an image", c.Name)
		}
	}
	if t := j.TTLSecondsAfterFinished; t != nil && *t < 0 {
		r.Errorf(path.Child("ttlSecondsAfterFinished").String(), "Invalid value %d: must be 0 or more", *t)
	}
}

// Job creates a Job with a deterministic name (so that a resume adopts it) and waits, by watching,
// for its Complete or Failed condition. When the attempt times out (its context's cause is
// ErrAttemptTimedOut), the Job is deleted with its Pods (background propagation) and the action
// fails; when the whole run stops, the Job is left running for a resume to adopt.
type Job struct{}

// Execute creates (or adopts) the Job and awaits it.
func (j *Job) Execute(ctx context.Context, env Env, req Request) (Result, error) {
	spec := req.Action.Job
	if spec == nil {
		return Result{}, Permanent(errors.New("job is not set"))
	}
	ns := spec.Namespace
	if ns == "" {
		ns = req.Namespace
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: req.ObjectName, Namespace: ns, Labels: copyLabels(req.Labels)},
		Spec:       *spec.Template.Spec.DeepCopy(),
	}
	if spec.TTLSecondsAfterFinished != nil {
		job.Spec.TTLSecondsAfterFinished = spec.TTLSecondsAfterFinished
	}
	if job.Spec.Template.Labels == nil {
		job.Spec.Template.Labels = map[string]string{}
	}
	for k, v := range req.Labels {
		job.Spec.Template.Labels[k] = v
	}
	if env.Logger != nil {
		env.Logger.Debug("job", "namespace", ns, "name", job.Name, "spec", job.Spec)
	}
	verb := "created"
	err := env.Client.Create(ctx, job, client.FieldOwner(crd.FieldManager))
	if apierrors.IsAlreadyExists(err) {
		live := &batchv1.Job{}
		if gerr := env.Client.Get(ctx, client.ObjectKeyFromObject(job), live); gerr != nil {
			return Result{}, gerr
		}
		if !hasLabels(live.Labels, req.Labels) {
			return Result{}, Permanent(fmt.Errorf("create job %s/%s: already exists and was not created by this execution", ns, job.Name))
		}
		job, verb = live, "adopted"
	} else if err != nil {
		return Result{}, classify(fmt.Errorf("create job %s/%s: %w", ns, job.Name, err))
	}
	outputs := jobOutputs(job)
	done, msg, werr := waitJob(ctx, env.Client, job)
	switch {
	case werr != nil && ctx.Err() != nil && (!attemptTimedOut(ctx) || !env.holding()):
		// The whole run stops (the operator's hard stop, a lost lease), not this attempt's
		// timeout — or it timed out on a runner that no longer holds the plan: the Job keeps
		// running and is recorded, for `drctl resume` (or the new owner) to adopt.
		return Result{Outputs: outputs}, fmt.Errorf("stopped waiting for job %s/%s, left running for a resume to adopt: %w", ns, job.Name, ctx.Err())
	case werr != nil && ctx.Err() != nil:
		// Timed out: the Job and its Pods go, so nothing keeps running behind a failed action.
		skipped, derr := deleteJobAndPods(context.WithoutCancel(ctx), env.Client, job, req.Labels)
		if derr != nil {
			return Result{Outputs: outputs}, fmt.Errorf("job %s/%s timed out, and deleting it failed: %v", ns, job.Name, derr)
		}
		if skipped != "" {
			return Result{Outputs: outputs}, fmt.Errorf("job %s/%s did not finish in time; %s: %w", ns, job.Name, skipped, ctx.Err())
		}
		return Result{Outputs: outputs}, fmt.Errorf("job %s/%s did not finish in time; deleted it and its pods: %w", ns, job.Name, ctx.Err())
	case werr != nil:
		return Result{Outputs: outputs}, werr
	case !done:
		return Result{Outputs: outputs}, Permanent(fmt.Errorf("job %s/%s failed: %s", ns, job.Name, msg))
	}
	return Result{Outputs: outputs, Message: fmt.Sprintf("job %s/%s %s and completed", ns, job.Name, verb)}, nil
}

// deleteJobAndPods deletes the Job this attempt created or adopted with background propagation,
// and its Pods (which carry the action's labels through the template) at once rather than waiting
// for the garbage collector. The Job's UID is a precondition, and the Pods go only when the Job was
// ours: a Job recreated by someone else under the name, and its Pods, are left alone (skipped
// says so).
func deleteJobAndPods(ctx context.Context, c client.Client, job *batchv1.Job, labels map[string]string) (skipped string, err error) {
	_, skipped, err = deleteRecorded(ctx, c, job, fmt.Sprintf("job %s/%s", job.Namespace, job.Name),
		client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil || skipped != "" || len(labels) == 0 {
		return skipped, err
	}
	return "", c.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(job.Namespace), client.MatchingLabels(labels))
}

// waitJob watches the Job until it has a Complete or Failed condition.
func waitJob(ctx context.Context, c client.WithWatch, job *batchv1.Job) (complete bool, msg string, err error) {
	for {
		if done, ok, m := jobFinished(job); done {
			return ok, m, nil
		}
		list := &batchv1.JobList{}
		w, err := c.Watch(ctx, list, client.InNamespace(job.Namespace), client.MatchingFields{"metadata.name": job.Name})
		if err != nil {
			return false, "", err
		}
		// The Job may have finished between the Get/Create and the watch: read it once more.
		fresh := &batchv1.Job{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(job), fresh); err != nil {
			w.Stop()
			return false, "", err
		}
		job = fresh
		if done, ok, m := jobFinished(job); done {
			w.Stop()
			return ok, m, nil
		}
		for ev := range w.ResultChan() {
			if j, isJob := ev.Object.(*batchv1.Job); isJob {
				job = j
				if done, ok, m := jobFinished(job); done {
					w.Stop()
					return ok, m, nil
				}
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return false, "", ctx.Err()
		}
	}
}

func jobFinished(job *batchv1.Job) (done, complete bool, msg string) {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, true, ""
		case batchv1.JobFailed:
			return true, false, fmt.Sprintf("%s: %s", c.Reason, c.Message)
		}
	}
	return false, false, ""
}

func jobOutputs(job *batchv1.Job) *v1alpha1.ActionOutputs {
	ref := &corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: job.Namespace, Name: job.Name, UID: job.UID}
	return &v1alpha1.ActionOutputs{JobRef: ref}
}

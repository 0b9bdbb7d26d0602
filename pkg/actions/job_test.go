package actions

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/jobsim"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func jobAction() *v1alpha1.Action {
	return &v1alpha1.Action{Name: "sync", Type: v1alpha1.ActionJob, Job: &v1alpha1.JobAction{
		TTLSecondsAfterFinished: ptr.To(int32(600)),
		Template: v1alpha1.JobTemplate{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "sync", Image: "busybox", Command: []string{"true"}}},
		}}}},
	}}
}

// finishJob plays the job controller (no kubelet runs here): it waits for the Job and sets a
// terminal condition the way the controller would.
func finishJob(t *testing.T, c client.Client, ns, name string, complete bool) {
	t.Helper()
	job := &batchv1.Job{}
	require.Eventually(t, func() bool {
		return c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, job) == nil
	}, 10*time.Second, 20*time.Millisecond)
	if complete {
		jobsim.Succeed(job)
	} else {
		jobsim.Fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
	}
	require.NoError(t, c.Status().Update(context.Background(), job))
}

func TestJobSucceedsWhenComplete(t *testing.T) {
	e, ns := testEnv(t)
	req := Request{Action: jobAction(), Namespace: ns, ObjectName: "exec-1-sync",
		Labels: map[string]string{"dr.bkbcs.tencent.com/execution": "exec-1", "dr.bkbcs.tencent.com/action": "db.sync"}}
	go finishJob(t, e.Client, ns, "exec-1-sync", true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := (&Job{}).Execute(ctx, e, req)
	require.NoError(t, err)
	assert.Equal(t, "exec-1-sync", res.Outputs.JobRef.Name)
	job := &batchv1.Job{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "exec-1-sync"}, job))
	assert.Equal(t, "db.sync", job.Labels["dr.bkbcs.tencent.com/action"])
	assert.Equal(t, int32(600), *job.Spec.TTLSecondsAfterFinished)

	// A second attempt (a resume) adopts the finished Job instead of failing on AlreadyExists.
	res, err = (&Job{}).Execute(ctx, e, req)
	require.NoError(t, err)
	assert.Contains(t, res.Message, "adopted")

	// The automatic rollback deletes it.
	rb, _ := autoRollback(req.Action, res.Outputs)
	_, err = (&Resource{}).Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "exec-1-sync"}, job)))
}

func TestJobFailureAndTimeout(t *testing.T) {
	e, ns := testEnv(t)
	req := Request{Action: jobAction(), Namespace: ns, ObjectName: "exec-2-sync", Labels: map[string]string{"dr.bkbcs.tencent.com/execution": "exec-2"}}
	go finishJob(t, e.Client, ns, "exec-2-sync", false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := (&Job{}).Execute(ctx, e, req)
	require.Error(t, err)
	assert.True(t, IsPermanent(err))
	assert.Contains(t, err.Error(), "BackoffLimitExceeded: Job has reached the specified backoff limit")

	req.ObjectName = "exec-3-sync"
	// The job controller would start a Pod from the template, with the action's labels.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "exec-3-sync-abcde", Namespace: ns, Labels: req.Labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "sync", Image: "busybox"}}}}
	require.NoError(t, e.Client.Create(context.Background(), pod))
	// The engine gives each attempt a context whose timeout has ErrAttemptTimedOut as its cause.
	short, cancel2 := context.WithTimeoutCause(context.Background(), time.Second, ErrAttemptTimedOut)
	defer cancel2()
	_, err = (&Job{}).Execute(short, e, req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not finish in time; deleted it and its pods")
	job := &batchv1.Job{}
	assert.True(t, apierrors.IsNotFound(e.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "exec-3-sync"}, job)), "the timed-out Job is deleted")
	assert.True(t, apierrors.IsNotFound(e.Client.Get(context.Background(), client.ObjectKeyFromObject(pod), &corev1.Pod{})), "and its Pods")
}

// A stop of the whole run (the operator's second Ctrl-C cancels the parent context) is not a
// timeout: the Job and its Pods keep running, for `drctl resume` to adopt.
func TestJobHardStopLeavesJobRunning(t *testing.T) {
	e, ns := testEnv(t)
	req := Request{Action: jobAction(), Namespace: ns, ObjectName: "exec-4-sync", Labels: map[string]string{"dr.bkbcs.tencent.com/execution": "exec-4"}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "exec-4-sync-abcde", Namespace: ns, Labels: req.Labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "sync", Image: "busybox"}}}}
	require.NoError(t, e.Client.Create(context.Background(), pod))

	run, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	attempt, cancel := context.WithTimeoutCause(run, time.Minute, ErrAttemptTimedOut)
	defer cancel()
	go func() {
		// Stop the run once the Job exists, while the action waits for it.
		require.Eventually(t, func() bool {
			return e.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "exec-4-sync"}, &batchv1.Job{}) == nil
		}, 10*time.Second, 20*time.Millisecond)
		time.Sleep(200 * time.Millisecond)
		stopRun()
	}()
	res, err := (&Job{}).Execute(attempt, e, req)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res.Outputs)
	assert.Equal(t, "exec-4-sync", res.Outputs.JobRef.Name, "the Job is reported, for the record")

	job := &batchv1.Job{}
	require.NoError(t, e.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "exec-4-sync"}, job), "the Job is left running")
	assert.Nil(t, job.DeletionTimestamp)
	require.NoError(t, e.Client.Get(context.Background(), client.ObjectKeyFromObject(pod), &corev1.Pod{}), "and its Pods")

	// A resume adopts it.
	go finishJob(t, e.Client, ns, "exec-4-sync", true)
	ctx, cancel3 := context.WithTimeoutCause(context.Background(), 20*time.Second, ErrAttemptTimedOut)
	defer cancel3()
	res, err = (&Job{}).Execute(ctx, e, req)
	require.NoError(t, err)
	assert.Contains(t, res.Message, "adopted")
}

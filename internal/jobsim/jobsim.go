// Package jobsim plays the Kubernetes job controller where none runs (the local control plane of
// `make demo`, the tests' API server): it gives a Job the terminal status the controller would,
// with the conditions the Job API requires since Kubernetes 1.31 (SuccessCriteriaMet before
// Complete, FailureTarget before Failed, start and completion times, counts).
package jobsim

import (
	"context"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Succeed sets job's status to Complete.
func Succeed(job *batchv1.Job) {
	now := metav1.Now()
	job.Status.StartTime, job.Status.CompletionTime, job.Status.Succeeded = &now, &now, 1
	job.Status.Conditions = []batchv1.JobCondition{
		condition(batchv1.JobSuccessCriteriaMet, "", "", now),
		condition(batchv1.JobComplete, "", "", now),
	}
}

// Fail sets job's status to Failed with reason and message.
func Fail(job *batchv1.Job, reason, message string) {
	now := metav1.Now()
	job.Status.StartTime, job.Status.Failed = &now, 1
	job.Status.Conditions = []batchv1.JobCondition{
		condition(batchv1.JobFailureTarget, reason, message, now),
		condition(batchv1.JobFailed, reason, message, now),
	}
}

func condition(t batchv1.JobConditionType, reason, message string, now metav1.Time) batchv1.JobCondition {
	return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: message, LastTransitionTime: now, LastProbeTime: now}
}

// Finished reports whether job has a terminal condition.
func Finished(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// CompleteAll marks every unfinished Job older than minAge in the listed namespaces (all when
// none are given) complete, every interval, until ctx ends. onComplete, if set, hears of each.
func CompleteAll(ctx context.Context, c client.Client, interval, minAge time.Duration, onComplete func(*batchv1.Job, error), namespaces ...string) {
	if len(namespaces) == 0 {
		namespaces = []string{""}
	}
	for ctx.Err() == nil {
		time.Sleep(interval)
		for _, ns := range namespaces {
			jobs := &batchv1.JobList{}
			if c.List(ctx, jobs, client.InNamespace(ns)) != nil {
				continue
			}
			for i := range jobs.Items {
				job := &jobs.Items[i]
				if Finished(job) || time.Since(job.CreationTimestamp.Time) < minAge {
					continue
				}
				Succeed(job)
				err := c.Status().Update(ctx, job)
				if onComplete != nil {
					onComplete(job, err)
				}
			}
		}
	}
}

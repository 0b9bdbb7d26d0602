package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// eventComponent is the source of drctl's Kubernetes Events.
const eventComponent = "drctl"

// kubeEvents posts Kubernetes Events about an execution (`kubectl describe drpe` shows them),
// from a queue, so that a slow API server never holds a run up; close drains the queue.
//
// Not client-go's events recorder (k8s.io/client-go/tools/events), for two reasons found in it:
// it folds events of the same reason on the same object into one series whatever their notes
// ("Action a1 started", "Action a2 started", ... become one event and a count, which loses the
// per-action account the spec asks for), and its Shutdown drops what is still queued, where a
// run's last events ("ExecutionSucceeded") must be posted before drctl exits. The queue here is
// bounded and never blocks the run; events cost the API server about a tenth of what the run's
// writes do (docs/performance.md).
type kubeEvents struct {
	client client.Client
	ref    corev1.ObjectReference
	logger *slog.Logger
	queue  chan *corev1.Event
	done   chan struct{}

	mu     sync.Mutex
	closed bool
	// redact keeps sensitive values out of the events, which anyone who may list events reads.
	redact *redactor
}

func newKubeEvents(c client.Client, exec *v1alpha1.DRPlanExecution, logger *slog.Logger, redact *redactor) *kubeEvents {
	k := &kubeEvents{
		client: c,
		redact: redact,
		ref: corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.KindDRPlanExecution,
			Namespace: exec.Namespace, Name: exec.Name, UID: exec.UID, ResourceVersion: exec.ResourceVersion},
		logger: logger,
		queue:  make(chan *corev1.Event, 1024),
		done:   make(chan struct{}),
	}
	go k.post()
	return k
}

func (k *kubeEvents) normal(reason, format string, args ...any) {
	k.add(corev1.EventTypeNormal, reason, fmt.Sprintf(format, args...))
}

func (k *kubeEvents) warning(reason, format string, args ...any) {
	k.add(corev1.EventTypeWarning, reason, fmt.Sprintf(format, args...))
}

func (k *kubeEvents) add(typ, reason, msg string) {
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: k.ref.Name + ".",
			Namespace:    k.ref.Namespace,
		},
		InvolvedObject:      k.ref,
		Type:                typ,
		Reason:              reason,
		Message:             k.redact.String(msg),
		Source:              corev1.EventSource{Component: eventComponent},
		ReportingController: eventComponent,
		ReportingInstance:   eventComponent,
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return
	}
	select {
	case k.queue <- ev:
	default:
		k.logger.Warn("event dropped: queue full", "reason", reason)
	}
}

func (k *kubeEvents) post() {
	defer close(k.done)
	for ev := range k.queue {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := k.client.Create(ctx, ev); err != nil {
			k.logger.Warn("post event", "reason", ev.Reason, "err", err)
		}
		cancel()
	}
}

// close posts what is queued and stops.
func (k *kubeEvents) close() {
	k.mu.Lock()
	if !k.closed {
		k.closed = true
		close(k.queue)
	}
	k.mu.Unlock()
	select {
	case <-k.done:
	case <-time.After(10 * time.Second):
	}
}

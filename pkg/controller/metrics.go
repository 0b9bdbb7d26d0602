package controller

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// The metrics of `drctl serve`, served at /metrics with controller-runtime's own (reconciles,
// work queues, client requests).
var (
	executionsStarted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drctl_executions_started_total",
		Help: "Executions this controller started or resumed, by operation (Execute, Revert) and how (run, resume).",
	}, []string{"operation", "start"})
	executionsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drctl_executions_finished_total",
		Help: "Executions this controller ran to an end, by operation and phase.",
	}, []string{"operation", "phase"})
	executionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drctl_execution_duration_seconds",
		Help:    "How long executions ran in this controller, by operation and phase.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 14), // 1 s to 2.3 h
	}, []string{"operation", "phase"})
	actionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drctl_action_duration_seconds",
		Help:    "How long actions took, from their first attempt to their end, by type and phase.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 16), // 50 ms to 27 min
	}, []string{"type", "phase"})
	actionFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drctl_action_failures_total",
		Help: "Actions that ended Failed, by type.",
	}, []string{"type"})
	running = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drctl_executions_running",
		Help: "Executions running in this controller now.",
	})
	leaseTakeovers = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "drctl_lease_takeovers_total",
		Help: "Executions resumed here after their runner's plan Lease expired (a runner died).",
	})
)

func init() {
	ctrlmetrics.Registry.MustRegister(executionsStarted, executionsFinished, executionDuration,
		actionDuration, actionFailures, running, leaseTakeovers)
}

// actionMetrics observes one run's events for the action metrics.
type actionMetrics struct {
	mu      sync.Mutex
	started map[string]actionStart // by stage/workflow/action
}

type actionStart struct {
	typ string
	at  time.Time
}

func newActionMetrics() *actionMetrics { return &actionMetrics{started: map[string]actionStart{}} }

// Observe implements engine.Observer.
func (m *actionMetrics) Observe(e engine.Event) {
	if e.Type != engine.EventAction {
		return
	}
	key := e.Stage + "/" + e.Workflow + "/" + e.Action
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Phase == v1alpha1.PhaseRunning {
		if _, ok := m.started[key]; !ok { // the first attempt's start
			typ := "unknown"
			if e.Rendered != nil {
				typ = string(e.Rendered.Type)
			}
			m.started[key] = actionStart{typ: typ, at: e.Time}
		}
		return
	}
	if !v1alpha1.IsFinished(e.Phase) {
		return
	}
	s, ok := m.started[key]
	if !ok {
		return // skipped without running
	}
	delete(m.started, key)
	actionDuration.WithLabelValues(s.typ, string(e.Phase)).Observe(e.Time.Sub(s.at).Seconds())
	if e.Phase == v1alpha1.PhaseFailed {
		actionFailures.WithLabelValues(s.typ).Inc()
	}
}

// finished records the end of a run.
func finished(operation v1alpha1.OperationType, res *engine.Result, took time.Duration) {
	phase := string(res.Phase)
	executionsFinished.WithLabelValues(string(operation), phase).Inc()
	executionDuration.WithLabelValues(string(operation), phase).Observe(took.Seconds())
}

package runner

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// Metrics are the runner's Prometheus metrics. A nil *Metrics records nothing. It implements
// webhook.Observer.
type Metrics struct {
	runs          *prometheus.CounterVec
	recordsTotal  *prometheus.CounterVec
	requests      *prometheus.HistogramVec
	retries       prometheus.Counter
	rateWaits     prometheus.Counter
	rateWaitTotal prometheus.Counter
	notifications *prometheus.CounterVec
	answers       *prometheus.CounterVec
	scheduleLag   prometheus.Gauge
}

// The answers of backflow_answers_total: delivered records a `request` block's answers delivered
// (answers.go), as the run record counts them (controlplane.RunCounts).
const (
	answerResentAfterConflict = "resent_after_conflict"
	answerResentAfterNotFound = "resent_after_not_found"
	answerPresentOnConflict   = "present_on_conflict"
	answerAbsentOnDelete      = "absent_on_delete"
)

// NewMetrics registers the runner's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backflow_runs_total", Help: "Sync runs finished, by status.",
		}, []string{"status"}),
		recordsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backflow_records_total", Help: "Records sent, by operation (changed, deleted) and outcome (delivered, rejected, failed).",
		}, []string{"operation", "outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "backflow_webhook_request_duration_seconds", Help: "Webhook HTTP requests, by status class (2xx ... 5xx, or error).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"code"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backflow_webhook_retries_total", Help: "Webhook batches retried.",
		}),
		rateWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backflow_webhook_rate_limit_waits_total", Help: "Webhook requests that waited for their connection's pacing (concurrency, a pause, or the rate).",
		}),
		rateWaitTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backflow_webhook_rate_limit_wait_seconds_total", Help: "Time webhook requests spent waiting for their connection's pacing.",
		}),
	}
	m.notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "backflow_notification_events_total",
		Help: "Notification events sent, by outcome: delivered, retried (an attempt failed and will be retried) or given_up.",
	}, []string{"outcome"})
	m.answers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "backflow_answers_total",
		Help: "Records a request block's answers delivered: resent_after_conflict (a create answered 409, sent again as the changed request), " +
			"resent_after_not_found (an update answered 404, sent again as the new request), present_on_conflict (append: a create answered 409 " +
			"after an attempt that may have delivered it), absent_on_delete (a delete answered 404).",
	}, []string{"answer"})
	m.scheduleLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "backflow_schedule_lag_seconds",
		Help: "How long the sync furthest behind its schedule (every or cron; not paused) has waited for a run, from its " +
			"first slot that no run has started for, at this runner's latest scheduling pass; near 0 while every sync runs on time.",
	})
	reg.MustRegister(m.runs, m.recordsTotal, m.requests, m.retries, m.rateWaits, m.rateWaitTotal, m.notifications, m.answers, m.scheduleLag)
	for _, a := range []string{answerResentAfterConflict, answerResentAfterNotFound, answerPresentOnConflict, answerAbsentOnDelete} {
		m.answers.WithLabelValues(a)
	}
	for _, o := range []string{notifyDelivered, notifyRetried, notifyGivenUp} {
		m.notifications.WithLabelValues(o)
	}
	// Series that exist before the first run, at 0, so rate() and alerts work from the start.
	// backflow_webhook_request_duration_seconds is not pre-created: a histogram per status class
	// would be 6 empty histograms; each class appears with its first request.
	for _, s := range []string{controlplane.RunSucceeded, controlplane.RunFailed, controlplane.RunBlocked, controlplane.RunCanceled} {
		m.runs.WithLabelValues(s)
	}
	for _, op := range []string{webhook.OpChanged, webhook.OpDeleted} {
		for _, outcome := range []string{"delivered", "rejected", "failed"} {
			m.recordsTotal.WithLabelValues(op, outcome)
		}
	}
	return m
}

// scheduled records a scheduling pass's lag: how long the sync furthest behind has waited.
func (m *Metrics) scheduled(lag time.Duration) {
	if m == nil {
		return
	}
	m.scheduleLag.Set(lag.Seconds())
}

// runFinished counts a run that ended with status, as its record holds it.
func (m *Metrics) runFinished(status string) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(status).Inc()
}

func (m *Metrics) records(op, outcome string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.recordsTotal.WithLabelValues(op, outcome).Add(float64(n))
}

func (m *Metrics) answered(answer string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.answers.WithLabelValues(answer).Add(float64(n))
}

// Request implements webhook.Observer.
func (m *Metrics) Request(status int, err error, d time.Duration) {
	code := "error"
	if err == nil && status >= 100 && status < 600 {
		code = string(rune('0'+status/100)) + "xx"
	}
	m.requests.WithLabelValues(code).Observe(d.Seconds())
}

// Retry implements webhook.Observer.
func (m *Metrics) Retry() { m.retries.Inc() }

// RateLimitWait implements webhook.Observer.
func (m *Metrics) RateLimitWait(d time.Duration) {
	m.rateWaits.Inc()
	m.rateWaitTotal.Add(d.Seconds())
}

// Outcomes of a notification event's attempt (backflow_notification_events_total).
const (
	notifyDelivered = "delivered"
	notifyRetried   = "retried"
	notifyGivenUp   = "given_up"
)

func (m *Metrics) notification(outcome string) {
	if m == nil {
		return
	}
	m.notifications.WithLabelValues(outcome).Inc()
}

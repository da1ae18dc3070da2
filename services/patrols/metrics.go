package patrols

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/telemetry"
)

// dispatchMetrics are the dispatch SLA series the ops dashboards chart:
// one histogram per response stage (time from the request being raised to
// acceptance, arrival and feedback, each sample with its trace as
// exemplar), the stages due and the breaches among them, labelled by
// district and urgency (and stage).
//
// The SLOs divide breaches by stages due, not by histogram samples: a
// sample is a stage reached, so a request nobody accepts gives none, and
// an hour in which no team accepts anything would have no total at all —
// below every traffic floor, the worst outage never paging. A stage is
// due once per request, when it is recorded or its target passes unmet,
// whichever comes first, so breaches ⊆ due and both grow at the moment
// the verdict is known. (A histogram sample at the breach, valued at the
// target, would not do: it falls in the target's own bucket, which reads
// as met, and the late acceptance that follows would count the request
// twice.)
type dispatchMetrics struct {
	district string
	accept   *prometheus.HistogramVec
	arrive   *prometheus.HistogramVec
	feedback *prometheus.HistogramVec
	due      *prometheus.CounterVec
	breaches *prometheus.CounterVec
}

// dispatchBuckets span the targets: 5 s to two hours.
var dispatchBuckets = []float64{5, 10, 20, 30, 45, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200}

// newDispatchMetrics registers the series on reg (nil: unregistered); a
// process with several district nodes shares them, so a series another
// node registered first is reused.
func newDispatchMetrics(reg prometheus.Registerer, district string) *dispatchMetrics {
	hist := func(stage string) *prometheus.HistogramVec {
		return register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "guildhall_dispatch_time_to_" + stage + "_seconds",
			Help:    "Seconds from a police dispatch request being raised to its " + stage + ", per district and urgency.",
			Buckets: dispatchBuckets,
		}, []string{"district", "urgency"}))
	}
	return &dispatchMetrics{
		district: district,
		accept:   hist("accept"), arrive: hist("arrive"), feedback: hist("feedback"),
		due: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_dispatch_due_total",
			Help: "Dispatch stages decided, once per request and stage (accept, arrive, feedback): when the stage was recorded or its target passed unmet, whichever came first. The dispatch SLOs' total.",
		}, []string{"district", "stage", "urgency"})),
		breaches: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_dispatch_target_breaches_total",
			Help: "Dispatch response targets missed (one per request and stage: accept, arrive, feedback).",
		}, []string{"district", "stage", "urgency"})),
	}
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a name clash of a different kind: a programming error
	}
	return c
}

// Observe implements service.DispatchObserver.
func (m *dispatchMetrics) Observe(ctx context.Context, stage, urgency string, d time.Duration) {
	var h *prometheus.HistogramVec
	switch stage {
	case "accept":
		h = m.accept
	case "arrive":
		h = m.arrive
	case "feedback":
		h = m.feedback
	default:
		return
	}
	telemetry.ObserveWithTrace(ctx, h.WithLabelValues(m.district, urgency), d.Seconds())
}

// Due implements service.DispatchObserver.
func (m *dispatchMetrics) Due(stage, urgency string, breached bool) {
	m.due.WithLabelValues(m.district, stage, urgency).Inc()
	if breached {
		m.breaches.WithLabelValues(m.district, stage, urgency).Inc()
	}
}

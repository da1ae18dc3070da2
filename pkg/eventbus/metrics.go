package eventbus

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the event bus's Prometheus metrics. A process creates one and
// shares it between its relays and consumers; series are labelled by
// district, service and topic (and consumer, for consumer series).
type Metrics struct {
	// OutboxBacklog is the number of outbox rows not yet sent.
	OutboxBacklog *prometheus.GaugeVec
	// Published counts events the relay wrote to Kafka.
	Published *prometheus.CounterVec
	// PublishErrors counts failed relay writes (retried later).
	PublishErrors *prometheus.CounterVec
	// RelayLeader is 1 while this process's relay leads its (district, service).
	RelayLeader *prometheus.GaugeVec
	// RelayFenced is 1 while this process's relay is elected but its lease
	// is not confirmed (etcd unreachable past the local deadline), so it
	// does not publish.
	RelayFenced *prometheus.GaugeVec
	// RelayFencings counts the times a leading relay was fenced.
	RelayFencings *prometheus.CounterVec
	// ConsumerApplied counts events a consumer applied.
	ConsumerApplied *prometheus.CounterVec
	// ConsumerDuplicates counts redelivered events a consumer skipped.
	ConsumerDuplicates *prometheus.CounterVec
	// ConsumerDeadLettered counts events a consumer sent to the dead-letter topic.
	ConsumerDeadLettered *prometheus.CounterVec
	// ConsumerRejected counts rejected events by reason (undecodable,
	// district_mismatch, or a handler's Reject reason).
	ConsumerRejected *prometheus.CounterVec
	// ConsumerRetries counts handler attempts that failed transiently.
	ConsumerRetries *prometheus.CounterVec
	// ConsumerResets counts partitions a consumer re-read from the start
	// because the broker's log no longer matched what it had consumed, by
	// reason (log_truncated, log_rewritten, no_local_position).
	ConsumerResets *prometheus.CounterVec
	// ConsumerRestarts counts the times Supervise started a consumer again
	// after it stopped on its own (see ConsumerRestartsOf).
	ConsumerRestarts *prometheus.CounterVec
	// ConsumerLag is how many events a consumer group is behind the topic's
	// end. The series is absent while the consumer cannot tell (before it
	// has read the broker's high watermarks, and again after a broker
	// failure until it has read them anew).
	ConsumerLag *prometheus.GaugeVec
	// ApplyDuration is how long applying one event took, including dedup.
	ApplyDuration *prometheus.HistogramVec
	// EventAge is how old each event was when the consumer applied it
	// (applied time − occurred_at): the district → HQ freshness as a
	// latency, whose p99 the district-lag SLO bounds. Duplicates are not
	// observed (a redelivery's age is the redelivery's, not the data's).
	EventAge *prometheus.HistogramVec
	// ConsumerParked is how many events a consumer holds parked (types or
	// schema versions it does not know yet, and the later events of their
	// aggregates).
	ConsumerParked *prometheus.GaugeVec
	// HeartbeatsSent counts the heartbeats a district service published.
	HeartbeatsSent *prometheus.CounterVec
	// HeartbeatErrors counts heartbeats that could not be published (the
	// next interval tries again).
	HeartbeatErrors *prometheus.CounterVec
}

// heartbeatLabels are the labels of a service's heartbeat series.
var heartbeatLabels = []string{"district", "service"}

var (
	relayLabels    = []string{"district", "service", "topic"}
	consumerLabels = []string{"district", "service", "topic", "consumer"}
)

// NewMetrics creates the event bus metrics and registers them on reg. With a
// nil reg the metrics are not registered but still usable (tests, tools).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns, sub = "guildhall", "eventbus"
	m := &Metrics{
		OutboxBacklog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "outbox_backlog",
			Help: "Outbox rows not yet published to Kafka.",
		}, relayLabels),
		Published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "published_total",
			Help: "Events the relay published to Kafka.",
		}, relayLabels),
		PublishErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "publish_errors_total",
			Help: "Relay writes to Kafka that failed and will be retried.",
		}, relayLabels),
		RelayLeader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "relay_leader",
			Help: "1 while this process's relay is the elected publisher of its outbox.",
		}, relayLabels),
		RelayFenced: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "relay_fenced",
			Help: "1 while this process's relay is elected but cannot confirm its etcd lease in time, and so does not publish.",
		}, relayLabels),
		RelayFencings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "relay_fencings_total",
			Help: "Times a leading relay stopped publishing because its etcd lease could not be confirmed in time.",
		}, relayLabels),
		ConsumerApplied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_applied_total",
			Help: "Events a consumer applied.",
		}, consumerLabels),
		ConsumerDuplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_duplicates_total",
			Help: "Redelivered events a consumer had already applied.",
		}, consumerLabels),
		ConsumerDeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_dead_lettered_total",
			Help: "Events a consumer wrote to the dead-letter topic.",
		}, consumerLabels),
		ConsumerRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_rejected_total",
			Help: "Events a consumer rejected, by reason.",
		}, append(append([]string{}, consumerLabels...), "reason")),
		ConsumerRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_retries_total",
			Help: "Failed attempts to apply an event that were retried.",
		}, consumerLabels),
		ConsumerResets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_resets_total",
			Help: "Partitions a consumer re-read from the start because the broker lost or rewrote its log.",
		}, append(append([]string{}, consumerLabels...), "reason")),
		ConsumerRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_restarts_total",
			Help: "Times a supervised consumer stopped on its own and was started again.",
		}, consumerLabels),
		ConsumerLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_lag",
			Help: "Events the consumer group has not yet committed on its topic; absent while the consumer cannot tell (high watermarks not read since it started or since a broker failure).",
		}, consumerLabels),
		ApplyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "apply_duration_seconds",
			Help:    "Time to apply one event in the consumer's database.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, consumerLabels),
		EventAge: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "event_age_seconds",
			Help: "Seconds from an event occurring (its envelope's occurred_at) to the consumer applying it; duplicates are not observed.",
			// 30 s is the district-lag SLO's target and must stay a bound.
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600},
		}, consumerLabels),
		ConsumerParked: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_parked",
			Help: "Events the consumer holds parked until it is upgraded: types or schema versions it does not know, and the later events of their aggregates.",
		}, consumerLabels),
		HeartbeatsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "heartbeats_sent_total",
			Help: "Heartbeats a district service published on its district's node topic.",
		}, heartbeatLabels),
		HeartbeatErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "heartbeat_errors_total",
			Help: "Heartbeats a district service could not publish.",
		}, heartbeatLabels),
	}
	if reg != nil {
		reg.MustRegister(m.OutboxBacklog, m.Published, m.PublishErrors, m.RelayLeader, m.RelayFenced, m.RelayFencings,
			m.ConsumerApplied, m.EventAge, m.ConsumerDuplicates, m.ConsumerDeadLettered, m.ConsumerRejected,
			m.ConsumerRetries, m.ConsumerResets, m.ConsumerRestarts, m.ConsumerLag, m.ApplyDuration,
			m.ConsumerParked, m.HeartbeatsSent, m.HeartbeatErrors)
	}
	return m
}

// consumerSeries returns the labels of the consumer named consumer on
// topic: its district and service are the topic's.
func consumerSeries(topic, consumer string) prometheus.Labels {
	district, service, _ := ParseTopic(topic)
	return prometheus.Labels{"district": district, "service": service, "topic": topic, "consumer": consumer}
}

// ConsumerRestartsOf returns the restart counter of the consumer named
// consumer (ConsumerConfig.Name, or its GroupID) on topic, for
// SuperviseConfig.Restarts. On a nil Metrics it returns nil: nothing is
// counted.
func (m *Metrics) ConsumerRestartsOf(topic, consumer string) prometheus.Counter {
	if m == nil {
		return nil
	}
	return m.ConsumerRestarts.With(consumerSeries(topic, consumer))
}

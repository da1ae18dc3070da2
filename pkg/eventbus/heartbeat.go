package eventbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// DefaultHeartbeatInterval is how often a district service beats unless
// configured otherwise. HQ calls a service silent after three intervals
// without one.
const DefaultHeartbeatInterval = 15 * time.Second

// NodeTopic is the topic of district's heartbeats, gh.<district>.node.v1.
func NodeTopic(district string) string { return Topic(district, eventsv1.ServiceNode) }

// HeartbeatConfig configures a Heartbeat.
type HeartbeatConfig struct {
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Outbox is the service's outbox: its district and service name the
	// heartbeat, its backlog goes in it.
	Outbox *Outbox
	// Instance names the process (the relay's election candidate).
	Instance string
	// Version is the binary's build version.
	Version string
	// Leading reports whether this instance's relay leads; nil: false.
	Leading func() bool
	// Interval is how often to beat (DefaultHeartbeatInterval if zero).
	Interval time.Duration
	// Transport is the Kafka transport (tests); kafka.DefaultTransport if nil.
	Transport *kafka.Transport
	// Logger and Metrics as for the relay; both optional.
	Logger  *slog.Logger
	Metrics *Metrics
	// Now is the node's clock (tests); time.Now if nil.
	Now func() time.Time
}

// Heartbeat publishes a district service's heartbeat on its district's node
// topic at a fixed interval, straight to Kafka: not through the outbox, so
// a backlog (the very thing it reports) cannot delay it, and whether or
// not this instance's relay leads. A failed beat is counted and logged;
// the next interval tries again.
type Heartbeat struct {
	cfg    HeartbeatConfig
	w      *kafka.Writer
	owned  *kafka.Transport // the transport made here, closed by Run
	log    *slog.Logger
	sent   prometheus.Counter
	failed prometheus.Counter
	emits  []*eventsv1.EmittedType
}

// NewHeartbeat returns the heartbeat of cfg.Outbox's service.
func NewHeartbeat(cfg HeartbeatConfig) (*Heartbeat, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("eventbus: heartbeat needs brokers")
	}
	if cfg.Outbox == nil {
		return nil, errors.New("eventbus: heartbeat needs an outbox")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultHeartbeatInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leading == nil {
		cfg.Leading = func() bool { return false }
	}
	var owned *kafka.Transport
	if cfg.Transport == nil {
		owned = &kafka.Transport{}
		cfg.Transport = owned
	}
	o := cfg.Outbox
	labels := prometheus.Labels{"district": o.District(), "service": o.Service()}
	var emits []*eventsv1.EmittedType
	for _, t := range eventsv1.TypesOf(o.Service()) {
		emits = append(emits, &eventsv1.EmittedType{Type: t, SchemaVersion: eventsv1.SchemaVersion})
	}
	return &Heartbeat{
		cfg:   cfg,
		owned: owned,
		w: &kafka.Writer{
			Transport:              cfg.Transport,
			Addr:                   kafka.TCP(cfg.Brokers...),
			Topic:                  NodeTopic(o.District()),
			Balancer:               &kafka.Hash{},
			RequiredAcks:           kafka.RequireAll,
			BatchTimeout:           time.Millisecond, // one message per beat: never wait for a batch
			AllowAutoTopicCreation: true,
			MaxAttempts:            2,
			WriteTimeout:           cfg.Interval,
		},
		log:    cfg.Logger.With("component", "heartbeat", "topic", NodeTopic(o.District())),
		sent:   cfg.Metrics.HeartbeatsSent.With(labels),
		failed: cfg.Metrics.HeartbeatErrors.With(labels),
		emits:  emits,
	}, nil
}

// Key is the message key of this instance's heartbeats,
// "<service>/<instance>": a compacted node topic keeps the newest of each.
func (h *Heartbeat) Key() string { return h.cfg.Outbox.Service() + "/" + h.cfg.Instance }

// Run beats at once and then every interval until ctx ends.
func (h *Heartbeat) Run(ctx context.Context) error {
	defer func() {
		_ = h.w.Close()
		if h.owned != nil {
			h.owned.CloseIdleConnections()
		}
	}()
	t := time.NewTicker(h.cfg.Interval)
	defer t.Stop()
	for {
		if err := h.Beat(ctx); err != nil && ctx.Err() == nil {
			h.failed.Inc()
			h.log.WarnContext(ctx, "heartbeat not published; trying again next interval", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Beat publishes one heartbeat.
func (h *Heartbeat) Beat(ctx context.Context) error {
	b, err := h.envelope(ctx)
	if err != nil {
		return err
	}
	// A beat older than an interval says nothing the next one will not.
	wctx, cancel := context.WithTimeout(ctx, h.cfg.Interval)
	defer cancel()
	if err := h.w.WriteMessages(wctx, kafka.Message{Key: []byte(h.Key()), Value: b}); err != nil {
		return fmt.Errorf("eventbus: heartbeat: %w", err)
	}
	h.sent.Inc()
	return nil
}

// envelope builds the heartbeat's envelope as of now.
func (h *Heartbeat) envelope(ctx context.Context) ([]byte, error) {
	o := h.cfg.Outbox
	now := h.cfg.Now().UTC()
	hb := &eventsv1.Heartbeat{
		District:        o.District(),
		Service:         o.Service(),
		Instance:        h.cfg.Instance,
		Version:         h.cfg.Version,
		Emits:           h.emits,
		RelayLeader:     h.cfg.Leading(),
		SentAt:          timestamppb.New(now),
		IntervalSeconds: h.cfg.Interval.Seconds(),
	}
	// A node whose database does not answer still beats: it is alive, and
	// -1 says it cannot tell its backlog (never a false 0).
	if n, err := o.Backlog(ctx); err != nil {
		hb.OutboxBacklog = -1
		h.log.WarnContext(ctx, "heartbeat: outbox backlog unreadable", "err", err)
	} else {
		hb.OutboxBacklog = n
		if at, ok, err := o.OldestUnsent(ctx); err == nil && ok {
			hb.OldestUnsentAt = timestamppb.New(at)
		}
	}
	payload, err := proto.Marshal(hb)
	if err != nil {
		return nil, fmt.Errorf("eventbus: heartbeat: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("eventbus: heartbeat id: %w", err)
	}
	return proto.Marshal(&eventsv1.Envelope{
		EventId:       id.String(),
		District:      o.District(),
		Service:       eventsv1.ServiceNode,
		Type:          eventsv1.TypeHeartbeat,
		AggregateType: "service_instance",
		AggregateId:   h.Key(),
		OccurredAt:    timestamppb.New(now),
		SchemaVersion: 1,
		Payload:       payload,
	})
}

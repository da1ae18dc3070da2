// Package hq is the association HQ's node: it consumes every registered
// district's membership, meetings, compliance, patrols and messaging topics
// (gh.<district>.membership.v1, gh.<district>.meetings.v1,
// gh.<district>.compliance.v1, …), builds a city-wide read model only from
// those events, and serves it under /api/v1/hq/… with each district's freshness.
// With an etcd client it also reads the current convention version
// (ConventionKey) and the districts' roundtable cadences (CadenceKey) for
// the convention signature rate and the roundtable timeliness, and it is
// where the association publishes a new convention version
// (PUT /api/v1/hq/convention), which every district's meetings node follows.
//
// The standalone binary links it through New; cmd/hq runs it on its own.
package hq

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// openAPI is HQ's OpenAPI 3 document, generated from the route table by
// `make openapi` (pkg/apidoc); a test fails when it is stale.
//
//go:embed openapi.json
var openAPI []byte

// Defaults of Config.
const (
	DefaultGroupID    = "guildhall-hq"
	DefaultStaleAfter = 2 * time.Minute
)

// ConsumedService is the district membership service, whose topic HQ
// consumes (with ConsumedServices' other topics).
const ConsumedService = "membership"

// ConsumedServices lists the district services whose topics HQ consumes:
// one consumer per (district, service), each in a group of its own
// (GroupIDOf). It is
// projector.Services: membership and meetings for the membership and
// meetings views, compliance, patrols and messaging for the city view
// (issues 10, 11, 12).
var ConsumedServices = slices.Clone(projector.Services)

// Config configures an HQ node.
type Config struct {
	// DBPath is the SQLite file of the read model, e.g. data/hq/hq.db.
	DBPath string
	// Storage tunes SQLite.
	Storage storage.Config
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// GroupID names HQ's consumer groups, DefaultGroupID if empty: the
	// consumer of each topic is alone in the group GroupIDOf(GroupID,
	// topic), so Kafka ACLs grant them as the prefix GroupID + ".".
	GroupID string
	// StaleAfter is how long a registered district may be behind (or its
	// consumer not connected) without HQ applying anything from it before
	// it is reported stale; DefaultStaleAfter if zero.
	StaleAfter time.Duration
	// ClockSkewLimit is how far a district node's clock may be from HQ's
	// before its heartbeats flag it; service.DefaultClockSkewLimit if zero.
	ClockSkewLimit time.Duration
}

// Errors of Config.Validate.
var (
	ErrNoDBPath     = errors.New("hq: the database path is required")
	ErrNoBrokers    = errors.New("hq: at least one Kafka broker is required")
	ErrBadStaleTime = errors.New("hq: the stale period must not be negative")
	ErrBadClockSkew = errors.New("hq: the clock skew limit must not be negative")
)

// DefaultClockSkewLimit is how far a district node's clock may be from
// HQ's before its heartbeats flag it.
const DefaultClockSkewLimit = service.DefaultClockSkewLimit

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	if len(c.Brokers) == 0 || slices.Contains(c.Brokers, "") {
		return ErrNoBrokers
	}
	if c.StaleAfter < 0 {
		return ErrBadStaleTime
	}
	if c.ClockSkewLimit < 0 {
		return ErrBadClockSkew
	}
	if err := c.Storage.Validate(); err != nil {
		return fmt.Errorf("hq: %w", err)
	}
	return nil
}

// Districts is the district registry (pkg/config.Registry satisfies it).
type Districts interface {
	// Watch calls fn with the full list of registered districts, first with
	// the current list and then after every change, until ctx ends.
	Watch(ctx context.Context, fn func([]config.District)) error
}

// Deps are the node's collaborators.
type Deps struct {
	// Logger logs; discarded if nil.
	Logger *slog.Logger
	// Districts is the district registry; required to Run.
	Districts Districts
	// Bus holds the event bus metrics shared by the process; may be nil.
	Bus *eventbus.Metrics
	// Storage counts the writes the process's databases refused for lack of
	// disk (shared by the process); nil counts nothing.
	Storage *storage.Metrics
	// Registerer receives HQ's own metrics (freshness and business gauges,
	// rejected events). HQ is one per process, so it registers directly;
	// nil registers nothing.
	Registerer prometheus.Registerer
	// Endpoint is an optional endpoint middleware chain (instrumenting,
	// tracing) applied to every endpoint, outside the authorization check
	// the node always applies itself (Policy); nil for none.
	Endpoint func(service, endpoint string) endpoint.Middleware
	// Dialer is an optional Kafka dialer for the consumers' readers (TLS,
	// SASL); nil for plain TCP.
	Dialer *kafka.Dialer
	// Transport is an optional Kafka transport for dead letters and lag
	// queries (TLS, SASL); nil for plain TCP.
	Transport kafka.RoundTripper
	// Applied, if set, is called after each event's read-model change has
	// committed (latency probes, benchmarks); nil for none.
	Applied func(eventbus.Message)
	// Etcd, if set, is where the node reads the current convention version
	// (ConventionKey) and each registered district's roundtable cadence
	// (CadenceKey), watched live, and where PUT /api/v1/hq/convention
	// publishes. nil: neither is known, the views report
	// convention_current_version, convention_signed_current,
	// convention_signature_rate and roundtables as null, and the
	// convention endpoints answer 503 convention.unavailable.
	Etcd *clientv3.Client
	// Now is the clock of the read model: "today" in Asia/Shanghai (a
	// certificate counts through its last valid day, an action item is
	// overdue after its due day), staleness, and when an event was applied
	// and a conflict first seen; nil is time.Now.
	Now func() time.Time
}

// consumer is what the node needs of an eventbus.Consumer; tests swap it.
type consumer interface {
	Run(ctx context.Context) error
	Lag() eventbus.Lag
}

// Node is a running HQ.
type Node struct {
	cfg      Config
	deps     Deps
	logger   *slog.Logger
	db       *storage.DB
	store    *store.Store
	proj     *projector.Projector
	svc      service.Service
	handler  http.Handler
	started  time.Time
	watching atomic.Bool
	running  atomic.Bool

	// newConsumer builds the consumer of one district's service topic.
	newConsumer func(district, service string) (consumer, error)
	// retryDelay is the first pause before restarting a failed consumer.
	retryDelay time.Duration

	// convention is the live current convention; nil without etcd.
	convention *config.Value[*Convention]
	// visitPlan is the live city-wide field-visit plan (the meetings
	// services read the same key); nil without etcd: the default plan.
	visitPlan *config.Value[policy.VisitPlan]
	// compliancePolicy is the live city-wide compliance policy (the
	// districts' compliance services count timeliness with it); nil
	// without etcd: policy.DefaultCompliance.
	compliancePolicy *config.Value[policy.Compliance]

	// gen counts the commits that changed the read model (the consumers'
	// Applied hook, changed): the service keeps its reads until it moves.
	gen service.Generation

	mu         sync.Mutex
	registered []service.District
	consumers  map[string]*districtConsumer
	// cadences holds the live roundtable cadence of each registered
	// district; empty without etcd.
	cadences map[string]*config.Value[*Cadence]
	wg       sync.WaitGroup
}

// districtConsumer is what HQ runs for one district: one supervised
// consumer per consumed service, stopped together.
type districtConsumer struct {
	cancel context.CancelFunc
	// subs is fixed when the district is started, so it is read unlocked.
	subs map[string]*serviceConsumer
	// node consumes the district's heartbeats (gh.<district>.node.v1);
	// apart from subs, so heartbeats never count in the district's lag.
	node *serviceConsumer
}

// serviceConsumer supervises the consumer of one district's service topic.
type serviceConsumer struct {
	running atomic.Bool
	since   atomic.Int64 // unix nanos of the last start
	current atomic.Pointer[consumerBox]
}

type consumerBox struct{ c consumer }

// New opens the read model at cfg.DBPath, migrates it (HQ's tables and the
// event bus inbox) and wires the service, its endpoints and HTTP transport.
// Run starts consuming.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.GroupID == "" {
		cfg.GroupID = DefaultGroupID
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	logger := node.Logger(deps.Logger).With("service", "hq")
	// The read model and the consumers' inbox (eventbus.Migrate).
	db, err := node.OpenDB(ctx, cfg.DBPath, cfg.Storage, deps.Storage, "hq", eventbus.Migrate, store.Migrate)
	if err != nil {
		return nil, fmt.Errorf("hq: %w", err)
	}
	n := &Node{
		cfg: cfg, deps: deps, logger: logger, db: db, store: store.New(db),
		started:    time.Now(),
		retryDelay: time.Second,
		consumers:  map[string]*districtConsumer{},
		cadences:   map[string]*config.Value[*Cadence]{},
	}
	if deps.Etcd != nil {
		n.convention = config.NewValue(deps.Etcd, ConventionKey, (*Convention)(nil), ParseConvention,
			logger.With("component", "policy"), deps.Registerer)
		n.visitPlan = config.NewValue(deps.Etcd, policy.VisitPlanKey, policy.DefaultVisitPlan, policy.ParseVisitPlan,
			logger.With("component", "policy"), deps.Registerer)
		n.compliancePolicy = config.NewValue(deps.Etcd, policy.ComplianceKey, policy.DefaultCompliance, policy.ParseCompliance,
			logger.With("component", "policy"), deps.Registerer)
	}
	var visitPlan func() policy.VisitPlan
	var compliancePolicy func() policy.Compliance
	if n.visitPlan != nil {
		visitPlan = n.visitPlan.Load
	}
	if n.compliancePolicy != nil {
		compliancePolicy = n.compliancePolicy.Load
	}
	var pm *projector.Metrics
	reg := deps.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry() // metrics still work, nobody scrapes them
	}
	svc := service.New(n.store, monitor{n}, service.Config{StaleAfter: cfg.StaleAfter, Policies: n.policies(),
		Conventions: n.conventions(), Logger: logger, Now: deps.Now, ClockSkewLimit: cfg.ClockSkewLimit,
		Knows: projector.Knows, VisitPlan: visitPlan, CompliancePolicy: compliancePolicy, Generation: &n.gen})
	if err := reg.Register(service.NewCollector(svc, 5*time.Second, deps.Now)); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("hq: register metrics: %w", err)
	}
	pm, err = newProjectorMetrics(reg)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	n.proj = projector.New(n.store, logger, pm)
	if deps.Now != nil {
		n.proj.SetClock(deps.Now)
	}
	n.svc = svc
	if n.handler, err = NewHandler(svc, deps.Endpoint); err != nil {
		_ = db.Close()
		return nil, err
	}
	n.newConsumer = n.kafkaConsumer
	return n, nil
}

// newProjectorMetrics registers the projector's metrics, turning promauto's
// panic on a duplicate registration into an error.
func newProjectorMetrics(reg prometheus.Registerer) (m *projector.Metrics, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("hq: register metrics: %v", r)
		}
	}()
	return projector.NewMetrics(reg), nil
}

// Handler serves /api/v1/hq/…. Every endpoint enforces Policy, so the
// caller must have run auth.Authenticate on the request (the standalone
// binary and cmd/hq do): a request without a principal is answered 401
// auth.token_missing (or the token's own error), one whose role or scope
// does not allow the endpoint on the path's district 403 auth.forbidden.
func (n *Node) Handler() http.Handler { return n.handler }

// OpenAPI returns HQ's OpenAPI 3 document.
func (n *Node) OpenAPI() []byte { return slices.Clone(openAPI) }

// ErrNotReady is returned by Ready before the district registry was read.
var ErrNotReady = errs.E(errs.Unavailable, "hq.not_ready", "HQ has not read the district registry yet")

// errDBUnavailable is returned by Ready when the read model's database
// does not answer.
var errDBUnavailable = errs.E(errs.Unavailable, "hq.db_unavailable", "the HQ database does not answer or cannot take writes")

// Ready reports whether the read model's database answers and the node is
// running with the district registry loaded.
func (n *Node) Ready(ctx context.Context) error {
	if err := n.db.Ready(ctx); err != nil {
		return errDBUnavailable.Wrap(err)
	}
	if !n.running.Load() || !n.watching.Load() {
		return ErrNotReady
	}
	return nil
}

// CompanyInDistrict reports whether HQ's read model holds the company id
// in district (in any status): what HQ knows of a district's companies,
// as of the last event it applied from there. The standalone binary's
// accounts ask it before creating a company-scoped account.
func (n *Node) CompanyInDistrict(ctx context.Context, district, id string) (bool, error) {
	ok, err := n.store.CompanyInDistrict(ctx, district, id)
	if err != nil {
		return false, service.ErrReadModel.Wrap(err)
	}
	return ok, nil
}

// Close closes the database. Call it after Run returned.
func (n *Node) Close() error { return n.db.Close() }

// ErrNoRegistry is returned by Run without Deps.Districts.
var ErrNoRegistry = errors.New("hq: Deps.Districts is required to run")

// policies returns what the service reads the etcd values through; nil
// without etcd, so the service reports those figures as null.
func (n *Node) policies() service.Policies {
	if n.deps.Etcd == nil {
		return nil
	}
	return policies{n}
}

// conventions returns where the service reads and publishes the
// convention; nil without etcd, so both convention endpoints answer 503
// convention.unavailable.
func (n *Node) conventions() service.ConventionStore {
	if n.deps.Etcd == nil {
		return nil
	}
	return etcdConventions{cli: n.deps.Etcd, logger: n.logger.With("component", "policy")}
}

// Run watches the district registry and keeps one consumer per registered
// district's consumed topic (ConsumedServices): it starts those of new
// districts and stops those of removed ones, without restart. With
// Deps.Etcd it also watches the convention policy and each district's
// roundtable cadence. It returns when ctx ends, after every consumer
// stopped.
func (n *Node) Run(ctx context.Context) error {
	if n.deps.Districts == nil {
		return ErrNoRegistry
	}
	if !n.running.CompareAndSwap(false, true) {
		return errors.New("hq: Run called twice")
	}
	defer n.running.Store(false)
	runCtx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		n.wg.Wait()
		n.watching.Store(false)
	}()
	if n.convention != nil {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			_ = n.convention.Run(runCtx) // retries etcd errors itself; returns nil when ctx ends
		}()
	}
	if n.visitPlan != nil {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			_ = n.visitPlan.Run(runCtx) // as the convention's
		}()
	}
	if n.compliancePolicy != nil {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			_ = n.compliancePolicy.Run(runCtx) // as the convention's
		}()
	}
	err := n.deps.Districts.Watch(runCtx, func(ds []config.District) { n.reconcile(runCtx, ds) })
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hq: watch districts: %w", err)
	}
	// Watch may return after starting its own watcher; run until ctx ends.
	<-ctx.Done()
	return nil
}

// reconcile makes the consumers match the registry. It runs on the
// registry's goroutine, so it only starts and cancels, never waits.
func (n *Node) reconcile(ctx context.Context, ds []config.District) {
	if ctx.Err() != nil {
		return
	}
	want := map[string]service.District{}
	for _, d := range ds {
		if !eventbus.ValidName(d.ID) {
			n.logger.WarnContext(ctx, "hq: ignoring district with an invalid id", "district", d.ID)
			continue
		}
		want[d.ID] = service.District{ID: d.ID, Name: d.Name, NameZH: d.NameZH}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.registered = n.registered[:0:0]
	for _, d := range want {
		n.registered = append(n.registered, d)
	}
	slices.SortFunc(n.registered, func(a, b service.District) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for id, dc := range n.consumers {
		if _, ok := want[id]; !ok {
			n.logger.InfoContext(ctx, "hq: district removed, stopping its consumer", "district", id)
			dc.cancel()
			delete(n.consumers, id)
			delete(n.cadences, id)
		}
	}
	for id := range want {
		if _, ok := n.consumers[id]; ok {
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		dc := &districtConsumer{cancel: cancel, subs: map[string]*serviceConsumer{}, node: &serviceConsumer{}}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.supervise(cctx, id, eventsv1.ServiceNode, dc.node)
		}()
		for _, svc := range ConsumedServices {
			sc := &serviceConsumer{}
			dc.subs[svc] = sc
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.supervise(cctx, id, svc, sc)
			}()
			n.logger.InfoContext(ctx, "hq: consuming district", "district", id, "topic", eventbus.Topic(id, svc))
		}
		n.consumers[id] = dc
		if n.deps.Etcd != nil {
			v := config.NewValue(n.deps.Etcd, CadenceKey(id), (*Cadence)(nil), ParseCadence,
				n.logger.With("component", "policy", "district", id), n.deps.Registerer)
			n.cadences[id] = v
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				_ = v.Run(cctx) // stops with the district's consumers
			}()
		}
	}
	n.watching.Store(true)
}

// supervise runs the consumer of a district's service topic, restarting it
// with backoff when it fails (eventbus.Supervise), until ctx ends.
func (n *Node) supervise(ctx context.Context, district, svc string, sc *serviceConsumer) {
	eventbus.Supervise(ctx, eventbus.SuperviseConfig{
		Name:     "hq: consumer",
		Logger:   n.logger.With("district", district, "service", svc),
		Restarts: n.deps.Bus.ConsumerRestartsOf(eventbus.Topic(district, svc), consumerName),
		MinDelay: n.retryDelay,
	}, func(ctx context.Context) error {
		sc.since.Store(time.Now().UnixNano())
		c, err := n.newConsumer(district, svc)
		if err != nil {
			return err
		}
		sc.current.Store(&consumerBox{c: c})
		sc.running.Store(true)
		defer sc.running.Store(false)
		return c.Run(ctx)
	})
}

// consumerName scopes HQ's inbox (eventbus.ConsumerConfig.Name) and names
// its consumers in the event bus metrics, whatever its group.
const consumerName = "hq"

// GroupIDOf is the consumer group of HQ's consumer of topic, under the
// group id prefix (Config.GroupID): "<prefix>.<topic>", e.g.
// guildhall-hq.gh.jingkai.membership.v1.
//
// Each topic's consumer is alone in its group. In one group shared by all
// of them (as before, 20 districts × 6 services = 120 members), every
// member that joined or left — at HQ's start, a new district's six, a
// consumer restarted — began a new generation of the whole group: all 120
// stopped their partition workers, rejoined within the rebalance timeout
// and checked their positions again, so in the city HQ replayed at a tenth
// of its speed on one topic and a new district took up to a minute to
// show. A group of one member rebalances only when that member comes or
// goes, or its topic gains partitions.
//
// Changing the group id (this scheme, or -hq.group-id) loses and repeats
// nothing: where a partition is read from is HQ's own position table
// (eventbus_consumer_position, keyed by the consumer's Name, "hq", not by
// its group), which a new group without committed offsets does not
// overrule (eventbus's startPosition), and the inbox drops any event
// delivered again. The old group's committed offsets are left to the
// broker's offset retention.
func GroupIDOf(prefix, topic string) string { return prefix + "." + topic }

// kafkaConsumer builds the eventbus consumer of district's svc topic, in a
// group of its own (GroupIDOf). Every topic's consumer shares the inbox
// name: event ids are unique across services.
func (n *Node) kafkaConsumer(district, svc string) (consumer, error) {
	applied := n.deps.Applied
	if svc == eventsv1.ServiceNode {
		applied = nil // a heartbeat is not an event of the read model
	}
	return eventbus.NewConsumer(eventbus.ConsumerConfig{
		// A district's topic: HQ's dead letters stay under gh.hq.
		Node:      eventbus.HQNode,
		Brokers:   n.cfg.Brokers,
		Topic:     eventbus.Topic(district, svc),
		GroupID:   GroupIDOf(n.cfg.GroupID, eventbus.Topic(district, svc)),
		Name:      consumerName,
		DB:        n.db,
		Handler:   n.handle,
		Batch:     n.proj.Batch,
		Logger:    n.logger.With("district", district),
		Metrics:   n.deps.Bus,
		Dialer:    n.deps.Dialer,
		Transport: n.deps.Transport,
		Applied:   n.changed(svc, applied),
	})
}

// changed is the Applied hook of svc's consumers: the read model's
// generation moves after each applied event's commit — the heartbeats'
// own generation for the node topic, whose events change nothing but the
// heartbeats — before then calls hook (a probe; nil for none). Events
// parked or dead-lettered change no table the generation covers.
func (n *Node) changed(svc string, hook func(eventbus.Message)) func(eventbus.Message) {
	if svc == eventsv1.ServiceNode {
		return func(m eventbus.Message) {
			n.gen.HeartbeatChanged()
			if hook != nil {
				hook(m)
			}
		}
	}
	return func(m eventbus.Message) {
		n.gen.Changed()
		if hook != nil {
			hook(m)
		}
	}
}

// handle applies one event; events that can never be applied are rejected
// so the consumer dead-letters them and moves on.
func (n *Node) handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	// A service speaks only on its own topic, as a district only on its
	// own (which the consumer checks): a meetings event on the membership
	// topic is refused, not applied.
	if _, svc, ok := eventbus.ParseTopic(msg.Topic); ok && msg.Envelope.GetService() != svc {
		if m := n.proj.Metrics(); m != nil {
			m.Rejected.WithLabelValues(msg.Envelope.GetDistrict(), string(eventbus.ReasonWrongService)).Inc()
		}
		return eventbus.Reject(eventbus.ReasonWrongService,
			fmt.Errorf("hq: service %q on topic %s", msg.Envelope.GetService(), msg.Topic))
	}
	if msg.Envelope.GetService() == eventsv1.ServiceNode {
		return n.heartbeat(ctx, tx, msg.Envelope)
	}
	// The projector's rejections are eventbus.Reject errors already.
	_, err := n.proj.Apply(ctx, tx, msg.Envelope)
	return err
}

// heartbeat records a district service's heartbeat, received now.
func (n *Node) heartbeat(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	if env.GetType() != eventsv1.TypeHeartbeat {
		return eventbus.Reject(eventbus.ReasonUnknownType, fmt.Errorf("hq: %q on a node topic", env.GetType()))
	}
	var hb eventsv1.Heartbeat
	if err := proto.Unmarshal(env.GetPayload(), &hb); err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("hq: heartbeat: %w", err))
	}
	if hb.GetDistrict() != env.GetDistrict() {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch,
			fmt.Errorf("hq: heartbeat of district %q in an envelope of %q", hb.GetDistrict(), env.GetDistrict()))
	}
	if hb.GetService() == "" || hb.GetInstance() == "" {
		return eventbus.Reject(eventbus.ReasonBadPayload, errors.New("hq: heartbeat without its service or instance"))
	}
	now := time.Now
	if n.deps.Now != nil {
		now = n.deps.Now
	}
	h := service.Heartbeat{
		Service: hb.GetService(), Instance: hb.GetInstance(), Version: hb.GetVersion(),
		OutboxBacklog: hb.GetOutboxBacklog(), RelayLeader: hb.GetRelayLeader(),
		SentAt: hb.GetSentAt().AsTime(), ReceivedAt: now().UTC(),
		Interval: time.Duration(hb.GetIntervalSeconds() * float64(time.Second)),
	}
	if hb.GetOldestUnsentAt() != nil {
		h.OldestUnsentAt = hb.GetOldestUnsentAt().AsTime()
	}
	for _, e := range hb.GetEmits() {
		h.Emits = append(h.Emits, service.EmittedType{Type: e.GetType(), SchemaVersion: e.GetSchemaVersion()})
	}
	return n.store.PutHeartbeat(ctx, tx, env.GetDistrict(), h)
}

// monitor shows the node's registry and consumers to the service without
// making them part of Node's API.
type monitor struct{ n *Node }

// Registered implements service.Monitor.
func (m monitor) Registered() []service.District { return m.n.registeredDistricts() }

// Consumer implements service.Monitor.
func (m monitor) Consumer(district string) service.ConsumerState { return m.n.consumerState(district) }

// Parked implements service.Monitor: what HQ's consumers hold parked
// (eventbus.Parked), by the district and service of its topic.
func (m monitor) Parked(ctx context.Context) (map[string][]service.ParkedEvents, error) {
	ps, err := eventbus.Parked(ctx, m.n.db, consumerName)
	if err != nil {
		return nil, err
	}
	out := map[string][]service.ParkedEvents{}
	for _, p := range ps {
		district, svc, ok := eventbus.ParseTopic(p.Topic)
		if !ok {
			continue
		}
		out[district] = append(out[district], service.ParkedEvents{Service: svc, Type: p.Type, SchemaVersion: p.SchemaVersion,
			Reason: string(p.Reason), Events: p.Events, FirstParkedAt: p.FirstParkedAt})
	}
	return out, nil
}

func (n *Node) registeredDistricts() []service.District {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.registered)
}

func (n *Node) consumerState(district string) service.ConsumerState {
	n.mu.Lock()
	dc := n.consumers[district]
	n.mu.Unlock()
	if dc == nil {
		// Registered but not consumed: Run has not started (or ended).
		return service.ConsumerState{Since: n.started}
	}
	// The district's state is its topics' together: running when all run,
	// started when the last of them (re)started, and behind by the sum of
	// their lags — known only when every topic's is. A topic that does not
	// exist yet (a district whose meetings service has not published) is
	// known to be 0 behind by its consumer, so it does not hold the
	// district's lag unknown; any consumer that has not read its topic's
	// high watermarks since it started or since a broker failure does.
	st := service.ConsumerState{Running: true, Lag: service.KnownLag(0)}
	for _, sc := range dc.subs {
		running := sc.running.Load()
		st.Running = st.Running && running
		if since := time.Unix(0, sc.since.Load()); since.After(st.Since) {
			st.Since = since
		}
		var lag eventbus.Lag
		if box := sc.current.Load(); box != nil && running {
			lag = box.c.Lag()
		}
		if !lag.Known {
			st.Lag = service.Lag{}
			continue
		}
		if st.Lag.Known {
			st.Lag.Events += lag.Events
		}
	}
	if !st.Running {
		st.Lag = service.Lag{}
	}
	return st
}

// CaughtUp reports whether every registered district's consumers are
// running and known to be 0 behind (for tests and benchmarks).
func (n *Node) CaughtUp() bool {
	for _, d := range n.registeredDistricts() {
		if st := n.consumerState(d.ID); !st.Running || st.Lag != service.KnownLag(0) {
			return false
		}
	}
	return n.watching.Load()
}

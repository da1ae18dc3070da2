// Package messaging is the messaging service of Guildhall. On a district
// node (Config.Role "district", the default): notices (通知) from the
// district lead or the police office to the district's companies, each
// recipient's receipt (已读回执: delivered → read → acknowledged), roll-ups
// and reminders before the deadline; and HQ's directives, consumed from
// gh.hq.directives.v1 and materialised once for the district's companies.
// In the HQ role (Config.Role "hq"): the directives, published through the
// role's outbox on gh.hq.directives.v1, and their delivery health per
// district, read from every registered district's messaging topic. Both
// roles carry mutual aid (互助机制: a district node's requests and offers,
// the HQ role's relay of what crosses districts) and positive publicity
// (正面宣传: the district lead's review at the node, HQ's in the HQ role). New
// wires the layers (store → service → endpoints → HTTP) so that the
// service's binary and the all-in-one guildhall binary link the same code.
package messaging

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
	"time"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
	"github.com/guildhall/guildhall/services/messaging/internal/store"
	"github.com/guildhall/guildhall/services/messaging/internal/transport"
)

// ServiceName is the service's name in topics, metrics and elections.
const ServiceName = "messaging"

// DirectivesTopic is HQ's one directives topic for the city,
// gh.hq.directives.v1: the HQ role's outbox is that of district "hq",
// service "directives".
var DirectivesTopic = transport.DirectivesTopic

//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the service's OpenAPI 3 document (both roles).
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Roles a node runs in.
const (
	RoleDistrict = "district"
	RoleHQ       = "hq"
)

// Config configures a messaging node.
type Config struct {
	// Role is "district" (default) or "hq".
	Role string
	// District is the district a district node serves, e.g. "jingkai";
	// unused in the HQ role.
	District string
	// DBPath is the SQLite file, e.g. data/jingkai/messaging.db.
	DBPath string
	// Storage tunes SQLite.
	Storage storage.Config
	// ReminderPass is how often a district node looks for recipients to
	// remind (default 5 minutes; the policy's interval limits how often
	// one recipient is reminded).
	ReminderPass time.Duration
	// TrustProxy takes a request's client address for the audit log from
	// the last X-Forwarded-For entry.
	TrustProxy bool
	// Brokers are the Kafka bootstrap addresses. A district node consumes
	// its membership topic (the projection of its companies) and
	// gh.hq.directives.v1; the HQ role consumes every registered
	// district's messaging topic. Empty: no consumers (tests put
	// companies with Node.PutCompany).
	Brokers []string
}

// Errors of Config.Validate.
var (
	ErrBadRole     = errors.New("messaging: role must be district or hq")
	ErrBadDistrict = errors.New("messaging: district must be lower-case letters, digits and dashes")
	ErrNoDBPath    = errors.New("messaging: a database path is required")
	ErrEmptyBroker = errors.New("messaging: a Kafka broker address is empty")
	// ErrNoRegistry is returned by Run in the HQ role without Deps.Districts.
	ErrNoRegistry = errors.New("messaging: the HQ role needs Deps.Districts to run")
)

// ErrNotDistrict is returned by a district node's method called on the HQ
// role (ApplyPatrolsEvent).
var ErrNotDistrict = errors.New("messaging: not a district node")

// Validate checks the configuration.
func (c Config) Validate() error {
	switch c.Role {
	case "", RoleDistrict:
		if !eventbus.ValidName(c.District) {
			return fmt.Errorf("%w: %q", ErrBadDistrict, c.District)
		}
	case RoleHQ:
	default:
		return fmt.Errorf("%w: %q", ErrBadRole, c.Role)
	}
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	if slices.Contains(c.Brokers, "") {
		return ErrEmptyBroker
	}
	return c.Storage.Validate()
}

// Districts is the district registry (pkg/config.Registry satisfies it).
type Districts interface {
	// Watch calls fn with the full list of registered districts, first
	// with the current list, then after every change, until ctx ends.
	Watch(ctx context.Context, fn func([]config.District)) error
}

// Deps are the node's collaborators.
type Deps struct {
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// Endpoint, if not nil, returns the middleware chain (instrumenting,
	// tracing) for one endpoint of a service.
	Endpoint func(service, endpoint string) endpoint.Middleware
	// Storage counts the writes the process's databases refused for lack
	// of disk; nil counts nothing.
	Storage *storage.Metrics
	// Registerer receives the counters of the live etcd policy; nil
	// counts nothing.
	Registerer prometheus.Registerer
	// Etcd holds the messaging policy (policy.MessagingKey, watched);
	// nil uses policy.DefaultMessaging.
	Etcd *clientv3.Client
	// Districts is the district registry the HQ role follows.
	Districts Districts
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Bus holds the event bus metrics shared by the process.
	Bus *eventbus.Metrics
	// Dialer and Transport are optional Kafka TLS/SASL settings.
	Dialer    *kafka.Dialer
	Transport kafka.RoundTripper
	// Applied, if set, is called after a consumer applied an event (for
	// latency probes and benchmarks).
	Applied func(eventbus.Message)
}

// Node is a running messaging service: a district node or the HQ role.
// Its database and outbox are node.Base's; Handler serves the role's
// routes (a district node's under /api/v1/districts/<district>, the HQ
// role's under /api/v1/hq/directives).
type Node struct {
	*node.Base
	cfg    Config
	deps   Deps
	store  *store.Store
	svc    *service.Messaging
	hq     *service.Directives
	logger *slog.Logger
	policy *config.Value[policy.Messaging]
	// hqHandler is the HQ role's handler (Base.Serve mounts district
	// routes only).
	hqHandler http.Handler

	mu         sync.Mutex
	registered []string
	loaded     bool
}

// New opens and migrates the node's database and wires the service. Call
// Run for its background work and Close when done.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := node.Logger(deps.Logger)
	d := node.District{Service: ServiceName, District: cfg.District, DBPath: cfg.DBPath,
		Storage: cfg.Storage, StorageMetrics: deps.Storage, Migrate: store.Migrate, Document: openAPI}
	if cfg.Role == RoleHQ {
		// The HQ role's outbox is gh.hq.directives.v1's.
		d.District, d.Service = transport.HQDistrict, transport.DirectivesService
	}
	base, err := node.OpenDistrict(ctx, d)
	if err != nil {
		return nil, err
	}
	n := &Node{Base: base, cfg: cfg, deps: deps, logger: logger, store: store.New(base.DB(), base.Outbox())}
	n.policy = config.NewValue(deps.Etcd, policy.MessagingKey, policy.DefaultMessaging, policy.ParseMessaging, logger, deps.Registerer)
	opt := service.Options{Now: deps.Now}
	if cfg.Role == RoleHQ {
		n.hq = service.NewDirectives(n.store, n.districts, opt)
		chained, err := kitx.Chain(ServiceName, hqRoutes(n.hq), deps.Endpoint)
		if err != nil {
			_ = base.Close()
			return nil, err
		}
		mux := http.NewServeMux()
		kitx.Mount(mux, chained, kithttp.ServerErrorHandler(kitx.ErrorLogger{Logger: logger, Service: ServiceName}),
			audit.RecordRemoteIP(cfg.TrustProxy))
		mux.Handle("/", kitx.NotFoundHandler())
		n.hqHandler = mux
		return n, nil
	}
	n.svc = service.New(cfg.District, n.store, n.reminderPolicy, logger, opt)
	az := &authorizer{district: cfg.District}
	if err := base.Serve(districtRoutes(n.svc, az, kitx.DistrictPath(cfg.District)), deps.Endpoint,
		service.ErrDistrictNotFound, cfg.TrustProxy, logger); err != nil {
		_ = base.Close()
		return nil, err
	}
	return n, nil
}

// Handler serves the node's routes; every endpoint enforces its policy
// row (the host authenticates in front of it).
func (n *Node) Handler() http.Handler {
	if n.hqHandler != nil {
		return n.hqHandler
	}
	return n.Base.Handler()
}

// Role is the node's role.
func (n *Node) Role() string {
	if n.cfg.Role == RoleHQ {
		return RoleHQ
	}
	return RoleDistrict
}

// reminderPolicy is the live policy as the service takes it.
func (n *Node) reminderPolicy() service.Policy {
	p := n.policy.Load()
	return service.Policy{RemindBefore: p.RemindBefore(), Interval: p.ReminderInterval(), AidVisibleTo: p.AidVisibleTo(n.cfg.District)}
}

// Policy returns the messaging policy in force (the default until etcd's
// value is read).
func (n *Node) Policy() policy.Messaging { return n.policy.Load() }

// PolicyLoaded is closed once the policy was read from etcd.
func (n *Node) PolicyLoaded() <-chan struct{} { return n.policy.Loaded() }

// districts returns the registered districts (sorted) and whether the
// registry was read.
func (n *Node) districts() ([]string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.registered), n.loaded
}

// SendReminders runs one reminder pass now (Run does it every
// Config.ReminderPass) and returns how many reminders it sent.
func (n *Node) SendReminders(ctx context.Context) (int, error) {
	if n.svc == nil {
		return 0, nil
	}
	return n.svc.SendReminders(ctx)
}

// ExpireAidRequests closes the node's open aid requests whose window ended
// now (Run does it every Config.ReminderPass) and returns how many.
func (n *Node) ExpireAidRequests(ctx context.Context) (int, error) {
	if n.svc == nil {
		return 0, nil
	}
	return n.svc.ExpireAidRequests(ctx)
}

// Guard is a guard as a district node's projection holds it.
type Guard = service.Guard

// PutGuard puts g into the node's projection of the district's guards as
// an applied membership event would, for a node without Config.Brokers.
func (n *Node) PutGuard(ctx context.Context, g Guard) error {
	_, err := n.store.PutGuard(ctx, g)
	return err
}

// Company is a member company as a district node's projection holds it.
type Company = service.Company

// PutCompany puts c into the node's projection of the district's
// companies as an applied membership event would (versions only move
// forward), for a node without Config.Brokers: tests, seeding a demo.
func (n *Node) PutCompany(ctx context.Context, c Company) error {
	_, err := n.store.PutCompany(ctx, c)
	return err
}

// Run does the node's background work until ctx ends. A district node:
// with Brokers, the membership, directives and patrols (team notices)
// consumers; with etcd, the
// policy's watch; the reminder pass and idempotency-key expiry. The HQ
// role: one consumer of each registered district's messaging topic,
// following the registry without restart.
func (n *Node) Run(ctx context.Context) error {
	if n.cfg.Role == RoleHQ {
		return n.runHQ(ctx)
	}
	g, ctx := errgroup.WithContext(ctx)
	// Node: the directives consumer reads HQ's topic, and dead-letters
	// under this district's prefix.
	cc := eventbus.ConsumerConfig{Node: n.cfg.District, Brokers: n.cfg.Brokers, DB: n.DB(), Logger: n.logger, Metrics: n.deps.Bus,
		Dialer: n.deps.Dialer, Transport: n.deps.Transport, Applied: n.deps.Applied}
	if len(n.cfg.Brokers) > 0 {
		g.Go(func() error {
			transport.MembershipEvents{District: n.cfg.District, Store: n.store, Consumer: cc}.Run(ctx)
			return nil
		})
		g.Go(func() error {
			transport.DirectiveEvents{District: n.cfg.District, Store: n.store, Service: n.svc, Consumer: cc}.Run(ctx)
			return nil
		})
		g.Go(func() error {
			n.patrols(cc).Run(ctx)
			return nil
		})
	}
	if n.deps.Etcd != nil {
		g.Go(func() error { return n.policy.Run(ctx) })
	}
	g.Go(func() error {
		every := n.cfg.ReminderPass
		if every <= 0 {
			every = 5 * time.Minute
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if sent, err := n.svc.SendReminders(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("messaging: reminders failed; will retry", "err", err)
			} else if sent > 0 {
				n.logger.Info("messaging: reminders sent", "count", sent)
			}
			if closed, err := n.svc.ExpireAidRequests(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("messaging: aid request expiry failed; will retry", "err", err)
			} else if closed > 0 {
				n.logger.Info("messaging: aid requests expired", "count", closed)
			}
			if _, err := n.svc.ExpireIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("messaging: idempotency key expiry failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	return g.Wait()
}

// patrols is the district node's consumer of its patrols topic (the team
// notices to the leaders).
func (n *Node) patrols(cc eventbus.ConsumerConfig) transport.PatrolsEvents {
	return transport.PatrolsEvents{District: n.cfg.District, Store: n.store, Service: n.svc, Consumer: cc}
}

// ApplyPatrolsEvent applies one event of the district's patrols topic as
// its consumer would, without the inbox (the team notice's (event, leader)
// key still makes a repeat deliver nothing twice), for a node without
// Config.Brokers: tests and demos.
func (n *Node) ApplyPatrolsEvent(ctx context.Context, env *eventsv1.Envelope) error {
	if n.svc == nil {
		return ErrNotDistrict
	}
	h := n.patrols(eventbus.ConsumerConfig{})
	return n.DB().InTx(ctx, func(tx *sql.Tx) error { return h.Handle(ctx, tx, eventbus.Message{Envelope: env}) })
}

// runHQ follows the district registry, keeping one consumer per
// registered district's messaging topic: new districts' start, removed
// ones' stop.
func (n *Node) runHQ(ctx context.Context) error {
	if n.deps.Districts == nil {
		return ErrNoRegistry
	}
	var wg sync.WaitGroup
	consumers := map[string]context.CancelFunc{}
	runCtx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		wg.Wait()
	}()
	reconcile := func(ds []config.District) {
		if runCtx.Err() != nil {
			return
		}
		want := []string{}
		for _, d := range ds {
			if eventbus.ValidName(d.ID) {
				want = append(want, d.ID)
			}
		}
		slices.Sort(want)
		n.mu.Lock()
		n.registered, n.loaded = want, true
		n.mu.Unlock()
		for id, stop := range consumers {
			if !slices.Contains(want, id) {
				stop()
				delete(consumers, id)
			}
		}
		if len(n.cfg.Brokers) == 0 {
			return
		}
		for _, id := range want {
			if _, ok := consumers[id]; ok {
				continue
			}
			cctx, stop := context.WithCancel(runCtx)
			consumers[id] = stop
			wg.Add(1)
			go func() {
				defer wg.Done()
				transport.DistrictEvents{District: id, Store: n.store, HQ: n.hq, Consumer: eventbus.ConsumerConfig{
					Node: eventbus.HQNode, Brokers: n.cfg.Brokers, DB: n.DB(), Name: transport.HQGroupID, Logger: n.logger.With("district", id),
					Metrics: n.deps.Bus, Dialer: n.deps.Dialer, Transport: n.deps.Transport, Applied: n.deps.Applied,
				}}.Run(cctx)
			}()
		}
	}
	err := n.deps.Districts.Watch(runCtx, reconcile)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("messaging: watch districts: %w", err)
	}
	<-ctx.Done()
	return nil
}

// Package patrols is the patrols service of a district node: volunteer-
// police teams (江城义警) drawn from membership's guards and gated on their
// records, key areas and checkpoints, holiday patrol plans with shifts and
// assignments, and checkpoint scans as proof of presence. New wires its
// layers (store → service → endpoints → HTTP) so that both a service
// binary and the all-in-one guildhall binary link the same code.
package patrols

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
	"github.com/guildhall/guildhall/services/patrols/internal/store"
	"github.com/guildhall/guildhall/services/patrols/internal/transport"
)

// ServiceName is the service's name in topics, metrics and elections.
const ServiceName = "patrols"

// openAPI is the service's OpenAPI 3 document, generated from the route
// table by `make openapi` (pkg/apidoc); a test fails when it is stale.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the service's OpenAPI 3 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Rules are the city-wide patrol rules (policy.Patrols at
// policy.PatrolsKey).
type Rules = policy.Patrols

// Guard is a guard as the node's projection of membership's events holds
// it.
type Guard = service.Guard

// Config configures a patrols node.
type Config struct {
	// District is the district this node serves, e.g. "jingkai".
	District string
	// DBPath is the SQLite file, e.g. data/jingkai/patrols.db.
	DBPath string
	// Storage tunes SQLite.
	Storage storage.Config
	// SweepInterval is how often Run re-gates the roster (a certificate
	// lapses at the Asia/Shanghai day rollover with no event) and looks
	// for missed tours (default 1 minute).
	SweepInterval time.Duration
	// DispatchInterval is how often Run runs the dispatch timers (default
	// 5 s, a sixth of the shortest default target).
	DispatchInterval time.Duration
	// TrustProxy takes a request's client address for the audit log from
	// the last X-Forwarded-For entry.
	TrustProxy bool
	// Brokers are the Kafka bootstrap addresses the node consumes its
	// district's membership topic from (gh.<district>.membership.v1), to
	// keep its projection of the district's guards. Empty: no consumer
	// (tests put guards with Node.ApplyGuard).
	Brokers []string
}

// Errors of Config.Validate.
var (
	ErrBadDistrict = errors.New("patrols: district must be lower-case letters, digits and dashes")
	ErrNoDBPath    = errors.New("patrols: a database path is required")
	ErrEmptyBroker = errors.New("patrols: a Kafka broker address is empty")
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if !eventbus.ValidName(c.District) {
		return fmt.Errorf("%w: %q", ErrBadDistrict, c.District)
	}
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	if slices.Contains(c.Brokers, "") {
		return ErrEmptyBroker
	}
	return c.Storage.Validate()
}

// Deps are the node's collaborators.
type Deps struct {
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// Endpoint, if not nil, returns the middleware chain (instrumenting,
	// tracing) for one endpoint of a service.
	Endpoint func(service, endpoint string) endpoint.Middleware
	// Storage counts the writes the process's databases refused for lack of
	// disk; nil counts nothing.
	Storage *storage.Metrics
	// Registerer receives the counters of the live patrol rules (reloads,
	// rejected values, etcd errors); nil counts nothing.
	Registerer prometheus.Registerer
	// Etcd holds the live patrol rules (policy.PatrolsKey); nil (tests)
	// uses policy.DefaultPatrols.
	Etcd *clientv3.Client
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Bus holds the event bus metrics shared by the process, for the
	// membership consumer; nil uses unregistered metrics.
	Bus *eventbus.Metrics
	// Dialer and Transport are optional Kafka TLS/SASL settings for the
	// membership consumer; nil for plain TCP.
	Dialer    *kafka.Dialer
	Transport kafka.RoundTripper
	// Districts is the district registry (pkg/config.Registry satisfies
	// it). With Config.Brokers, the node follows every other registered
	// district's patrols topic for its assignments, so that one person is
	// not booked at overlapping times in two districts; nil: no
	// cross-district check (tests, a city of one district).
	Districts Districts
}

// Districts is the district registry.
type Districts interface {
	// Watch calls fn with the full list of registered districts, first
	// with the current list, then after every change, until ctx ends.
	Watch(ctx context.Context, fn func([]config.District)) error
}

// Node is a running patrols service of one district. Its database, outbox
// and handler are node.Base's; the handler serves /teams…, /guards/{id}/eligibility,
// /areas…, /plans…, /shifts…, /coverage, /scans…, /patrol-hours,
// /missed-tours and /patrols/audit under /api/v1/districts/<district>.
type Node struct {
	*node.Base
	cfg    Config
	deps   Deps
	store  *store.Store
	svc    *service.Patrols
	logger *slog.Logger
	rules  *config.Value[Rules]
	// dispatch holds the live dispatch targets (policy.DispatchKey).
	dispatch *config.Value[policy.Dispatch]
}

// New opens and migrates the node's database and wires the service. Call
// Run for its background work and Close when done.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := node.Logger(deps.Logger)
	base, err := node.OpenDistrict(ctx, node.District{Service: ServiceName, District: cfg.District, DBPath: cfg.DBPath,
		Storage: cfg.Storage, StorageMetrics: deps.Storage, Migrate: store.Migrate, Document: openAPI})
	if err != nil {
		return nil, err
	}
	rules := config.NewValue(deps.Etcd, policy.PatrolsKey, policy.DefaultPatrols, policy.ParsePatrols, logger, deps.Registerer)
	st := store.New(base.DB(), base.Outbox())
	svc := service.New(cfg.District, st, rules.Load, logger, service.Options{Now: deps.Now})
	dispatch := config.NewValue(deps.Etcd, policy.DispatchKey, policy.DefaultDispatch, policy.ParseDispatch, logger, deps.Registerer)
	svc.SetDispatch(dispatch.Load, newDispatchMetrics(deps.Registerer, cfg.District))
	az := &authorizer{district: cfg.District, svc: svc, logger: logger}
	if err := base.Serve(routeTable(svc, az, kitx.DistrictPath(cfg.District)), deps.Endpoint,
		service.ErrDistrictNotFound, cfg.TrustProxy, logger); err != nil {
		_ = base.Close()
		return nil, err
	}
	return &Node{Base: base, cfg: cfg, deps: deps, store: st, svc: svc, logger: logger, rules: rules, dispatch: dispatch}, nil
}

// ApplyGuard puts g into the node's projection of the district's guards
// as an applied membership event would (versions only move forward) and
// re-gates the guard's memberships, for a node without Config.Brokers:
// tests, and seeding a demo.
func (n *Node) ApplyGuard(ctx context.Context, g Guard) error {
	return n.store.Tx(ctx, func(q service.Queries) ([]service.Change, error) { return n.svc.ApplyGuard(ctx, q, g) })
}

// Sweep runs one pass of the background work now (Run does it every
// SweepInterval): the roster's re-gating as of today, the missed-tour
// sweep, forgetting other districts' bookings of shifts a day over, and
// the dispatch timers. It returns the members suspended or
// reinstated and the anomalies raised (missed tours, then dispatch
// targets breached).
func (n *Node) Sweep(ctx context.Context) (regated, missed int, err error) {
	regated, err = n.svc.Regate(ctx)
	if err != nil {
		return regated, 0, err
	}
	if missed, err = n.svc.SweepTours(ctx); err != nil {
		return regated, missed, err
	}
	if _, err = n.svc.PruneForeignBookings(ctx); err != nil {
		return regated, missed, err
	}
	_, err = n.SweepDispatches(ctx)
	return regated, missed, err
}

// SweepDispatches runs the dispatch timers now (Run does it every
// DispatchInterval): re-offers, escalations and breaches. It returns the
// breaches recorded.
func (n *Node) SweepDispatches(ctx context.Context) (int, error) { return n.svc.SweepDispatches(ctx) }

// Rules returns the patrol rules the node applies now.
func (n *Node) Rules() Rules { return n.rules.Load() }

// RulesLoaded is closed once the rules were read from etcd.
func (n *Node) RulesLoaded() <-chan struct{} { return n.rules.Loaded() }

// Run does the node's background work until ctx ends: the sweep (at
// start, then every SweepInterval), idempotency-key expiry, with etcd,
// watching the patrol rules, and, with Config.Brokers, consuming the
// district's membership topic into the projection of its guards and, with
// Deps.Districts too, every other district's patrols topic for its
// assignments (no double-booking of one person across districts).
func (n *Node) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if len(n.cfg.Brokers) > 0 {
		g.Go(func() error {
			transport.MembershipEvents{
				District: n.cfg.District, Store: n.store, Service: n.svc, Notify: n.Outbox().Notify,
				Consumer: eventbus.ConsumerConfig{
					Brokers: n.cfg.Brokers, DB: n.DB(), Logger: n.logger,
					Metrics: n.deps.Bus, Dialer: n.deps.Dialer, Transport: n.deps.Transport,
				},
			}.Run(ctx)
			return nil
		})
	}
	if len(n.cfg.Brokers) > 0 && n.deps.Districts != nil {
		g.Go(func() error { return n.followDistricts(ctx) })
	}
	if n.deps.Etcd != nil {
		g.Go(func() error { return n.rules.Run(ctx) })
		g.Go(func() error { return n.dispatch.Run(ctx) })
	}
	// The dispatch timers need a finer tick than the sweep: the accept
	// target is 30 s.
	g.Go(func() error {
		every := n.cfg.DispatchInterval
		if every <= 0 {
			every = 5 * time.Second
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if _, err := n.svc.SweepDispatches(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("patrols: dispatch timers failed; will retry", "err", err)
			}
		}
	})
	g.Go(func() error {
		every := n.cfg.SweepInterval
		if every <= 0 {
			every = time.Minute
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if r, m, err := n.Sweep(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("patrols: sweep failed; will retry", "err", err)
			} else if r > 0 || m > 0 {
				n.logger.Info("patrols: sweep", "regated", r, "missed_tours", m)
			}
			if _, err := n.svc.ExpireIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("patrols: idempotency key expiry failed", "err", err)
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

// followDistricts keeps one consumer per other registered district's
// patrols topic (transport.BookingEvents): a new district's starts, a
// removed one's stops.
func (n *Node) followDistricts(ctx context.Context) error {
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
		want := map[string]bool{}
		for _, d := range ds {
			if d.ID != n.cfg.District && eventbus.ValidName(d.ID) {
				want[d.ID] = true
			}
		}
		for id, stop := range consumers {
			if !want[id] {
				stop()
				delete(consumers, id)
			}
		}
		for id := range want {
			if _, ok := consumers[id]; ok {
				continue
			}
			cctx, stop := context.WithCancel(runCtx)
			consumers[id] = stop
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.bookings(id).Run(cctx)
			}()
		}
	}
	err := n.deps.Districts.Watch(runCtx, reconcile)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("patrols: watch districts: %w", err)
	}
	<-ctx.Done()
	return nil
}

// bookings is the consumer of source's patrols topic.
func (n *Node) bookings(source string) transport.BookingEvents {
	return transport.BookingEvents{
		District: n.cfg.District, Source: source, Store: n.store, Service: n.svc, Notify: n.Outbox().Notify,
		Consumer: eventbus.ConsumerConfig{
			// Another district's topic: dead letters under this node's prefix.
			Node:    n.cfg.District,
			Brokers: n.cfg.Brokers, DB: n.DB(), Logger: n.logger.With("source", source),
			Metrics: n.deps.Bus, Dialer: n.deps.Dialer, Transport: n.deps.Transport,
		},
	}
}

// ApplyBookingEvent applies one event of another district's patrols topic
// as its consumer would (without the inbox: the double bookings found are
// recorded, so a repeat tells nobody twice), for a node without
// Config.Brokers: tests and demos.
func (n *Node) ApplyBookingEvent(ctx context.Context, env *eventsv1.Envelope) error {
	h := n.bookings(env.GetDistrict())
	err := n.DB().InTx(ctx, func(tx *sql.Tx) error { return h.Handle(ctx, tx, eventbus.Message{Envelope: env}) })
	if err == nil {
		n.Outbox().Notify()
	}
	return err
}

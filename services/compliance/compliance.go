// Package compliance is the compliance service of a district node: the
// four-100% scoreboard (四个100%: background checked, trained, certified
// on duty, badge service) of every company and of the district, kept
// incrementally from membership's events, with the drill-down to the
// exact guards of each gap, the city's policy watched in etcd, the
// day's rollover at midnight Asia/Shanghai and a daily snapshot for the
// trend. New wires its layers (store → service → endpoints → HTTP) so that
// both the service's binary and the guildhall binary link the same code.
package compliance

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
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
	"github.com/guildhall/guildhall/services/compliance/internal/store"
	"github.com/guildhall/guildhall/services/compliance/internal/transport"
)

// ServiceName is the service's name in topics, metrics and elections.
const ServiceName = "compliance"

// openAPI is the service's OpenAPI 3 document, generated from the route
// table by `make openapi` (pkg/apidoc); a test fails when it is stale.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the service's OpenAPI 3 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Config configures a compliance node.
type Config struct {
	// District is the district this node serves, e.g. "jingkai".
	District string
	// DBPath is the SQLite file, e.g. data/jingkai/compliance.db (unused
	// when Storage.DSN names a PostgreSQL database).
	DBPath string
	// Storage tunes SQLite, or with a DSN puts the node's tables in the
	// PostgreSQL schema <district>_compliance instead.
	Storage storage.Config
	// TrustProxy takes a request's client address from the last
	// X-Forwarded-For entry.
	TrustProxy bool
	// Brokers are the Kafka bootstrap addresses the node consumes its
	// district's membership topic from (gh.<district>.membership.v1), the
	// scoreboard's only source. Empty: no consumer (tests apply events
	// with Node.ApplyMembership).
	Brokers []string
	// RefreshInterval is how often Run checks whether the day (China time)
	// or the policy changed and, if so, recomputes the scoreboard (default
	// 1s: the rollover lands within a second of midnight).
	RefreshInterval time.Duration
	// DefaultPolicy is the policy while etcd has none (zero:
	// policy.DefaultCompliance).
	DefaultPolicy policy.Compliance
	// Sealer seals the two-four-one checks' contents at rest (the city's
	// keyring, as membership's for national ID numbers). Required.
	Sealer *pii.Sealer
}

// Errors of Config.Validate.
var (
	ErrBadDistrict = errors.New("compliance: district must be lower-case letters, digits and dashes")
	ErrNoDBPath    = errors.New("compliance: a database path is required")
	ErrEmptyBroker = errors.New("compliance: a Kafka broker address is empty")
	ErrNoSealer    = errors.New("compliance: a sealing keyring is required (two-four-one contents are sealed at rest)")
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
	if c.Sealer == nil {
		return ErrNoSealer
	}
	if c.DefaultPolicy != (policy.Compliance{}) {
		if err := c.DefaultPolicy.Validate(); err != nil {
			return fmt.Errorf("compliance: default policy: %w", err)
		}
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
	// Storage counts the writes refused for lack of disk; nil counts nothing.
	Storage *storage.Metrics
	// Registerer receives the counters of the live policy value; nil
	// counts nothing.
	Registerer prometheus.Registerer
	// Etcd holds the city's compliance policy (policy.ComplianceKey); nil
	// (tests) uses Config.DefaultPolicy only.
	Etcd *clientv3.Client
	// Now is the clock; nil is time.Now. The day rolls over at midnight
	// China time on this clock.
	Now func() time.Time
	// Bus holds the event bus metrics shared by the process; nil uses
	// unregistered metrics.
	Bus *eventbus.Metrics
	// Dialer and Transport are optional Kafka dialer and transport (TLS,
	// SASL) for the membership consumer; nil for plain TCP.
	Dialer    *kafka.Dialer
	Transport kafka.RoundTripper
}

// Node is a running compliance service of one district. Its database,
// outbox and handler are node.Base's; the handler serves /compliance/…
// under /api/v1/districts/<district>.
type Node struct {
	*node.Base
	cfg      Config
	deps     Deps
	store    *store.Store
	board    *service.Scoreboard
	ins      *service.Inspections
	disputes *service.Disputes
	evals    *service.Evaluations
	timely   *service.Timeliness
	wages    *service.Wages
	compl    *service.Complaints
	logger   *slog.Logger
	policy   *config.Value[policy.Compliance]
	// evalPolicy is the city's evaluation policy (policy.EvaluationKey),
	// cadence the district's roundtable cadence (meetings' key).
	evalPolicy *config.Value[policy.EvaluationPolicy]
	cadence    *config.Value[policy.Cadence]
}

// New opens and migrates the node's database and wires the service. Call
// Run for its background work and Close when done.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.DefaultPolicy == (policy.Compliance{}) {
		cfg.DefaultPolicy = policy.DefaultCompliance
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = time.Second
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	logger := node.Logger(deps.Logger)
	base, err := node.OpenDistrict(ctx, node.District{Service: ServiceName, District: cfg.District, DBPath: cfg.DBPath,
		Storage: cfg.Storage, StorageMetrics: deps.Storage, Migrate: store.Migrate, Document: openAPI})
	if err != nil {
		return nil, err
	}
	pol := config.NewValue(deps.Etcd, policy.ComplianceKey, cfg.DefaultPolicy, policy.ParseCompliance, logger, deps.Registerer)
	st := store.New(base.DB(), base.Outbox())
	board := &service.Scoreboard{District: cfg.District, Now: deps.Now, Policy: pol.Load}
	svc := &service.Compliance{District: cfg.District, Store: st.Queries, Policy: pol.Load}
	ins := &service.Inspections{Store: st, Now: deps.Now, Policy: pol.Load}
	disp := service.NewDisputes(st, ins, deps.Now, pol.Load)
	fo := service.NewFourOne(st, cfg.Sealer, ins, deps.Now)
	evalPol := config.NewValue(deps.Etcd, policy.EvaluationKey, policy.DefaultEvaluationPolicy, policy.ParseEvaluation, logger, deps.Registerer)
	cad := config.NewValue(deps.Etcd, policy.CadenceKey(cfg.District), policy.DefaultCadence, policy.ParseCadence, logger, deps.Registerer)
	evals := &service.Evaluations{District: cfg.District, Store: st, Now: deps.Now, Policy: evalPol.Load, Compliance: pol.Load}
	timely := &service.Timeliness{Store: st, Now: deps.Now, Policy: pol.Load, Cadence: cad.Load}
	wages := service.NewWages(st, ins, deps.Now, pol.Load)
	compl := service.NewComplaints(st, ins, deps.Now, pol.Load)
	az := &authorizer{district: cfg.District, ins: ins, disputes: disp, fourOne: fo, evals: evals, wages: wages, compl: compl}
	svcs := services{svc: svc, ins: ins, disp: disp, fo: fo, evals: evals, timely: timely, wages: wages, compl: compl}
	if err := base.Serve(routeTable(svcs, az, kitx.DistrictPath(cfg.District)), deps.Endpoint,
		service.ErrDistrictNotFound, cfg.TrustProxy, logger); err != nil {
		_ = base.Close()
		return nil, err
	}
	return &Node{Base: base, cfg: cfg, deps: deps, store: st, board: board, ins: ins, disputes: disp, evals: evals, timely: timely, wages: wages,
		compl: compl, logger: logger, policy: pol, evalPolicy: evalPol, cadence: cad}, nil
}

// applier applies membership events to the scoreboard in a consumer's
// transactions: the counts of each transaction's events are kept in
// memory (service.TxBatch) and written once by SettleIn, the consumer's
// Batch scope's flush. The consumer applies one transaction at a time, so the
// applier holds the batch of the last transaction it saw; one that rolled
// back without SettleIn is dropped when the next begins.
type applier struct {
	n  *Node
	mu sync.Mutex
	tx *sql.Tx
	tb *service.TxBatch
}

func (a *applier) ApplyIn(ctx context.Context, tx *sql.Tx, ev service.MembershipEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tx != tx {
		a.tx, a.tb = tx, service.NewTxBatch()
	}
	tb := a.tb
	_, err := a.n.store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) { return a.n.board.ApplyIn(ctx, q, ev, tb) })
	return err
}

func (a *applier) SettleIn(ctx context.Context, tx *sql.Tx) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tx != tx {
		return nil // no membership event in tx
	}
	tb := a.tb
	a.tx, a.tb = nil, nil
	_, err := a.n.store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) { return a.n.board.Settle(ctx, q, tb) })
	return err
}

// meetingsApplier applies meetings events in a consumer's transaction.
type meetingsApplier struct{ n *Node }

func (a meetingsApplier) ApplyMeetingsIn(ctx context.Context, tx *sql.Tx, ev service.MeetingsEvent) error {
	_, err := a.n.store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) { return nil, service.ApplyMeetings(ctx, q, ev) })
	return err
}

// ApplyMeetings applies env, an event of the district's meetings topic, in
// a transaction of its own as the consumer's handler would (without its
// inbox), for a node without Config.Brokers: tests.
func (n *Node) ApplyMeetings(ctx context.Context, env *eventsv1.Envelope) error {
	ev, ok, err := transport.DecodeMeetings(env)
	if !ok || err != nil {
		return err
	}
	return n.store.Tx(ctx, func(q service.Queries) ([]service.Change, error) { return nil, service.ApplyMeetings(ctx, q, ev) })
}

// AnnounceObligations emits the obligation events due now (Run does it
// every minute) and returns how many.
func (n *Node) AnnounceObligations(ctx context.Context) (int, error) { return n.timely.Announce(ctx) }

// ApplyMembership applies env, an event of the district's membership
// topic, in a transaction of its own as the consumer's handler would
// (without the consumer's inbox: the scoreboard's own version checks make
// a duplicate change nothing), for a node without Config.Brokers: tests,
// benchmarks. An event the consumer would dead-letter is an error.
func (n *Node) ApplyMembership(ctx context.Context, env *eventsv1.Envelope) error {
	ev, ok, err := transport.Decode(env)
	if !ok || err != nil {
		return err
	}
	return n.store.Tx(ctx, func(q service.Queries) ([]service.Change, error) { return n.board.Apply(ctx, q, ev) })
}

// ApplyMembershipBatch applies envs in one transaction, in order, with the
// scoreboard's batch path (Scoreboard.ApplyBatch: the state and the
// batch's guards read once, each company's counts written once), for
// seeding a demo and the benchmark. An event that cannot apply fails the
// batch and nothing is written. The consumer does not use it: it applies
// each event in a savepoint of its batch (ApplyMembershipEach).
func (n *Node) ApplyMembershipBatch(ctx context.Context, envs []*eventsv1.Envelope) error {
	return n.store.Tx(ctx, func(q service.Queries) ([]service.Change, error) {
		evs, err := decodeAll(envs)
		if err != nil {
			return nil, err
		}
		return n.board.ApplyBatch(ctx, q, evs)
	})
}

// ApplyMembershipEach applies envs in one transaction as the consumer
// applies a fetched batch: each event by the consumer's handler path
// (Scoreboard.ApplyIn) in a savepoint of its own, then the batch's counts
// written once (Scoreboard.Settle, the flush of the consumer's Batch scope). It leaves
// out the consumer's own rows (the inbox's event id, the partition's
// position): the benchmark's measure of the scoreboard's cost on the
// consumer's path. An event that cannot apply fails the whole batch.
func (n *Node) ApplyMembershipEach(ctx context.Context, envs []*eventsv1.Envelope) error {
	return n.applyEach(ctx, envs, nil)
}

// applyEach is ApplyMembershipEach, calling before(i) (if set) before
// envs[i] is applied (tests move the clock mid-batch).
func (n *Node) applyEach(ctx context.Context, envs []*eventsv1.Envelope, before func(i int)) error {
	a := &applier{n: n}
	db := n.DB()
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for i, env := range envs {
			if before != nil {
				before(i)
			}
			ev, ok, err := transport.Decode(env)
			if err != nil {
				return fmt.Errorf("compliance: %s %s: %w", env.GetType(), env.GetEventId(), err)
			}
			if !ok {
				continue
			}
			if _, err := db.ExecTx(ctx, tx, "SAVEPOINT eventbus_event"); err != nil {
				return err
			}
			if err := a.ApplyIn(ctx, tx, ev); err != nil {
				return err
			}
			if _, err := db.ExecTx(ctx, tx, "RELEASE SAVEPOINT eventbus_event"); err != nil {
				return err
			}
		}
		return a.SettleIn(ctx, tx)
	})
	if err == nil {
		n.Outbox().Notify()
	}
	return err
}

func decodeAll(envs []*eventsv1.Envelope) ([]service.MembershipEvent, error) {
	evs := make([]service.MembershipEvent, 0, len(envs))
	for _, env := range envs {
		ev, ok, err := transport.Decode(env)
		if err != nil {
			return nil, fmt.Errorf("compliance: %s %s: %w", env.GetType(), env.GetEventId(), err)
		}
		if ok {
			evs = append(evs, ev)
		}
	}
	return evs, nil
}

// Refresh recomputes the scoreboard now if the day or the policy changed
// since the counts were computed (Run does it every RefreshInterval), and
// reports whether it did.
func (n *Node) Refresh(ctx context.Context) (bool, error) {
	// The common case, nothing changed, takes no write lock.
	st, ok, err := n.store.State(ctx)
	if err != nil {
		return false, err
	}
	if ok && st == (service.State{Day: service.Day(n.deps.Now()), Policy: n.policy.Load()}) {
		return false, nil
	}
	var did bool
	err = n.store.Tx(ctx, func(q service.Queries) ([]service.Change, error) {
		ch, ok, err := n.board.Refresh(ctx, q)
		did = ok
		return ch, err
	})
	return did, err
}

// AnnounceCounts emits one FourHundredCountsChanged per company whose
// counts changed since the last call (Run calls it every RefreshInterval)
// and returns how many.
func (n *Node) AnnounceCounts(ctx context.Context) (int, error) {
	// The common case, nothing changed, takes no write lock.
	if dirty, err := n.store.DirtyScores(ctx); err != nil || len(dirty) == 0 {
		return 0, err
	}
	var sent int
	err := n.store.Tx(ctx, func(q service.Queries) ([]service.Change, error) {
		ch, err := n.board.AnnounceCounts(ctx, q)
		sent = len(ch)
		return ch, err
	})
	return sent, err
}

// Escalate runs one pass of the overdue-remediation escalation now (Run
// does it every RefreshInterval) and returns how many events it emitted.
func (n *Node) Escalate(ctx context.Context) (int, error) { return n.ins.Escalate(ctx) }

// WageTimers runs one pass of the missed-declaration timer now (Run does
// it every tick).
func (n *Node) WageTimers(ctx context.Context) (int, error) { return n.wages.Timers(ctx) }

// ComplaintTimers runs one pass of the complaint timers now (Run does it
// every RefreshInterval) and returns how many events it emitted.
func (n *Node) ComplaintTimers(ctx context.Context) (int, error) { return n.compl.Timers(ctx) }

// DisputeTimers runs one pass of the dispute timers now (Run does it every
// RefreshInterval) and returns how many events it emitted.
func (n *Node) DisputeTimers(ctx context.Context) (int, error) { return n.disputes.Timers(ctx) }

// Recompute scores every guard from scratch now, whatever the stored
// state (the benchmark's full recompute; Refresh does it when needed).
func (n *Node) Recompute(ctx context.Context) error {
	return n.store.Tx(ctx, func(q service.Queries) ([]service.Change, error) {
		prev, ok, err := q.State(ctx)
		if err != nil {
			return nil, err
		}
		cur := service.State{Day: service.Day(n.deps.Now()), Policy: n.policy.Load()}
		if !ok {
			return n.board.Recompute(ctx, q, nil, cur)
		}
		return n.board.Recompute(ctx, q, &prev, cur)
	})
}

// Run does the node's background work until ctx ends: with etcd, watching
// the policy; every RefreshInterval, the day's rollover and the policy's
// recompute; with Config.Brokers, consuming the membership topic.
func (n *Node) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if len(n.cfg.Brokers) > 0 {
		g.Go(func() error {
			transport.MembershipEvents{
				District: n.cfg.District, Apply: &applier{n: n},
				Consumer: eventbus.ConsumerConfig{
					Brokers: n.cfg.Brokers, DB: n.DB(), Logger: n.logger,
					Metrics: n.deps.Bus, Dialer: n.deps.Dialer, Transport: n.deps.Transport,
				},
			}.Run(ctx)
			return nil
		})
	}
	if len(n.cfg.Brokers) > 0 {
		g.Go(func() error {
			transport.MeetingsEvents{
				District: n.cfg.District, Apply: meetingsApplier{n},
				Consumer: eventbus.ConsumerConfig{
					Brokers: n.cfg.Brokers, DB: n.DB(), Logger: n.logger,
					Metrics: n.deps.Bus, Dialer: n.deps.Dialer, Transport: n.deps.Transport,
				},
			}.Run(ctx)
			return nil
		})
	}
	if n.deps.Etcd != nil {
		g.Go(func() error { return n.policy.Run(ctx) })
		g.Go(func() error { return n.evalPolicy.Run(ctx) })
		g.Go(func() error { return n.cadence.Run(ctx) })
	}
	g.Go(func() error {
		if n.deps.Etcd != nil {
			// Score with the city's policy, not the default of the moment
			// before etcd is read (at most 30 s, as membership waits).
			select {
			case <-n.policy.Loaded():
			case <-time.After(30 * time.Second):
			case <-ctx.Done():
				return nil
			}
		}
		t := time.NewTicker(n.cfg.RefreshInterval)
		defer t.Stop()
		var expired, announced time.Time
		for {
			// Idempotency keys older than their TTL go, hourly.
			if now := n.deps.Now(); now.Sub(expired) >= time.Hour {
				if _, err := n.store.ExpireIdempotency(ctx, now.Add(-idempotency.TTL)); err != nil && ctx.Err() == nil {
					n.logger.Error("compliance: idempotency key expiry failed", "err", err)
				} else {
					expired = now
				}
			}
			if did, err := n.Refresh(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("compliance: scoreboard refresh failed; will retry", "err", err)
			} else if did {
				n.logger.Info("compliance: scoreboard recomputed", "day", service.Day(n.deps.Now()))
			}
			if sent, err := n.AnnounceCounts(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("compliance: announcing changed counts failed; will retry", "err", err)
			} else if sent > 0 {
				n.logger.Debug("compliance: changed counts announced", "companies", sent)
			}
			if sent, err := n.ins.Escalate(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("compliance: remediation escalation failed; will retry", "err", err)
			} else if sent > 0 {
				n.logger.Info("compliance: overdue remediations escalated", "events", sent)
			}
			if sent, err := n.disputes.Timers(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("compliance: dispute timers failed; will retry", "err", err)
			} else if sent > 0 {
				n.logger.Info("compliance: dispute timers fired", "events", sent)
			}
			if sent, err := n.wages.Timers(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("compliance: wage declaration timers failed; will retry", "err", err)
			} else if sent > 0 {
				n.logger.Info("compliance: missed wage declarations recorded", "events", sent)
			}
			if sent, err := n.compl.Timers(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("compliance: complaint timers failed; will retry", "err", err)
			} else if sent > 0 {
				n.logger.Info("compliance: complaint timers fired", "events", sent)
			}
			// The obligation events: a period's completion or miss is a
			// matter of days, so once a minute is soon enough.
			if now := n.deps.Now(); now.Sub(announced) >= time.Minute {
				if sent, err := n.timely.Announce(ctx); err != nil && ctx.Err() == nil {
					n.logger.Error("compliance: obligation events failed; will retry", "err", err)
				} else {
					announced = now
					if sent > 0 {
						n.logger.Info("compliance: obligation events", "events", sent)
					}
				}
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

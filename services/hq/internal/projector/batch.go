package projector

import (
	"context"
	"database/sql"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// pending is what the projector coalesces over one transaction of a
// consumer (Batch) and writes once before its commit: the freshness of each
// district and district service applied (every event used to upsert both
// rows, two statements of the dozen an event cost) and the guard tallies'
// changes (a company's tally is written once a batch, not once a guard).
//
// And the guard snapshots of the transaction, in order (guards), applied in
// bulk (store.ApplyGuards) before any other kind of event and at the flush:
// one guard at a time cost a read of its record, an upsert and a conflict
// lookup, 46% of the replay's CPU.
type pending struct {
	districts map[string]*touch
	services  map[[2]string]*touch
	tallies   *store.GuardTallies
	guards    []store.GuardWrite
}

// scope returns the pending writes of ctx's transaction scope (Batch), nil
// outside one.
func scope(ctx context.Context) *pending {
	pd, _ := ctx.Value(pendingKey{}).(*pending)
	return pd
}

// flushGuards applies pd's kept guard snapshots in tx and counts those that
// changed the read model in the Applied metric.
func (p *Projector) flushGuards(ctx context.Context, tx *sql.Tx, pd *pending) error {
	if len(pd.guards) == 0 {
		return nil
	}
	applied, err := p.store.ApplyGuards(ctx, tx, pd.guards, pd.tallies)
	if err != nil {
		return err
	}
	if p.metrics != nil {
		for i, ok := range applied {
			if ok {
				p.metrics.Applied.WithLabelValues(pd.guards[i].G.District).Inc()
			}
		}
	}
	pd.guards = pd.guards[:0]
	return nil
}

func newPending() *pending {
	return &pending{districts: map[string]*touch{}, services: map[[2]string]*touch{}, tallies: store.NewGuardTallies()}
}

// touch is the freshness of one district (or district service) over a
// transaction: the newest event time seen, the apply time of the last
// event, and how many events were applied.
type touch struct {
	occurred, applied time.Time
	n                 int64
}

func (t *touch) add(occurred, applied time.Time) {
	if occurred.After(t.occurred) {
		t.occurred = occurred
	}
	t.applied = applied
	t.n++
}

type pendingKey struct{}

// Batch opens the projector's scope of one consumer transaction
// (eventbus.ConsumerConfig.Batch): Apply with the context it returns keeps
// the freshness of the events it applies in memory, and flush writes it in
// the transaction. Apply without it writes at once, as it always did.
func (p *Projector) Batch(ctx context.Context) (context.Context, func(context.Context, *sql.Tx) error) {
	pd := newPending()
	return context.WithValue(ctx, pendingKey{}, pd), func(ctx context.Context, tx *sql.Tx) error {
		return p.flush(ctx, tx, pd)
	}
}

// flush writes what pd coalesced.
func (p *Projector) flush(ctx context.Context, tx *sql.Tx, pd *pending) error {
	if err := p.flushGuards(ctx, tx, pd); err != nil {
		return err
	}
	for d, t := range pd.districts {
		if err := p.store.TouchDistrictN(ctx, tx, d, t.occurred, t.applied, t.n); err != nil {
			return err
		}
	}
	for k, t := range pd.services {
		if err := p.store.TouchServiceN(ctx, tx, k[0], k[1], t.occurred, t.n); err != nil {
			return err
		}
	}
	clear(pd.districts)
	clear(pd.services)
	return p.store.FlushGuardTallies(ctx, tx, pd.tallies)
}

// touch records that an event of district's svc, which occurred at
// occurred, was applied at now: in the transaction's scope if there is one
// (Batch), else in tx at once.
func (p *Projector) touch(ctx context.Context, tx *sql.Tx, district, svc string, occurred, now time.Time) error {
	pd, _ := ctx.Value(pendingKey{}).(*pending)
	if pd == nil {
		pd = newPending()
		pd.add(district, svc, occurred, now)
		return p.flush(ctx, tx, pd)
	}
	pd.add(district, svc, occurred, now)
	return nil
}

func (pd *pending) add(district, svc string, occurred, now time.Time) {
	t := pd.districts[district]
	if t == nil {
		t = &touch{}
		pd.districts[district] = t
	}
	t.add(occurred, now)
	k := [2]string{district, svc}
	s := pd.services[k]
	if s == nil {
		s = &touch{}
		pd.services[k] = s
	}
	s.add(occurred, now)
}

package service

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Generation counts the changes of HQ's read model: whoever commits a
// transaction that changed a table the service reads calls Changed after
// the commit and before anyone can learn of it (HQ's consumers: after each
// applied event's commit, before the Applied hook and the offset commit).
// The zero value is ready; one Generation is shared by the writers and the
// service (Config.Generation).
//
// Why: under 50 readers that never pause on 2 cores a district view's
// p99 was 10–25 times an empty handler's, and each view re-read the same
// rows (its district's seed and city figures, every district's counts)
// that nothing had written since the last view. With the generation the
// service keeps each read until the read model changes and serves it
// again without touching the database.
//
// Heartbeats have a generation of their own (HeartbeatChanged): every
// district service sends one every few seconds, which would otherwise make
// every view read every count again that often, though a heartbeat changes
// none of them.
type Generation struct{ n, heartbeats atomic.Uint64 }

// Changed records that a transaction changing the read model committed.
func (g *Generation) Changed() { g.n.Add(1) }

// HeartbeatChanged records that a transaction that changed only heartbeats
// (Repository.Heartbeats) committed.
func (g *Generation) HeartbeatChanged() { g.heartbeats.Add(1) }

// Load returns the current generation.
func (g *Generation) Load() uint64 { return g.n.Load() }

// maxCached bounds the reads kept of one generation (keys carry days,
// periods and district ids): past it the cache starts over.
const maxCached = 4096

// readCache keeps the repository's reads of the current generation of
// the read model, each under a key of its method and arguments. A read is
// kept under the generation loaded before it began (before its snapshot),
// so a caller that loads the same generation gets a result that holds
// every commit counted before it asked. Nothing kept depends on the time
// but through its key (days, months, periods) or its validity interval
// (City's notices overdue, which change at an instant): the service
// derives everything measured from now (freshness ages, stale, silent)
// from the kept raw figures at serve time.
type readCache struct {
	gen *Generation
	// heartbeats: the cache follows gen's heartbeat generation instead.
	heartbeats bool

	mu      sync.Mutex
	at      uint64 // the generation of entries
	entries map[string]*cached
}

// cached is one kept read, or one under way.
type cached struct {
	done chan struct{}
	v    any
	err  error
	// from and until bound the instants (the service's clock) for which v
	// holds; a zero until is unbounded.
	from, until time.Time
}

func (c *cached) holdsAt(now time.Time) bool {
	return c.until.IsZero() || !now.Before(c.from) && !now.After(c.until)
}

// get returns read's result kept under key for the current generation and
// holding at now, or runs read (without ctx's cancellation: others may
// wait for it) and keeps its result. read returns the last instant its
// result holds for, from now on (zero: whatever the time, as long as the
// generation). An error is not kept.
func get[T any](ctx context.Context, c *readCache, key string, now time.Time, read func(ctx context.Context) (T, time.Time, error)) (T, error) {
	gen := c.current() // before the read's snapshot
	c.mu.Lock()
	if c.entries == nil || c.at != gen || len(c.entries) >= maxCached {
		c.at, c.entries = gen, map[string]*cached{}
	}
	e, ok := c.entries[key]
	if !ok {
		e = &cached{done: make(chan struct{}), from: now}
		c.entries[key] = e
	}
	c.mu.Unlock()
	if !ok {
		v, until, err := read(context.WithoutCancel(ctx))
		e.v, e.err, e.until = v, err, until
		close(e.done)
		if err != nil {
			c.forget(key, e)
		}
		return v, err
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	if e.err == nil && e.holdsAt(now) {
		return e.v.(T), nil
	}
	// Failed for the caller that ran it, or read for other instants: this
	// caller reads on its own, and keeps its result for the instants after.
	v, until, err := read(ctx)
	if err == nil {
		c.mu.Lock()
		if c.entries[key] == e && c.at == gen {
			c.entries[key] = &cached{done: closed, v: v, from: now, until: until}
		}
		c.mu.Unlock()
	}
	return v, err
}

// current is the generation c follows.
func (c *readCache) current() uint64 {
	if c.heartbeats {
		return c.gen.heartbeats.Load()
	}
	return c.gen.Load()
}

// forget drops e, kept under key, if it still is.
func (c *readCache) forget(key string, e *cached) {
	c.mu.Lock()
	if c.entries[key] == e {
		delete(c.entries, key)
	}
	c.mu.Unlock()
}

// farFuture is a bound that never passes.
var farFuture = time.Unix(1<<62, 0)

// closed is a done channel of a kept entry.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// key joins a read's method and arguments.
func key(parts ...string) string { return strings.Join(parts, "\x00") }

// cachedRepo is a Repository whose reads of the summary and the district
// views are kept by c until the read model changes; the others pass
// through. What it returns is shared by every caller of the generation:
// callers must not modify it.
type cachedRepo struct {
	Repository
	c *readCache
	// hb keeps the heartbeats, under their own generation.
	hb *readCache
}

func (r cachedRepo) Heartbeats(ctx context.Context) (map[string][]Heartbeat, error) {
	return get(ctx, r.hb, key("heartbeats"), time.Time{}, func(ctx context.Context) (map[string][]Heartbeat, time.Time, error) {
		v, err := r.Repository.Heartbeats(ctx)
		return v, time.Time{}, err
	})
}

func (r cachedRepo) Districts(ctx context.Context, today string) (map[string]DistrictData, error) {
	return get(ctx, r.c, key("districts", today), time.Time{}, func(ctx context.Context) (map[string]DistrictData, time.Time, error) {
		v, err := r.Repository.Districts(ctx, today)
		return v, time.Time{}, err
	})
}

func (r cachedRepo) ConflictTallies(ctx context.Context) (map[string]ConflictTally, error) {
	return get(ctx, r.c, key("conflict tallies"), time.Time{}, func(ctx context.Context) (map[string]ConflictTally, time.Time, error) {
		v, err := r.Repository.ConflictTallies(ctx)
		return v, time.Time{}, err
	})
}

func (r cachedRepo) Meetings(ctx context.Context, today string) (map[string]MeetingCounts, error) {
	return get(ctx, r.c, key("meetings", today), time.Time{}, func(ctx context.Context) (map[string]MeetingCounts, time.Time, error) {
		v, err := r.Repository.Meetings(ctx, today)
		return v, time.Time{}, err
	})
}

func (r cachedRepo) ConventionSigners(ctx context.Context, version string) (map[string]int64, error) {
	return get(ctx, r.c, key("convention signers", version), time.Time{}, func(ctx context.Context) (map[string]int64, time.Time, error) {
		v, err := r.Repository.ConventionSigners(ctx, version)
		return v, time.Time{}, err
	})
}

func (r cachedRepo) RoundtablesHeld(ctx context.Context, district string, from, to time.Time) (int64, error) {
	k := key("roundtables held", district, from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano))
	return get(ctx, r.c, k, time.Time{}, func(ctx context.Context) (int64, time.Time, error) {
		v, err := r.Repository.RoundtablesHeld(ctx, district, from, to)
		return v, time.Time{}, err
	})
}

// City is kept until the first notice's acknowledgement deadline after
// now passes (NoticeStats.Overdue counts the deadlines before now).
func (r cachedRepo) City(ctx context.Context, district, today, month string, now time.Time, periods []string) (map[string]CityData, error) {
	k := key("city", district, today, month, strings.Join(periods, ","))
	return get(ctx, r.c, k, now, func(ctx context.Context) (map[string]CityData, time.Time, error) {
		v, err := r.Repository.City(ctx, district, today, month, now, periods)
		// Bounded even without a deadline ahead: a clock set back must not
		// get figures read at a later instant (from).
		until := farFuture
		for _, cd := range v {
			if d := cd.Messaging.NextDeadline; d != nil && d.Before(until) {
				until = *d
			}
		}
		return v, until, err
	})
}

func (r cachedRepo) Trend(ctx context.Context, district, since string) ([]TrendPoint, error) {
	return get(ctx, r.c, key("trend", district, since), time.Time{}, func(ctx context.Context) ([]TrendPoint, time.Time, error) {
		v, err := r.Repository.Trend(ctx, district, since)
		return v, time.Time{}, err
	})
}

func (r cachedRepo) Seed(ctx context.Context, district, from, to, month string) (map[string]SeedData, error) {
	return get(ctx, r.c, key("seed", district, from, to, month), time.Time{}, func(ctx context.Context) (map[string]SeedData, time.Time, error) {
		v, err := r.Repository.Seed(ctx, district, from, to, month)
		return v, time.Time{}, err
	})
}

package config

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Value is a live setting read from one etcd key: validated, swapped in with
// atomic.Pointer; a bad value is rejected, logged, counted and the last good
// one stays. etcd gone → last good stays. Deleting the key restores the
// default. Load is safe from any goroutine.
type Value[T any] struct {
	cli    *clientv3.Client
	key    string
	def    T
	parse  func([]byte) (T, error)
	logger *slog.Logger
	m      *metrics
	cur    atomic.Pointer[T]
	// loaded is closed once the key has been read from etcd (present or
	// absent), so a caller can wait for the city's value rather than act
	// on the default in the moment between start and the first read.
	loaded     chan struct{}
	loadedOnce sync.Once
}

// NewValue returns a Value for key holding def until Run reads the key.
// parse decodes and validates the raw bytes; an error rejects the value.
// Metrics are registered on reg (nil: unregistered) and may be shared
// between many Values and a Registry on the same registry; the key is the
// source label.
func NewValue[T any](cli *clientv3.Client, key string, def T, parse func([]byte) (T, error), logger *slog.Logger, reg prometheus.Registerer) *Value[T] {
	v := &Value[T]{cli: cli, key: key, def: def, parse: parse, logger: logger, m: newMetrics(reg), loaded: make(chan struct{})}
	v.cur.Store(&def)
	return v
}

// Load returns the current value: the default, or the last good value read
// from etcd.
func (v *Value[T]) Load() T { return *v.cur.Load() }

// Loaded is closed once Run has read the key for the first time; until
// then Load returns the default. It stays open while etcd cannot be read.
func (v *Value[T]) Loaded() <-chan struct{} { return v.loaded }

// Key returns the etcd key the value is read from.
func (v *Value[T]) Key() string { return v.key }

// Run reads the key and watches it, swapping in each valid value, until ctx
// ends; it then returns nil. Errors from etcd are retried, never returned.
func (v *Value[T]) Run(ctx context.Context) error {
	w := &watcher{
		cli: v.cli, key: v.key, source: v.key, logger: v.logger, m: v.m,
		load: func(resp *clientv3.GetResponse) {
			defer v.loadedOnce.Do(func() { close(v.loaded) })
			if len(resp.Kvs) == 0 {
				v.reset(ctx)
				return
			}
			v.set(ctx, resp.Kvs[0].Value)
		},
		apply: func(events []*clientv3.Event) {
			// Only the newest event of a batch matters.
			ev := events[len(events)-1]
			if ev.Type == clientv3.EventTypeDelete {
				v.reset(ctx)
				return
			}
			v.set(ctx, ev.Kv.Value)
		},
	}
	return w.run(ctx)
}

// set parses raw and swaps it in if valid.
func (v *Value[T]) set(ctx context.Context, raw []byte) {
	parsed, err := v.parse(raw)
	if err != nil {
		v.m.invalid.WithLabelValues(v.key).Inc()
		v.logger.WarnContext(ctx, "rejecting invalid configuration value; keeping the last good one", "key", v.key, "err", err)
		return
	}
	v.cur.Store(&parsed)
	v.m.reloads.WithLabelValues(v.key).Inc()
	v.logger.InfoContext(ctx, "configuration value applied", "key", v.key)
}

// reset restores the default after the key was deleted (or is absent).
func (v *Value[T]) reset(ctx context.Context) {
	def := v.def
	if old := v.cur.Swap(&def); old != nil {
		v.logger.DebugContext(ctx, "configuration key absent; using the default", "key", v.key)
	}
}

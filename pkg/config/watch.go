package config

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Retry pacing of the list-then-watch loop after etcd errors.
const (
	minBackoff     = 50 * time.Millisecond
	maxBackoff     = 5 * time.Second
	requestTimeout = 5 * time.Second
)

// metrics are the live-configuration metrics, shared by the Registry and
// every Value of a process; the source label names the key or prefix.
type metrics struct {
	invalid    *prometheus.CounterVec
	etcdErrors *prometheus.CounterVec
	reloads    *prometheus.CounterVec
}

// newMetrics registers the metrics on reg, reusing collectors already
// registered there by another Value or Registry (nil reg: unregistered).
func newMetrics(reg prometheus.Registerer) *metrics {
	return &metrics{
		invalid: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_config_invalid_total",
			Help: "Configuration values read from etcd that failed validation and were ignored.",
		}, []string{"source"})),
		etcdErrors: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_config_etcd_errors_total",
			Help: "Failed etcd reads and broken watches of live configuration; the last good value is kept.",
		}, []string{"source"})),
		reloads: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_config_reloads_total",
			Help: "Valid configuration changes applied from etcd.",
		}, []string{"source"})),
	}
}

// register registers c on reg and returns it, or returns the collector of
// the same description already registered: many Values share one registry.
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
		panic(err) // a conflicting definition is a programming error
	}
	return c
}

// watcher runs the list-then-watch loop over one key or prefix.
type watcher struct {
	cli    *clientv3.Client
	key    string
	prefix bool
	source string
	logger *slog.Logger
	m      *metrics
	// load receives every full read; apply every batch of watch events.
	load  func(*clientv3.GetResponse)
	apply func([]*clientv3.Event)
}

// run reads the key (or prefix), hands it to load, then watches from the
// next revision and hands each batch of events to apply, until ctx ends.
// When the read fails or the watch breaks (etcd unreachable, no leader,
// compaction) it counts, waits with backoff and starts over with a full
// read, so a compacted revision is never needed and nothing is missed;
// load/apply are not called in the meantime, so the last good state stays.
func (w *watcher) run(ctx context.Context) error {
	backoff := minBackoff
	var opts []clientv3.OpOption
	if w.prefix {
		opts = append(opts, clientv3.WithPrefix())
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		resp, err := w.cli.Get(rctx, w.key, opts...)
		cancel()
		if err == nil {
			backoff = minBackoff
			w.load(resp)
			err = w.watch(ctx, resp.Header.Revision+1, opts)
		}
		if ctx.Err() != nil {
			return nil
		}
		w.m.etcdErrors.WithLabelValues(w.source).Inc()
		w.logger.WarnContext(ctx, "etcd read or watch failed; keeping the last good configuration",
			"source", w.source, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// errWatchClosed means the watch channel closed without an error.
var errWatchClosed = errors.New("config: etcd watch closed")

// watch applies events from rev until the watch fails; it returns why.
func (w *watcher) watch(ctx context.Context, rev int64, opts []clientv3.OpOption) error {
	// WithRequireLeader makes the watch fail when the member is cut off from
	// its cluster instead of silently delivering nothing.
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	wch := w.cli.Watch(wctx, w.key, append(opts, clientv3.WithRev(rev))...)
	for wr := range wch {
		if err := wr.Err(); err != nil {
			if wr.CompactRevision != 0 || errors.Is(err, rpctypes.ErrCompacted) {
				return errors.Join(err, errors.New("config: watch revision compacted; re-reading"))
			}
			return err
		}
		if len(wr.Events) > 0 {
			w.apply(wr.Events)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errWatchClosed
}

package eventbus

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Default pauses of Supervise.
const (
	DefaultRestartMinDelay = time.Second
	DefaultRestartMaxDelay = 30 * time.Second
)

// SuperviseConfig configures Supervise.
type SuperviseConfig struct {
	// Name says what runs, as the start of the restart log message, e.g.
	// "hq: consumer" ("hq: consumer stopped, restarting").
	Name string
	// Logger receives one ERROR record per restart; give it the attributes
	// that tell this run from others (district, service). Nil discards.
	Logger *slog.Logger
	// Restarts, if set, counts the restarts, e.g.
	// Metrics.ConsumerRestartsOf(topic, consumer).
	Restarts prometheus.Counter
	// MinDelay is the pause before the first restart; default
	// DefaultRestartMinDelay.
	MinDelay time.Duration
	// MaxDelay caps the pause, which doubles with every restart in a row;
	// default DefaultRestartMaxDelay.
	MaxDelay time.Duration

	// wait and now replace the pause and the clock (tests).
	wait func(ctx context.Context, d time.Duration) bool
	now  func() time.Time
}

// Supervise calls run until ctx ends, and calls it again whenever it
// returns before that — with an error, or with nil, which a run that only
// ends with its context never should — after a pause that doubles from
// MinDelay up to MaxDelay. A run that lasted MaxDelay or longer was healthy:
// the pause after it starts again from MinDelay, so a consumer that fails
// once a day is not made to wait as if it had failed all day. Each restart
// is logged at ERROR and counted in Restarts. Supervise returns once ctx
// has ended and the run in progress has returned.
//
// A consumer handles broker failures itself and retries them; what reaches
// Supervise is what it cannot recover from in place (a consumer that could
// not be built, a consumer group that could not be created).
func Supervise(ctx context.Context, cfg SuperviseConfig, run func(context.Context) error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinDelay <= 0 {
		cfg.MinDelay = DefaultRestartMinDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = DefaultRestartMaxDelay
	}
	cfg.MaxDelay = max(cfg.MaxDelay, cfg.MinDelay)
	if cfg.wait == nil {
		cfg.wait = sleepCtx
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	bo := newBackoff(cfg.MinDelay, cfg.MaxDelay)
	for {
		start := cfg.now()
		err := run(ctx)
		if ctx.Err() != nil {
			return
		}
		if cfg.now().Sub(start) >= cfg.MaxDelay {
			bo.reset()
		}
		delay := bo.next()
		if cfg.Restarts != nil {
			cfg.Restarts.Inc()
		}
		attrs := []any{"in", delay}
		if err != nil {
			attrs = append(attrs, "err", err)
		} else {
			attrs = append(attrs, "reason", "returned before its context ended")
		}
		cfg.Logger.ErrorContext(ctx, cfg.Name+" stopped, restarting", attrs...)
		if !cfg.wait(ctx, delay) {
			return
		}
	}
}

// SuperviseConsumer runs the consumer cfg describes until ctx ends,
// building it again with Supervise's backoff whenever it stops with an
// error (the broker down when the node starts, the group lost). name
// starts the restart log message; restarts are counted per topic and
// group (Metrics.ConsumerRestartsOf). A district service's consumer of
// another service's topic is this call with its topic, group and handler.
func SuperviseConsumer(ctx context.Context, name string, cfg ConsumerConfig) {
	Supervise(ctx, SuperviseConfig{
		Name:     name,
		Logger:   cfg.Logger,
		Restarts: cfg.Metrics.ConsumerRestartsOf(cfg.Topic, cfg.GroupID),
	}, func(ctx context.Context) error {
		c, err := NewConsumer(cfg)
		if err != nil {
			return err
		}
		return c.Run(ctx)
	})
}

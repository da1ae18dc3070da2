package node

import (
	"context"

	"github.com/guildhall/guildhall/pkg/eventbus"
)

// Consumer is a district service's consumer of one topic, the one way
// every service sets one up: the process's consumer configuration (Base:
// brokers, the node's database, logger, metrics, dialer, transport, the
// Applied probe), the topic and group the consumer owns, its handler and,
// for a handler that writes the node's outbox, the relay's wake-up.
type Consumer struct {
	// Name starts the restart log message, e.g. "patrols: membership
	// consumer".
	Name string
	// Topic is the topic read, e.g. eventbus.Topic(district, "membership").
	Topic string
	// GroupID is the consumer group (and, unless Base.Name is set, the
	// inbox name).
	GroupID string
	// Handler applies one event inside the consumer's transaction.
	Handler eventbus.Handler
	// Notify, if set, is called after each event's transaction committed,
	// before Base.Applied: the outbox's Notify, so that the events the
	// handler wrote are relayed at once rather than at the relay's next
	// safety poll.
	Notify func()
	// Base is the rest of the configuration; Config overrides its Topic,
	// GroupID, Handler and Applied.
	Base eventbus.ConsumerConfig
}

// Config returns the eventbus configuration of the consumer: Base with
// the consumer's topic, group and handler, and an Applied that calls
// Notify and then Base.Applied.
func (c Consumer) Config() eventbus.ConsumerConfig {
	cfg := c.Base
	cfg.Topic, cfg.GroupID, cfg.Handler = c.Topic, c.GroupID, c.Handler
	if notify, applied := c.Notify, cfg.Applied; notify != nil {
		cfg.Applied = func(m eventbus.Message) {
			notify()
			if applied != nil {
				applied(m)
			}
		}
	}
	return cfg
}

// Run consumes the topic until ctx ends, building the consumer again with
// backoff whenever it fails (eventbus.SuperviseConsumer).
func (c Consumer) Run(ctx context.Context) {
	eventbus.SuperviseConsumer(ctx, c.Name, c.Config())
}

package standalone

import (
	"fmt"
	"sync"

	"github.com/segmentio/kafka-go"
)

// HQNode is the node name NodeKafka is asked for HQ's clients (HQ's
// consumers and the HQ-role messaging service), as the chart names HQ's
// release and its KafkaUser.
const HQNode = "hq"

// nodeKafka are one node's Kafka connectors: the dialer of its consumer
// groups and the transport of everything else (fetches, relays,
// heartbeats, dead letters). Both nil for a plain-TCP cluster, which
// every component then reaches with a transport of its own, as before.
type nodeKafka struct {
	dialer    *kafka.Dialer
	transport *kafka.Transport
}

// kafkaClients builds and keeps each node's connectors.
type kafkaClients struct {
	mu    sync.Mutex
	nodes map[string]nodeKafka
}

// kafkaFor returns node's Kafka connectors: from Config.NodeKafka(node) if
// set (each node its own principal, as each release has its own
// KafkaUser), else from Config.Kafka (-kafka.tls.*, -kafka.sasl.*), on the
// city's brokers. Nothing to configure (no TLS, no SASL, no NodeKafka)
// gives nil connectors.
func (c *City) kafkaFor(node string) (nodeKafka, error) {
	k := c.cfg.Kafka
	if c.cfg.NodeKafka != nil {
		k = c.cfg.NodeKafka(node)
	} else if !k.TLS.Enabled && k.SASL.Mechanism == "" {
		return nodeKafka{}, nil
	}
	c.kafka.mu.Lock()
	defer c.kafka.mu.Unlock()
	if nk, ok := c.kafka.nodes[node]; ok {
		return nk, nil
	}
	k.Brokers = c.brokers
	d, err := k.Dialer()
	if err != nil {
		return nodeKafka{}, fmt.Errorf("standalone: kafka settings of node %s: %w", node, err)
	}
	t, err := k.Transport()
	if err != nil {
		return nodeKafka{}, fmt.Errorf("standalone: kafka settings of node %s: %w", node, err)
	}
	if c.kafka.nodes == nil {
		c.kafka.nodes = map[string]nodeKafka{}
	}
	nk := nodeKafka{dialer: d, transport: t}
	c.kafka.nodes[node] = nk
	return nk, nil
}

// roundTripper is the transport as the components' optional
// kafka.RoundTripper: nil (not a typed nil) when there is none, so that
// each makes its own.
func (nk nodeKafka) roundTripper() kafka.RoundTripper {
	if nk.transport == nil {
		return nil
	}
	return nk.transport
}

// closeIdle closes every node transport's idle connections (at shutdown).
func (kc *kafkaClients) closeIdle() {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	for _, nk := range kc.nodes {
		nk.transport.CloseIdleConnections()
	}
}

package eventbus

import (
	"time"

	"github.com/segmentio/kafka-go"
)

// adminClient returns a client for one round of metadata and offset
// queries, and a func releasing it.
//
// kafka-go's Transport answers Metadata requests from a cache refreshed
// every MetadataTTL (6 s by default), so a long-lived transport would hide a
// restarted broker's new cluster id, a deleted topic or a topic that was
// just created. A fresh transport per round asks the broker itself. It
// copies the settings (TLS, SASL, dialer) of base when base is a
// *kafka.Transport; any other RoundTripper is used as is.
//
// topic is the one topic the client is for: the transport caches the
// metadata of that topic only. Without it, each transport cached the
// partition layout of every topic of the cluster, and HQ keeps one per
// partition worker (3 per topic, 6 topics a district): the memory grew
// with the square of the districts (146 of 302 MiB of HQ's heap in a city
// of 20 districts).
func adminClient(brokers []string, base kafka.RoundTripper, topic string) (*kafka.Client, func()) {
	var tr *kafka.Transport
	switch t := base.(type) {
	case nil:
		tr = &kafka.Transport{MetadataTopics: []string{topic}}
	case *kafka.Transport:
		tr = &kafka.Transport{
			Dial: t.Dial, DialTimeout: t.DialTimeout, IdleTimeout: t.IdleTimeout,
			MetadataTTL: t.MetadataTTL, MetadataTopics: []string{topic}, ClientID: t.ClientID,
			TLS: t.TLS, SASL: t.SASL, Resolver: t.Resolver, Context: t.Context,
		}
	default:
		return &kafka.Client{Addr: kafka.TCP(brokers...), Transport: base, Timeout: 10 * time.Second}, func() {}
	}
	return &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 10 * time.Second}, tr.CloseIdleConnections
}

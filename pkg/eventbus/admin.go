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
func adminClient(brokers []string, base kafka.RoundTripper) (*kafka.Client, func()) {
	var tr *kafka.Transport
	switch t := base.(type) {
	case nil:
		tr = &kafka.Transport{}
	case *kafka.Transport:
		tr = &kafka.Transport{
			Dial: t.Dial, DialTimeout: t.DialTimeout, IdleTimeout: t.IdleTimeout,
			MetadataTTL: t.MetadataTTL, MetadataTopics: t.MetadataTopics, ClientID: t.ClientID,
			TLS: t.TLS, SASL: t.SASL, Resolver: t.Resolver, Context: t.Context,
		}
	default:
		return &kafka.Client{Addr: kafka.TCP(brokers...), Transport: base, Timeout: 10 * time.Second}, func() {}
	}
	return &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 10 * time.Second}, tr.CloseIdleConnections
}

package eventbus

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/devstack"
)

// TestFetchBoundedByFetchMaxBytes: a partition fetch returns no more than
// FetchMaxBytes (one whole record batch at least), the default is
// DefaultFetchMaxBytes, and the identity check after every fetch decodes
// one message, not a full response.
func TestFetchBoundedByFetchMaxBytes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic = "gh.jingkai.membership.v1"
	broker, w := onePartitionWriter(t, topic)
	// 40 record batches of one 1 KiB message each.
	value := bytes.Repeat([]byte("x"), 1<<10)
	for i := range 40 {
		if err := w.WriteMessages(ctx, kafka.Message{Key: []byte{byte(i)}, Value: value}); err != nil {
			t.Fatal(err)
		}
	}
	// Then one record batch of 5 (offsets 40–44).
	five := make([]kafka.Message, 5)
	for i := range five {
		five[i] = kafka.Message{Key: []byte{byte(40 + i)}, Value: value}
	}
	if err := w.WriteMessages(ctx, five...); err != nil {
		t.Fatal(err)
	}
	db := newDB(t, "fetch")
	c := newConsumer(t, ConsumerConfig{Brokers: []string{broker.Addr}, Topic: topic, GroupID: "g", DB: db, Handler: countingHandler})
	if c.cfg.FetchMaxBytes != DefaultFetchMaxBytes {
		t.Fatalf("FetchMaxBytes %d, want the default %d", c.cfg.FetchMaxBytes, DefaultFetchMaxBytes)
	}
	cli, release := adminClient([]string{broker.Addr}, nil, topic)
	defer release()
	all, _, err := c.fetch(ctx, cli, 0, 0, 100*time.Millisecond, c.cfg.FetchMaxBytes, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 45 {
		t.Fatalf("a default fetch returned %d of 45 messages", len(all))
	}
	some, _, err := c.fetch(ctx, cli, 0, 0, 100*time.Millisecond, 8<<10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(some) == 0 || len(some) > 9 {
		t.Fatalf("an 8 KiB fetch returned %d messages of 1 KiB", len(some))
	}
	id, found, err := c.identityAt(ctx, cli, 0, 7)
	if err != nil || !found || id != identity(all[7]) {
		t.Fatalf("identity at 7: %q %v %v, want %q", id, found, err, identity(all[7]))
	}
	one, _, err := c.fetch(ctx, cli, 0, 41, 100*time.Millisecond, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != 1 || one[0].Offset != 41 {
		t.Fatalf("a one-message fetch at 41 (in a batch of 5) returned %d messages", len(one))
	}
}

// TestAdminClientCachesItsTopicOnly: the transport of a consumer's or a
// relay's client caches the metadata of its own topic, not of the whole
// cluster (HQ keeps one per partition worker: all topics in each grew its
// memory with the square of the districts), with or without a base
// transport's settings.
func TestAdminClientCachesItsTopicOnly(t *testing.T) {
	const topic = "gh.jingkai.membership.v1"
	for _, base := range []kafka.RoundTripper{nil, &kafka.Transport{ClientID: "guildhall", MetadataTopics: []string{"x", "y"}}} {
		cli, release := adminClient([]string{"127.0.0.1:1"}, base, topic)
		tr, ok := cli.Transport.(*kafka.Transport)
		if !ok {
			t.Fatalf("transport %T", cli.Transport)
		}
		if len(tr.MetadataTopics) != 1 || tr.MetadataTopics[0] != topic {
			t.Errorf("base %T: MetadataTopics %v, want [%s]", base, tr.MetadataTopics, topic)
		}
		if b, ok := base.(*kafka.Transport); ok && tr.ClientID != b.ClientID {
			t.Errorf("base settings not copied: ClientID %q", tr.ClientID)
		}
		release()
	}
}

// onePartitionWriter starts a broker whose topics have one partition and a
// writer to topic on it that sends each WriteMessages call as its own
// record batch; both end with t.
func onePartitionWriter(t *testing.T, topic string) (*devstack.Broker, *kafka.Writer) {
	t.Helper()
	broker := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	tr := &kafka.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	w := &kafka.Writer{Addr: kafka.TCP(broker.Addr), Topic: topic, RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond, AllowAutoTopicCreation: true, Transport: tr}
	t.Cleanup(func() { _ = w.Close() })
	return broker, w
}

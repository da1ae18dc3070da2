package node_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/node"
)

func TestConsumerConfigOwnsItsTopicGroupAndHandlerAndWakesTheRelayBeforeTheProbe(t *testing.T) {
	t.Parallel()
	var calls []string
	handled := false
	c := node.Consumer{
		Name: "test: consumer", Topic: "gh.jingkai.patrols.v1", GroupID: "messaging-jingkai-patrols",
		Handler: func(context.Context, *sql.Tx, eventbus.Message) error { handled = true; return nil },
		Notify:  func() { calls = append(calls, "notify") },
		Base: eventbus.ConsumerConfig{
			Brokers: []string{"b:9092"}, Topic: "gh.other.v1", GroupID: "other", Name: "inbox",
			Applied: func(eventbus.Message) { calls = append(calls, "applied") },
		},
	}
	cfg := c.Config()
	if cfg.Topic != c.Topic || cfg.GroupID != c.GroupID || cfg.Name != "inbox" || len(cfg.Brokers) != 1 {
		t.Fatalf("config %+v: want the consumer's topic and group over Base's, Base's inbox name and brokers kept", cfg)
	}
	if err := cfg.Handler(context.Background(), nil, eventbus.Message{}); err != nil || !handled {
		t.Fatalf("the handler is not the consumer's: %v, handled %v", err, handled)
	}
	cfg.Applied(eventbus.Message{})
	if got := strings.Join(calls, ","); got != "notify,applied" {
		t.Fatalf("after a commit: %q, want the relay woken, then the probe", got)
	}

	c.Notify, c.Base.Applied = func() { calls = append(calls, "notify") }, nil
	calls = nil
	c.Config().Applied(eventbus.Message{})
	if len(calls) != 1 {
		t.Fatalf("without a probe: %v, want the relay woken alone", calls)
	}
	c.Notify = nil
	if c.Config().Applied != nil {
		t.Fatal("neither a wake-up nor a probe: want no Applied")
	}
}

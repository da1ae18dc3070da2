package eventbus

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// The inbox forgets an applied event id once it is older than the
// retention — its own consumer's only, in batches — and remembers every
// younger one.
func TestInboxRetentionForgetsOnlyOldIDsOfItsConsumer(t *testing.T) {
	db := newDB(t, "inbox")
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "gh.jingkai.membership.v1",
		GroupID: "hq", DB: db, Handler: countingHandler, InboxRetention: 30 * 24 * time.Hour})
	insert := func(consumer, id string, at time.Time) {
		t.Helper()
		if _, err := db.Exec(db.Rebind(`INSERT INTO eventbus_inbox (consumer, event_id, topic, applied_at) VALUES (?, ?, 't', ?)`),
			consumer, id, at.UTC().Format(time.RFC3339Nano)); err != nil {
			t.Fatal(err)
		}
	}
	old := inboxPruneBatch + 7 // more than one batch
	for i := range old {
		insert("hq", "old-"+strconv.Itoa(i), now.Add(-31*24*time.Hour).Add(time.Duration(i)*time.Millisecond))
	}
	insert("hq", "young", now.Add(-29*24*time.Hour))
	insert("other", "old-of-another-consumer", now.Add(-90*24*time.Hour))
	n, err := c.pruneInbox(ctx, now)
	if err != nil || n != int64(old) {
		t.Fatalf("pruned %d (%v), want %d", n, err, old)
	}
	if got := sqlCount(t, db, `SELECT count(*) FROM eventbus_inbox WHERE consumer = 'hq'`); got != 1 {
		t.Errorf("%d rows of hq left, want the young one", got)
	}
	if got := sqlCount(t, db, `SELECT count(*) FROM eventbus_inbox WHERE consumer = 'other'`); got != 1 {
		t.Errorf("another consumer's row was pruned")
	}
	if c2, _ := NewConsumer(ConsumerConfig{Brokers: []string{"x"}, Topic: "gh.a.b.v1", GroupID: "g", DB: db, Handler: countingHandler}); c2.cfg.InboxRetention != DefaultInboxRetention {
		t.Errorf("default retention %s", c2.cfg.InboxRetention)
	}
}

type slowCloser struct{ release chan struct{} }

func (s slowCloser) Close() error { <-s.release; return nil }

// A consumer group whose Close waits (a JoinGroup in flight holds it up to
// the 30 s rebalance timeout) does not hold the consumer's shutdown.
func TestShutdownDoesNotWaitForAGroupThatWillNotLeave(t *testing.T) {
	db := newDB(t, "close")
	c := newConsumer(t, ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "gh.jingkai.membership.v1", GroupID: "hq", DB: db, Handler: countingHandler})
	g := slowCloser{release: make(chan struct{})}
	defer close(g.release)
	done := make(chan struct{})
	go func() { c.closeGroupWithin(g, 50*time.Millisecond); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // against a hang only
		t.Fatal("closeGroupWithin waited for a Close that does not return")
	}
}

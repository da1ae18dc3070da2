package eventbus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
)

// postgresRun names the test under which newDB opens PostgreSQL.
const postgresRun = "TestPostgres"

// onPostgres reports whether t runs under TestPostgres, whose subtests are
// the SQLite tests of the outbox, relay, inbox and parked events run again,
// unchanged, on PostgreSQL databases.
func onPostgres(t *testing.T) bool { return strings.HasPrefix(t.Name(), postgresRun+"/") }

// TestPostgres runs the outbox, relay, inbox and parking tests with every
// database they open a fresh PostgreSQL one (GUILDHALL_TEST_PG_DSN; they
// skip without it, and fail under CI).
func TestPostgres(t *testing.T) {
	pgtest.ServerDSN(t)
	for _, c := range []struct {
		name string
		test func(*testing.T)
	}{
		{"RelayPublishesOutboxInOrderAndRetainsRows", TestRelayPublishesOutboxInOrderAndRetainsRows},
		{"RelayRetentionDeletesOnlyOldSentRows", TestRelayRetentionDeletesOnlyOldSentRows},
		{"RelayKilledBeforeMarkRepublishesAndConsumerDedups", TestRelayKilledBeforeMarkRepublishesAndConsumerDedups},
		{"RelayRepublishesToBrokerThatLostEvents", TestRelayRepublishesToBrokerThatLostEvents},
		{"RelayRecordsPositionWithEmptyOutbox", TestRelayRecordsPositionWithEmptyOutbox},
		{"InboxRetentionForgetsOnlyOldIDsOfItsConsumer", TestInboxRetentionForgetsOnlyOldIDsOfItsConsumer},
		{"EventsOfATypeTheConsumerLacksAreParkedAndApplyInOrderAfterTheUpgrade", TestEventsOfATypeTheConsumerLacksAreParkedAndApplyInOrderAfterTheUpgrade},
		{"WriterInAppendsInTheCallersTransaction", TestWriterInAppendsInTheCallersTransaction},
		{"ConsumerOrdinaryRestartReplaysNothing", TestConsumerOrdinaryRestartReplaysNothing},
		{"ParkedSummaryReadsOnBothEngines", testParkedSummary},
		{"ABatchAppliesEachNewEventOnceAndCountsTheRestAsDuplicates", TestABatchAppliesEachNewEventOnceAndCountsTheRestAsDuplicates},
		{"AHandlerFailureMidBatchLosesNoEventAsADuplicate", TestAHandlerFailureMidBatchLosesNoEventAsADuplicate},
	} {
		t.Run(c.name, c.test)
	}
}

// testParkedSummary: Parked (HQ's admin view) rebinds its query.
func testParkedSummary(t *testing.T) {
	db := newDB(t, "hq")
	if _, err := db.Exec(db.Rebind(`INSERT INTO eventbus_parked (consumer, topic, partition, kafka_offset, aggregate_id,
		event_id, event_type, schema_version, reason, message, headers, message_time, parked_at)
		VALUES (?, 't', 0, 1, 'a', 'e1', 'X', 2, 'unknown_type', ?, '{}', 'now', ?)`), "hq", []byte("m"), storage.FormatTime(time.Now())); err != nil {
		t.Fatal(err)
	}
	ps, err := Parked(context.Background(), db, "hq")
	if err != nil || len(ps) != 1 || ps[0].Events != 1 || ps[0].SchemaVersion != 2 {
		t.Fatalf("parked %+v %v", ps, err)
	}
}

// TestPostgresRelayIsWokenByAnotherProcesssInsert: on PostgreSQL the relay
// hears of outbox rows committed by another process (here a second pool
// and Outbox, whose Notify reaches only its own channel) through
// LISTEN/NOTIFY, long before its SafetyPoll (an hour here) would find them.
func TestPostgresRelayIsWokenByAnotherProcesssInsert(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	open := func() *storage.DB {
		db, err := storage.OpenPostgres(ctx, dsn, "north_membership")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		return db
	}
	relayDB, writerDB := open(), open()
	b := startBroker(t, devstack.BrokerConfig{})
	relayOutbox := newOutbox(t, relayDB, "north", "membership")
	writer := newOutbox(t, writerDB, "north", "membership")
	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: relayOutbox, SafetyPoll: time.Hour})
	run(t, r.Run)
	// The first batch, published at the start of the term: the relay is
	// up and has gone to wait.
	addEvents(t, ctx, writer, aggregates(1), 0, 1)
	waitFor(t, 30*time.Second, "the first event published", func() bool { return backlog(t, relayOutbox) == 0 })
	// An insert of another topic in the same database wakes nobody's
	// backlog here but must not confuse the relay.
	other := newOutbox(t, writerDB, "north", "meetings")
	addEvents(t, ctx, other, aggregates(1), 0, 1)
	for i := 1; i <= 3; i++ {
		addEvents(t, ctx, writer, aggregates(2), i, 1)
		waitFor(t, 30*time.Second, "events written by another process published without a poll", func() bool {
			return sqlCount(t, relayDB, `SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NULL AND topic = ?`, relayOutbox.Topic()) == 0
		})
	}
	if got := len(topicMessages(t, b.Addr, relayOutbox.Topic())); got != 7 {
		t.Fatalf("%d messages on the topic, want 7", got)
	}
}

// TestEveryMigrationHasItsPostgreSQLTwin: the same versions on both
// engines, so neither falls behind the other.
func TestEveryMigrationHasItsPostgreSQLTwin(t *testing.T) {
	pgtest.CheckTwins(t, Migrations, "migrations")
}

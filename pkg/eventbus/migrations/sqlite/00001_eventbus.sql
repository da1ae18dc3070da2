-- +goose Up
-- The outbox is the district's durable log: rows stay after they are sent
-- (until the retention period ends) so a broker that lost them can be refilled.
CREATE TABLE eventbus_outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL UNIQUE,
    topic        TEXT    NOT NULL,
    event_type   TEXT    NOT NULL,
    aggregate_id TEXT    NOT NULL,
    envelope     BLOB    NOT NULL,
    traceparent  TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    sent_at      TEXT
);
CREATE INDEX eventbus_outbox_unsent ON eventbus_outbox (sent_at) WHERE sent_at IS NULL;
CREATE INDEX eventbus_outbox_created ON eventbus_outbox (created_at);

-- How far the relay has published, per broker cluster and topic.
CREATE TABLE eventbus_relay_position (
    cluster_id TEXT    NOT NULL,
    topic      TEXT    NOT NULL,
    last_seq   INTEGER NOT NULL,
    published  INTEGER NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (cluster_id, topic)
);

-- Events a consumer has applied, for idempotency (at-least-once delivery).
CREATE TABLE eventbus_inbox (
    consumer   TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    topic      TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- Where a consumer is in each partition of its topic, written in the same
-- transaction as every event it settles (applied, duplicate or dead-lettered).
-- It is the consumer's own record of the log it read: before it consumes a
-- partition it checks the broker still holds that log (the message before
-- next_offset carries last_event_id), so a topic that was lost and refilled
-- is re-read from its start instead of resumed at stale group offsets.
CREATE TABLE eventbus_consumer_position (
    consumer      TEXT    NOT NULL,
    topic         TEXT    NOT NULL,
    partition     INTEGER NOT NULL,
    next_offset   INTEGER NOT NULL,
    last_event_id TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);

-- +goose Down
DROP TABLE eventbus_consumer_position;
DROP TABLE eventbus_inbox;
DROP TABLE eventbus_relay_position;
DROP TABLE eventbus_outbox;

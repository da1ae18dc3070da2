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

-- +goose Down
DROP TABLE eventbus_inbox;
DROP TABLE eventbus_relay_position;
DROP TABLE eventbus_outbox;

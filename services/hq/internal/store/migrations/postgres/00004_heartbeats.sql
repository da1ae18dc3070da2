-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00004_heartbeats.sql: the same tables, columns and
-- indexes. SQLite's INTEGER is BIGINT here (the 0/1 flags too: the store
-- binds and sums them as integers), REAL DOUBLE PRECISION.
-- Issue 18: the newest heartbeat of every instance of every district
-- service (gh.<district>.node.v1). Times are unix nanoseconds, 0 for none;
-- sent_at is the node's clock, received_at HQ's.
CREATE TABLE hq_heartbeats (
    district         TEXT    NOT NULL,
    service          TEXT    NOT NULL,
    instance         TEXT    NOT NULL,
    version          TEXT    NOT NULL,
    -- emits: JSON [{"type","schema_version"}], what the service writes.
    emits            TEXT    NOT NULL,
    -- outbox_backlog: -1 when the node could not read its outbox.
    outbox_backlog   BIGINT NOT NULL,
    oldest_unsent_at BIGINT NOT NULL,
    relay_leader     BIGINT NOT NULL,
    sent_at          BIGINT NOT NULL,
    received_at      BIGINT NOT NULL,
    interval_ms      BIGINT NOT NULL,
    PRIMARY KEY (district, service, instance)
);

-- +goose Down
DROP TABLE hq_heartbeats;

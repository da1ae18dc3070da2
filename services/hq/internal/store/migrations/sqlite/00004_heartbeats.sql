-- +goose Up
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
    outbox_backlog   INTEGER NOT NULL,
    oldest_unsent_at INTEGER NOT NULL,
    relay_leader     INTEGER NOT NULL,
    sent_at          INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    interval_ms      INTEGER NOT NULL,
    PRIMARY KEY (district, service, instance)
);

-- +goose Down
DROP TABLE hq_heartbeats;

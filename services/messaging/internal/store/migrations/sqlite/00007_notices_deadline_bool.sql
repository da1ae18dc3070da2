-- +goose Up
-- The reminder sweep's partial index on the bare flag (WHERE ack_required),
-- the condition the store's one SQL text writes on both engines: SQLite
-- uses a partial index only for a query whose WHERE has the index's own
-- term, and `ack_required = 1` (the old term) is no PostgreSQL boolean test.
DROP INDEX notices_deadline;
CREATE INDEX notices_deadline ON notices (ack_deadline) WHERE ack_required;

-- +goose Down
DROP INDEX notices_deadline;
CREATE INDEX notices_deadline ON notices (ack_deadline) WHERE ack_required = 1;

-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00007_notices_deadline_bool.sql: the
-- index 00001 made here is already on the bare flag; it is made again so
-- both engines end with the same definition.
DROP INDEX notices_deadline;
CREATE INDEX notices_deadline ON notices (ack_deadline) WHERE ack_required;

-- +goose Down
DROP INDEX notices_deadline;
CREATE INDEX notices_deadline ON notices (ack_deadline) WHERE ack_required;

-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00003_disputes.sql.
-- Disputes (矛盾纠纷化解): the case as JSON (parties, timeline, timers), with
-- the columns the lists filter on.
CREATE TABLE disputes (
    id         TEXT   PRIMARY KEY,
    company_id TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    version    BIGINT NOT NULL
);
CREATE INDEX disputes_open ON disputes (status);

-- +goose Down
DROP TABLE disputes;

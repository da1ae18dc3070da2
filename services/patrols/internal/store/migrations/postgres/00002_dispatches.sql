-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00002_dispatches.sql (integers BIGINT).
-- Police dispatch requests (警保联动). The request is one JSON document
-- (its offers, timestamps and breaches change together, always whole);
-- status and raised_at are columns for the open-request sweep and lists.
CREATE TABLE dispatches (
    id        TEXT    PRIMARY KEY,
    status    TEXT    NOT NULL,
    raised_at TEXT    NOT NULL,
    body      TEXT    NOT NULL,
    version   BIGINT  NOT NULL
);
CREATE INDEX dispatches_status ON dispatches (status);

-- Incidents met on patrol, one JSON document each like a dispatch.
CREATE TABLE incidents (
    id          TEXT    PRIMARY KEY,
    status      TEXT    NOT NULL,
    reported_at TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    version     BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE incidents;
DROP TABLE dispatches;

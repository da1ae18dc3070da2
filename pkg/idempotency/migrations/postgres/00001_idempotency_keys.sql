-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_idempotency_keys.sql: the
-- first result of each create sent with an Idempotency-Key, per scope and
-- key.
CREATE TABLE idempotency_keys (
    scope        TEXT  NOT NULL,
    key          TEXT  NOT NULL,
    request_hash TEXT  NOT NULL,
    body         BYTEA NOT NULL,
    created_at   TEXT  NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;

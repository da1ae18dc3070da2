-- +goose Up
-- The first result of each create sent with an Idempotency-Key, per scope
-- (the endpoint and path) and key; Expire deletes them by created_at.
--
-- IF NOT EXISTS: before pkg/idempotency owned this table, membership and
-- meetings created it, in this shape, in their own first migration; on
-- their databases this migration finds it and changes nothing.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;

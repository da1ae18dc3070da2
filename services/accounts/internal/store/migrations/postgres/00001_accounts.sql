-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_accounts.sql: the accounts
-- table, disabled BOOLEAN (the store binds and scans a Go bool and tests
-- NOT disabled), version BIGINT. Local accounts of the standalone binary's
-- built-in issuer. password_hash is an argon2id PHC string
-- (pkg/auth.HashPassword); the password itself is never stored. districts
-- is a JSON array of district ids. version is the optimistic-concurrency
-- counter behind the ETag.
--
-- No audit_log here: the SQLite one is the table of before pkg/audit
-- owned it (account_id), which 00002 turns into pkg/audit's. A PostgreSQL
-- database has no such past: pkg/audit's migration (audit.Migrate, run
-- after these) makes its table.
CREATE TABLE accounts (
    id            TEXT    PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    districts     TEXT    NOT NULL DEFAULT '[]',
    company       TEXT    NOT NULL DEFAULT '',
    guard         TEXT    NOT NULL DEFAULT '',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    version       BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE accounts;

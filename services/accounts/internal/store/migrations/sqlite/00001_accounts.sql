-- +goose Up
-- Local accounts of the standalone binary's built-in issuer. password_hash
-- is an argon2id PHC string (pkg/auth.HashPassword); the password itself is
-- never stored. districts is a JSON array of district ids. version is the
-- optimistic-concurrency counter behind the ETag.
CREATE TABLE accounts (
    id            TEXT    PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    districts     TEXT    NOT NULL DEFAULT '[]',
    company       TEXT    NOT NULL DEFAULT '',
    guard         TEXT    NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    version       INTEGER NOT NULL
);

-- The audit log: one row per write to accounts, in the write's transaction.
-- Who (subject, role, scope), what (action on the account, and the NAMES of
-- the fields written as a JSON array, never their values: a password or
-- hash must never land here), when, from where (request id, remote IP).
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    account_id     TEXT    NOT NULL,
    fields_changed TEXT    NOT NULL DEFAULT '[]',
    request_id     TEXT    NOT NULL DEFAULT '',
    remote_ip      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_account ON audit_log (account_id, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE accounts;

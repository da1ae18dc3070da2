-- +goose Up
-- The audit log becomes pkg/audit's table, the one every service's database
-- has (pkg/audit's Migrate runs after this and adds its indexes): the
-- account a row is about moves from account_id to resource_id, under the
-- resource 'account'. Renaming in place keeps every row and its id, so the
-- log goes on where it was. SQLite adds a column only at the end and, when
-- it is NOT NULL, only with a default: the column order and that default
-- are the only ways this table differs from pkg/audit's.
DROP INDEX audit_log_account;
ALTER TABLE audit_log RENAME COLUMN account_id TO resource_id;
ALTER TABLE audit_log ADD COLUMN resource TEXT NOT NULL DEFAULT '';
UPDATE audit_log SET resource = 'account';

-- +goose Down
-- From here on the table is pkg/audit's, and a rollback runs audit's down
-- first, which drops it (on a database without this past, its up made it):
-- make it again, as it is at this point, so the steps below find it.
CREATE TABLE IF NOT EXISTS audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    resource_id    TEXT    NOT NULL,
    fields_changed TEXT    NOT NULL DEFAULT '[]',
    request_id     TEXT    NOT NULL DEFAULT '',
    remote_ip      TEXT    NOT NULL DEFAULT '',
    resource       TEXT    NOT NULL DEFAULT ''
);
DROP INDEX IF EXISTS audit_log_resource;
ALTER TABLE audit_log DROP COLUMN resource;
ALTER TABLE audit_log RENAME COLUMN resource_id TO account_id;
CREATE INDEX audit_log_account ON audit_log (account_id, id);

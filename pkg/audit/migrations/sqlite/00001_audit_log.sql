-- +goose Up
-- The audit log of a service's database: one row per write, in the write's
-- transaction. Who (subject, role, scope), what (the action on a resource,
-- and the NAMES of the fields written as a JSON array, never their values:
-- an ID number or a password must never land here), when, and from where
-- (request id, remote IP). Rows are only ever inserted; id orders them
-- (newest first is id DESC).
--
-- IF NOT EXISTS: before pkg/audit owned this table, membership and meetings
-- created it, in this shape, in their own first migration. On their
-- databases this migration finds the table and adds only the indexes it
-- lacks (meetings had only audit_log_resource).
CREATE TABLE IF NOT EXISTS audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    resource       TEXT    NOT NULL,
    resource_id    TEXT    NOT NULL,
    fields_changed TEXT    NOT NULL DEFAULT '[]',
    request_id     TEXT    NOT NULL DEFAULT '',
    remote_ip      TEXT    NOT NULL DEFAULT ''
);
-- The filters of List: one resource's history, one subject's writes, a
-- time window; each newest first.
CREATE INDEX IF NOT EXISTS audit_log_resource ON audit_log (resource, resource_id, id);
CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log (subject, id);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;

-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00004_directive_version.sql (integers BIGINT).
-- A directive's content version (1 when issued, +1 per revision) and when
-- it last changed.
ALTER TABLE directives ADD COLUMN version BIGINT  NOT NULL DEFAULT 1;
ALTER TABLE directives ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE directives DROP COLUMN updated_at;
ALTER TABLE directives DROP COLUMN version;

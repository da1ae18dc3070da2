-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00002_audit_log_resource.sql, which
-- turns SQLite's audit log of before pkg/audit owned it into pkg/audit's.
-- A PostgreSQL database never had that table (00001 makes none; pkg/audit
-- makes its own): nothing to do, the version is kept so both engines count
-- the same migrations.
SELECT 1;

-- +goose Down
SELECT 1;

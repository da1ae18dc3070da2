-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00010_guards_without_rowid.sql,
-- which rebuilds SQLite's guards table WITHOUT ROWID (keyed by its id
-- alone). PostgreSQL has no rowid: its guards table (00001) is a heap with
-- the id's index already, nothing to do; the version is kept so both
-- engines count the same migrations.
SELECT 1;

-- +goose Down
SELECT 1;

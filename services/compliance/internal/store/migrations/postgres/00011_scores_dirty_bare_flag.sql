-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00011_scores_dirty_bare_flag.sql:
-- the index 00005 made here is already on the bare flag; it is made again
-- so both engines end with the same definition.
DROP INDEX company_scores_dirty;
CREATE INDEX company_scores_dirty ON company_scores (dirty) WHERE dirty;

-- +goose Down
DROP INDEX company_scores_dirty;
CREATE INDEX company_scores_dirty ON company_scores (dirty) WHERE dirty;

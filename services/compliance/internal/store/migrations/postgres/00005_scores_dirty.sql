-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00005_scores_dirty.sql: the flag is
-- a BOOLEAN, its partial index on the bare flag (the store's term).
-- A company's counts changed since they were last announced
-- (FourHundredCountsChanged, coalesced per refresh).
ALTER TABLE company_scores ADD COLUMN dirty BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX company_scores_dirty ON company_scores (dirty) WHERE dirty;

-- +goose Down
DROP INDEX company_scores_dirty;
ALTER TABLE company_scores DROP COLUMN dirty;

-- +goose Up
-- A company's counts changed since they were last announced
-- (FourHundredCountsChanged, coalesced per refresh).
ALTER TABLE company_scores ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;
CREATE INDEX company_scores_dirty ON company_scores (dirty) WHERE dirty = 1;

-- +goose Down
DROP INDEX company_scores_dirty;
ALTER TABLE company_scores DROP COLUMN dirty;

-- +goose Up
-- The dirty scores' partial index on the bare flag (WHERE dirty), the
-- condition the store's one SQL text writes on both engines: SQLite uses a
-- partial index only for a query whose WHERE has the index's own term, and
-- `dirty = 1` (the old term) is no PostgreSQL boolean test.
DROP INDEX company_scores_dirty;
CREATE INDEX company_scores_dirty ON company_scores (dirty) WHERE dirty;

-- +goose Down
DROP INDEX company_scores_dirty;
CREATE INDEX company_scores_dirty ON company_scores (dirty) WHERE dirty = 1;

-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00004_four_one.sql.
-- Two-four-one checks (双四一机制): contents is the four points sealed with
-- the city's keyring (pkg/pii): never stored in plaintext.
CREATE TABLE four_one_checks (
    id         TEXT PRIMARY KEY,
    guard_id   TEXT NOT NULL,
    company_id TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    period     TEXT NOT NULL,
    checked_by TEXT NOT NULL,
    contents   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX four_one_by_company ON four_one_checks (company_id, period, guard_id);

-- +goose Down
DROP TABLE four_one_checks;

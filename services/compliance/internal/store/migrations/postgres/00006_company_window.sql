-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00006_company_window.sql.
-- When a company became active (its latest activation) and when it lapsed
-- (empty while it is not lapsed), from membership's company events: a
-- periodic obligation is expected only while the company is a member.
ALTER TABLE companies ADD COLUMN active_since TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN lapsed_on TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE companies DROP COLUMN lapsed_on;
ALTER TABLE companies DROP COLUMN active_since;

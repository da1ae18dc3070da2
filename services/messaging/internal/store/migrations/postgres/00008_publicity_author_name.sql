-- +goose Up
-- The author a reader sees (a company's post: the company's name when the
-- version was written; the lead's: empty). Posts written before take the
-- name their company has now.
ALTER TABLE publicity_posts ADD COLUMN author_name TEXT NOT NULL DEFAULT '';
ALTER TABLE published_posts ADD COLUMN author_name TEXT NOT NULL DEFAULT '';
UPDATE publicity_posts SET author_name = COALESCE((SELECT name FROM companies WHERE companies.id = publicity_posts.company_id), '')
    WHERE company_id <> '';
UPDATE published_posts SET author_name = COALESCE((SELECT name FROM companies WHERE companies.id = published_posts.company_id), '')
    WHERE company_id <> '';

-- +goose Down
ALTER TABLE published_posts DROP COLUMN author_name;
ALTER TABLE publicity_posts DROP COLUMN author_name;

-- +goose Up
-- A team notice can tell the leader of a police dispatch offered to the
-- team (警保联动: the leader signs for it, 签收); dispatch_id names it ('' for
-- the other kinds).
ALTER TABLE team_notices ADD COLUMN dispatch_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE team_notices DROP COLUMN dispatch_id;

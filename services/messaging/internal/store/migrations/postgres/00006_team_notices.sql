-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00006_team_notices.sql (integers BIGINT).
-- Notices to one person, the leader of a volunteer-police team (江城义警):
-- what the district's patrols topic says the leader must be told (a member
-- suspended or reinstated, a double booking resolved). One per event and
-- leader: a redelivered event (a reset consumer, a second inbox) finds its
-- notice there and makes no second.
CREATE TABLE team_notices (
    id               TEXT    PRIMARY KEY,
    guard_id         TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    team_id          TEXT    NOT NULL,
    subject_guard_id TEXT    NOT NULL,
    shift_id         TEXT    NOT NULL,
    reasons          TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    read_at          TEXT,
    UNIQUE (event_id, guard_id)
);
CREATE INDEX team_notices_guard ON team_notices (guard_id, id);

-- +goose Down
DROP TABLE team_notices;

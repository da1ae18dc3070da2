-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00002_meetings.sql: the same tables, columns and
-- indexes. SQLite's INTEGER is BIGINT here (the 0/1 flags too: the store
-- binds and sums them as integers), REAL DOUBLE PRECISION.
-- The meetings service's events (gh.<district>.meetings.v1), folded into
-- HQ's read model. Like the membership tables, each row is the newest
-- snapshot applied for its aggregate; times are unix nanoseconds.
CREATE TABLE hq_meetings (
    id                 TEXT    PRIMARY KEY,
    district           TEXT    NOT NULL,
    type               TEXT    NOT NULL,
    title              TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    starts_at          BIGINT NOT NULL,
    ends_at            BIGINT NOT NULL,
    invited_companies  BIGINT NOT NULL,
    attended_companies BIGINT NOT NULL,
    invited_people     BIGINT NOT NULL,
    attended_people    BIGINT NOT NULL,
    version            BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX hq_meetings_district ON hq_meetings (district, type, status);

CREATE TABLE hq_resolutions (
    id           TEXT    PRIMARY KEY,
    district     TEXT    NOT NULL,
    meeting_id   TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    action_items BIGINT NOT NULL
);

CREATE TABLE hq_action_items (
    id               TEXT    PRIMARY KEY,
    district         TEXT    NOT NULL,
    resolution_id    TEXT    NOT NULL,
    meeting_id       TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    owner_kind       TEXT    NOT NULL,
    owner_company_id TEXT    NOT NULL,
    owner_name       TEXT    NOT NULL,
    -- due_on: YYYY-MM-DD (a date in Asia/Shanghai), compared as text.
    due_on           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    version          BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX hq_action_items_district ON hq_action_items (district, status, due_on);

-- Signatures are immutable facts: a re-signing is a new signature.
CREATE TABLE hq_convention_signatures (
    id                 TEXT    PRIMARY KEY,
    district           TEXT    NOT NULL,
    company_id         TEXT    NOT NULL,
    convention_version TEXT    NOT NULL,
    current            BIGINT NOT NULL,
    signed_at          BIGINT NOT NULL,
    meeting_id         TEXT    NOT NULL
);
CREATE INDEX hq_convention_signatures_company ON hq_convention_signatures (district, convention_version, company_id);

-- +goose Down
DROP TABLE hq_convention_signatures;
DROP TABLE hq_action_items;
DROP TABLE hq_resolutions;
DROP TABLE hq_meetings;

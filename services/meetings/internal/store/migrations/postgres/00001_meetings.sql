-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_meetings.sql: the same tables, columns
-- and indexes; INTEGER flags are BOOLEAN here, other integers BIGINT.
-- Meetings (会议) the district runs: council, president's office, district
-- working meetings and roundtables.
CREATE TABLE meetings (
    id              TEXT    PRIMARY KEY,
    type            TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    starts_at       TEXT    NOT NULL,
    ends_at         TEXT    NOT NULL,
    venue           TEXT    NOT NULL DEFAULT '',
    host            TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    minutes_version BIGINT  NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    version         BIGINT  NOT NULL
);
CREATE INDEX meetings_type_start ON meetings (type, starts_at);

-- Ordered agenda items of a meeting; position is 1-based and dense.
CREATE TABLE agenda_items (
    id            TEXT    PRIMARY KEY,
    meeting_id    TEXT    NOT NULL REFERENCES meetings (id),
    position      BIGINT  NOT NULL,
    kind          TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    presenter     TEXT    NOT NULL DEFAULT '',
    duration_min  BIGINT  NOT NULL DEFAULT 0,
    resolution_id TEXT    NOT NULL DEFAULT '',
    signing       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT    NOT NULL
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);

-- Invitations: a company or a person. Only the SHA-256 of the check-in
-- code is stored: the code itself is shown once, when the invitation is
-- made, so a leaked database cannot be used to check anyone in.
CREATE TABLE invitations (
    id            TEXT    PRIMARY KEY,
    meeting_id    TEXT    NOT NULL REFERENCES meetings (id),
    kind          TEXT    NOT NULL,
    company_id    TEXT    NOT NULL DEFAULT '',
    company_name  TEXT    NOT NULL DEFAULT '',
    person_name   TEXT    NOT NULL DEFAULT '',
    person_role   TEXT    NOT NULL DEFAULT '',
    organization  TEXT    NOT NULL DEFAULT '',
    code_hash     TEXT    NOT NULL UNIQUE,
    status        TEXT    NOT NULL,
    checked_in_at TEXT    NOT NULL DEFAULT '',
    checked_in_by TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX invitations_meeting ON invitations (meeting_id, id);
CREATE INDEX invitations_company ON invitations (company_id, meeting_id);
-- A company is invited to a meeting at most once.
CREATE UNIQUE INDEX invitations_company_once ON invitations (meeting_id, company_id) WHERE company_id <> '';

-- Minute entries (who spoke on which item). published_in is 0 while the
-- entry is a draft and the minutes version that published it afterwards:
-- from then on the row never changes. A correction is a new entry that
-- supersedes the old one.
CREATE TABLE minute_entries (
    id             TEXT    PRIMARY KEY,
    meeting_id     TEXT    NOT NULL REFERENCES meetings (id),
    agenda_item_id TEXT    NOT NULL DEFAULT '',
    position       BIGINT  NOT NULL,
    speaker        TEXT    NOT NULL,
    speaker_role   TEXT    NOT NULL DEFAULT '',
    company_id     TEXT    NOT NULL DEFAULT '',
    kind           TEXT    NOT NULL,
    text           TEXT    NOT NULL,
    supersedes     TEXT    NOT NULL DEFAULT '',
    published_in   BIGINT  NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    version        BIGINT  NOT NULL
);
CREATE INDEX minute_entries_meeting ON minute_entries (meeting_id, position);

-- Published minutes versions of a meeting.
CREATE TABLE minutes_versions (
    meeting_id   TEXT    NOT NULL REFERENCES meetings (id),
    version      BIGINT  NOT NULL,
    entries      BIGINT  NOT NULL,
    published_at TEXT    NOT NULL,
    published_by TEXT    NOT NULL,
    PRIMARY KEY (meeting_id, version)
);

-- Resolutions (决议) adopted at a meeting.
CREATE TABLE resolutions (
    id             TEXT PRIMARY KEY,
    meeting_id     TEXT NOT NULL REFERENCES meetings (id),
    agenda_item_id TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL,
    text           TEXT NOT NULL DEFAULT '',
    adopted_at     TEXT NOT NULL
);
CREATE INDEX resolutions_meeting ON resolutions (meeting_id, id);

-- Action items a resolution spawns (岗位责任清单).
CREATE TABLE action_items (
    id               TEXT    PRIMARY KEY,
    resolution_id    TEXT    NOT NULL REFERENCES resolutions (id),
    meeting_id       TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    owner_kind       TEXT    NOT NULL,
    owner_company_id TEXT    NOT NULL DEFAULT '',
    owner_name       TEXT    NOT NULL DEFAULT '',
    due_on           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    last_reminded_on TEXT    NOT NULL DEFAULT '',
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    version          BIGINT  NOT NULL
);
CREATE INDEX action_items_status_due ON action_items (status, due_on);
CREATE INDEX action_items_owner ON action_items (owner_company_id, id);

-- Convention signatures (《行业自律公约》). current says whether the signed
-- version was the association's current version at signing time.
CREATE TABLE convention_signatures (
    id                 TEXT    PRIMARY KEY,
    company_id         TEXT    NOT NULL,
    convention_version TEXT    NOT NULL,
    signed_by          TEXT    NOT NULL,
    signed_at          TEXT    NOT NULL,
    meeting_id         TEXT    NOT NULL DEFAULT '',
    current            BOOLEAN NOT NULL,
    created_at         TEXT    NOT NULL
);
-- A company signs a given version once.
CREATE UNIQUE INDEX convention_signatures_once ON convention_signatures (company_id, convention_version);

-- The audit log and the idempotency keys are pkg/audit's and
-- pkg/idempotency's tables, created by their Migrate after this service's
-- migrations.

-- +goose Down
DROP TABLE convention_signatures;
DROP TABLE action_items;
DROP TABLE resolutions;
DROP TABLE minutes_versions;
DROP TABLE minute_entries;
DROP TABLE invitations;
DROP TABLE agenda_items;
DROP TABLE meetings;

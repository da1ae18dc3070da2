-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00003_fieldwork.sql: the same tables, columns
-- and indexes; INTEGER flags are BOOLEAN here, other integers BIGINT.
-- Issue 17: field visits (片区负责人下沉调研) and the practical-services plan
-- (为会员单位办实事).

-- A visit's follow-ups are action items too (the same due dates, status,
-- reminders and overdue), linked to their visit instead of a resolution.
-- SQLite cannot drop the resolution_id foreign key in place, so the table
-- is rebuilt: resolution_id and meeting_id are '' for a follow-up, and the
-- foreign key becomes a check that exactly one of the two links is set.
CREATE TABLE action_items_new (
    id               TEXT    PRIMARY KEY,
    resolution_id    TEXT    NOT NULL DEFAULT '',
    meeting_id       TEXT    NOT NULL DEFAULT '',
    visit_id         TEXT    NOT NULL DEFAULT '',
    title            TEXT    NOT NULL,
    owner_kind       TEXT    NOT NULL,
    owner_company_id TEXT    NOT NULL DEFAULT '',
    owner_name       TEXT    NOT NULL DEFAULT '',
    due_on           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    last_reminded_on TEXT    NOT NULL DEFAULT '',
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    version          BIGINT  NOT NULL,
    CHECK ((resolution_id <> '') <> (visit_id <> ''))
);
INSERT INTO action_items_new (id, resolution_id, meeting_id, title, owner_kind, owner_company_id, owner_name, due_on, status, last_reminded_on, created_at, updated_at, version)
    SELECT id, resolution_id, meeting_id, title, owner_kind, owner_company_id, owner_name, due_on, status, last_reminded_on, created_at, updated_at, version FROM action_items;
DROP TABLE action_items;
ALTER TABLE action_items_new RENAME TO action_items;
CREATE INDEX action_items_status_due ON action_items (status, due_on);
CREATE INDEX action_items_owner ON action_items (owner_company_id, id);
CREATE INDEX action_items_visit ON action_items (visit_id) WHERE visit_id <> '';

-- When a company of the projection became active (membership's updated_at
-- of the event that made it so; '' for one put without a time, which
-- counts as active all along): the visit plan counts a company from then.
ALTER TABLE companies ADD COLUMN active_since TEXT NOT NULL DEFAULT '';

-- Field visits. visited_by (who went: roles and names) stays in the
-- district: no event carries it. points is the JSON array of structured
-- findings.
CREATE TABLE field_visits (
    id           TEXT    PRIMARY KEY,
    company_id   TEXT    NOT NULL,
    company_name TEXT    NOT NULL,
    visited_on   TEXT    NOT NULL,
    visited_by   TEXT    NOT NULL,
    findings     TEXT    NOT NULL DEFAULT '',
    points       TEXT    NOT NULL DEFAULT '[]',
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    version      BIGINT  NOT NULL
);
CREATE INDEX field_visits_company ON field_visits (company_id, visited_on);
CREATE INDEX field_visits_date ON field_visits (visited_on);

-- Items of the practical-services plan; milestones is their JSON array.
CREATE TABLE service_items (
    id           TEXT    PRIMARY KEY,
    term         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    owner        TEXT    NOT NULL,
    target_unit  TEXT    NOT NULL,
    target_count BIGINT  NOT NULL,
    milestones   TEXT    NOT NULL DEFAULT '[]',
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    version      BIGINT  NOT NULL
);
CREATE INDEX service_items_term ON service_items (term, id);

-- The companies an item served, one row per company per item, with that
-- company's feedback (rating 0: none yet).
CREATE TABLE service_beneficiaries (
    item_id     TEXT    NOT NULL REFERENCES service_items (id),
    company_id  TEXT    NOT NULL,
    served_on   TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    rating      BIGINT  NOT NULL DEFAULT 0,
    comment     TEXT    NOT NULL DEFAULT '',
    feedback_by TEXT    NOT NULL DEFAULT '',
    feedback_at TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    PRIMARY KEY (item_id, company_id)
);
CREATE INDEX service_beneficiaries_company ON service_beneficiaries (company_id, item_id);

-- +goose Down
DROP TABLE service_beneficiaries;
DROP TABLE service_items;
DROP TABLE field_visits;
ALTER TABLE companies DROP COLUMN active_since;
DELETE FROM action_items WHERE visit_id <> '';
CREATE TABLE action_items_old (
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
INSERT INTO action_items_old SELECT id, resolution_id, meeting_id, title, owner_kind, owner_company_id, owner_name, due_on, status, last_reminded_on, created_at, updated_at, version FROM action_items;
DROP TABLE action_items;
ALTER TABLE action_items_old RENAME TO action_items;
-- PostgreSQL names a table's constraints after the table they were made
-- in: give back 00001's names, so the table is the one it made.
ALTER TABLE action_items RENAME CONSTRAINT action_items_old_pkey TO action_items_pkey;
ALTER TABLE action_items RENAME CONSTRAINT action_items_old_resolution_id_fkey TO action_items_resolution_id_fkey;
CREATE INDEX action_items_status_due ON action_items (status, due_on);
CREATE INDEX action_items_owner ON action_items (owner_company_id, id);

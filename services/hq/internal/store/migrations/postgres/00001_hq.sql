-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_hq.sql: the same tables, columns and
-- indexes. SQLite's INTEGER is BIGINT here (the 0/1 flags too: the store
-- binds and sums them as integers), REAL DOUBLE PRECISION.
-- HQ's city-wide read model, built only from the districts' events. Each row
-- is the newest snapshot HQ has applied for its aggregate (by version).
CREATE TABLE hq_companies (
    id                 TEXT    PRIMARY KEY,
    district           TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    credit_code        TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    level              TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    party_org          BIGINT NOT NULL,
    trade_union        BIGINT NOT NULL,
    workers_home       BIGINT NOT NULL,
    convention_version TEXT    NOT NULL,
    version            BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX hq_companies_district ON hq_companies (district, id);

CREATE TABLE hq_guards (
    id                      TEXT    PRIMARY KEY,
    district                TEXT    NOT NULL,
    company_id              TEXT    NOT NULL,
    id_hash                 TEXT    NOT NULL,
    employment_status       TEXT    NOT NULL,
    hired_on                TEXT    NOT NULL,
    has_certificate         BIGINT NOT NULL,
    background_check_status TEXT    NOT NULL,
    pre_job_trained         BIGINT NOT NULL,
    badge_service           BIGINT NOT NULL,
    volunteer_police        BIGINT NOT NULL,
    party_member            BIGINT NOT NULL,
    version                 BIGINT NOT NULL,
    -- active_since: unix nanoseconds of the event that made the guard active
    -- (kept while the guard stays active); 0 when not active.
    active_since            BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX hq_guards_district ON hq_guards (district, company_id);
CREATE INDEX hq_guards_active_person ON hq_guards (id_hash) WHERE employment_status = 'active';

CREATE TABLE hq_council_members (
    id                 TEXT    PRIMARY KEY,
    district           TEXT    NOT NULL,
    term               BIGINT NOT NULL,
    position           TEXT    NOT NULL,
    person_name        TEXT    NOT NULL,
    company_id         TEXT    NOT NULL,
    district_in_charge TEXT    NOT NULL,
    active             BIGINT NOT NULL,
    version            BIGINT NOT NULL
);

-- Freshness per district; times are unix nanoseconds.
CREATE TABLE hq_district_freshness (
    district        TEXT    PRIMARY KEY,
    last_event_at   BIGINT NOT NULL,
    last_applied_at BIGINT NOT NULL,
    events_applied  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE hq_district_freshness;
DROP TABLE hq_council_members;
DROP TABLE hq_guards;
DROP TABLE hq_companies;

-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_membership.sql: the same
-- tables, columns and indexes. The SQLite INTEGER flags are BOOLEAN here
-- (the store binds Go bools and compares with NOT col), other integers
-- BIGINT, REAL DOUBLE PRECISION (SQLite's REAL is 8 bytes too).
-- Member companies (保安从业单位) of the district.
CREATE TABLE companies (
    id                 TEXT    PRIMARY KEY,
    name               TEXT    NOT NULL,
    credit_code        TEXT    NOT NULL UNIQUE,
    licence_number     TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    level              TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    contact_name       TEXT    NOT NULL DEFAULT '',
    contact_phone      TEXT    NOT NULL DEFAULT '',
    address            TEXT    NOT NULL DEFAULT '',
    party_org          BOOLEAN NOT NULL DEFAULT FALSE,
    party_org_since    TEXT    NOT NULL DEFAULT '',
    trade_union        BOOLEAN NOT NULL DEFAULT FALSE,
    workers_home       BOOLEAN NOT NULL DEFAULT FALSE,
    convention_version TEXT    NOT NULL DEFAULT '',
    registered_at      TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    version            BIGINT  NOT NULL
);
CREATE INDEX companies_status ON companies (status, id);

-- Guards (保安员). The national ID number is personal data: it is stored
-- only sealed (pii.Sealer, AES-256-GCM, "<key id>:<base64>", so keys can
-- rotate); id_hash (city-wide HMAC) is what events carry and what
-- uniqueness and lookups use.
CREATE TABLE guards (
    id                      TEXT    PRIMARY KEY,
    company_id              TEXT    NOT NULL REFERENCES companies (id),
    name                    TEXT    NOT NULL,
    id_number_sealed        TEXT    NOT NULL,
    id_hash                 TEXT    NOT NULL,
    certificate_number      TEXT    NOT NULL DEFAULT '',
    certificate_issued_on   TEXT    NOT NULL DEFAULT '',
    background_check_status TEXT    NOT NULL DEFAULT 'none',
    background_check_on     TEXT    NOT NULL DEFAULT '',
    pre_job_trained         BOOLEAN NOT NULL DEFAULT FALSE,
    training_hours          DOUBLE PRECISION NOT NULL DEFAULT 0,
    badge_service           BOOLEAN NOT NULL DEFAULT FALSE,
    volunteer_police        BOOLEAN NOT NULL DEFAULT FALSE,
    party_member            BOOLEAN NOT NULL DEFAULT FALSE,
    employment_status       TEXT    NOT NULL,
    hired_on                TEXT    NOT NULL,
    left_on                 TEXT    NOT NULL DEFAULT '',
    created_at              TEXT    NOT NULL,
    updated_at              TEXT    NOT NULL,
    version                 BIGINT  NOT NULL
);
-- A person is an active guard in at most one company of the district.
CREATE UNIQUE INDEX guards_active_person ON guards (id_hash) WHERE employment_status = 'active';
CREATE INDEX guards_company ON guards (company_id, id);

-- Training records (教育培训) of guards.
CREATE TABLE guard_trainings (
    id            TEXT PRIMARY KEY,
    guard_id      TEXT NOT NULL REFERENCES guards (id),
    training_type TEXT NOT NULL,
    hours         DOUBLE PRECISION NOT NULL,
    trained_on    TEXT NOT NULL,
    topic         TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL
);
CREATE INDEX guard_trainings_guard ON guard_trainings (guard_id, id);

-- Council seats (理事会).
CREATE TABLE council_members (
    id                 TEXT    PRIMARY KEY,
    term               BIGINT  NOT NULL,
    position           TEXT    NOT NULL,
    person_name        TEXT    NOT NULL,
    company_id         TEXT    NOT NULL DEFAULT '',
    district_in_charge TEXT    NOT NULL DEFAULT '',
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    version            BIGINT  NOT NULL
);

-- Bulk guard imports: the uploaded CSV and the progress, so an interrupted
-- job resumes after a restart. The CSV holds ID numbers in clear, so it is
-- stored sealed like id_number_sealed and emptied when the job ends. The
-- started_* columns are who started the job (for the audit rows its chunks
-- write in the background).
CREATE TABLE import_jobs (
    id                 TEXT    PRIMARY KEY,
    company_id         TEXT    NOT NULL REFERENCES companies (id),
    status             TEXT    NOT NULL,
    csv_sealed         TEXT    NOT NULL,
    started_subject    TEXT    NOT NULL DEFAULT '',
    started_role       TEXT    NOT NULL DEFAULT '',
    started_scope      TEXT    NOT NULL DEFAULT '',
    started_request_id TEXT    NOT NULL DEFAULT '',
    started_remote_ip  TEXT    NOT NULL DEFAULT '',
    total_rows     BIGINT  NOT NULL,
    processed_rows BIGINT  NOT NULL DEFAULT 0,
    succeeded      BIGINT  NOT NULL DEFAULT 0,
    failed         BIGINT  NOT NULL DEFAULT 0,
    errors         TEXT    NOT NULL DEFAULT '[]',
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX import_jobs_pending ON import_jobs (status, created_at);

-- The audit log and the idempotency keys are pkg/audit's and
-- pkg/idempotency's tables, created by their Migrate after this service's
-- migrations.

-- +goose Down
DROP TABLE import_jobs;
DROP TABLE council_members;
DROP TABLE guard_trainings;
DROP TABLE guards;
DROP TABLE companies;

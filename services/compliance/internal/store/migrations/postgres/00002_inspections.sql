-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00002_inspections.sql (INTEGER is
-- BIGINT here, REAL DOUBLE PRECISION).
-- Hazard inspections (风险隐患排查). A template version never changes:
-- (id, version) is its key, body its sections as JSON.
CREATE TABLE inspection_templates (
    id         TEXT             NOT NULL,
    version    BIGINT           NOT NULL,
    name       TEXT             NOT NULL,
    pass_mark  DOUBLE PRECISION NOT NULL,
    body       TEXT             NOT NULL,
    created_at TEXT             NOT NULL,
    PRIMARY KEY (id, version)
);

-- An inspection with its answers and score (JSON), as uploaded; inspected_on
-- is when it was done (what a schedule counts), recorded_at when uploaded.
CREATE TABLE inspections (
    id               TEXT   PRIMARY KEY,
    company_id       TEXT   NOT NULL,
    site             TEXT   NOT NULL,
    template_id      TEXT   NOT NULL,
    template_version BIGINT NOT NULL,
    inspector        TEXT   NOT NULL,
    inspected_on     TEXT   NOT NULL,
    for_period       TEXT   NOT NULL,
    answers          TEXT   NOT NULL,
    score            TEXT   NOT NULL,
    recorded_at      TEXT   NOT NULL
);
CREATE INDEX inspections_by_company ON inspections (company_id, inspected_on);

-- Findings and their remediation; escalated is the highest level an overdue
-- remediation was escalated to ('' none, company, district, hq).
CREATE TABLE findings (
    id                TEXT   PRIMARY KEY,
    inspection_id     TEXT   NOT NULL REFERENCES inspections (id),
    company_id        TEXT   NOT NULL,
    item_id           TEXT   NOT NULL,
    text              TEXT   NOT NULL,
    severity          TEXT   NOT NULL,
    photo_refs        TEXT   NOT NULL,
    remediation_owner TEXT   NOT NULL,
    remediation_due   TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    verified_by       TEXT   NOT NULL,
    escalated         TEXT   NOT NULL,
    version           BIGINT NOT NULL,
    updated_at        TEXT   NOT NULL
);
CREATE INDEX findings_unclosed ON findings (status, remediation_due);
CREATE INDEX findings_by_inspection ON findings (inspection_id);

CREATE TABLE inspection_schedules (
    company_id TEXT   PRIMARY KEY,
    period     TEXT   NOT NULL,
    count      BIGINT NOT NULL,
    starts_on  TEXT   NOT NULL,
    created_at TEXT   NOT NULL
);

-- +goose Down
DROP TABLE inspection_schedules;
DROP TABLE findings;
DROP TABLE inspections;
DROP TABLE inspection_templates;

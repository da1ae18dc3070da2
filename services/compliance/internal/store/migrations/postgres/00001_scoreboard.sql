-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_scoreboard.sql: the same
-- tables, columns and indexes. The SQLite INTEGER flags are BOOLEAN here
-- (the store binds and scans Go bools), other integers BIGINT, REAL DOUBLE
-- PRECISION (SQLite's REAL is 8 bytes too).
-- The scoreboard's record of each guard of the district, from membership's
-- guard snapshots (gh.<district>.membership.v1): compliance never calls
-- membership. year_* are the hours of the scoreboard's year.
CREATE TABLE guards (
    id                      TEXT             PRIMARY KEY,
    company_id              TEXT             NOT NULL,
    employment_status       TEXT             NOT NULL,
    background_check_status TEXT             NOT NULL,
    has_certificate         BOOLEAN          NOT NULL,
    certificate_valid_until TEXT             NOT NULL,
    badge_service           BOOLEAN          NOT NULL,
    pre_job_trained         BOOLEAN          NOT NULL,
    version                 BIGINT           NOT NULL,
    pre_job_hours           DOUBLE PRECISION NOT NULL,
    year                    TEXT             NOT NULL,
    year_pre_job_hours      DOUBLE PRECISION NOT NULL,
    year_in_service_hours   DOUBLE PRECISION NOT NULL
);
CREATE INDEX guards_by_company ON guards (company_id, id);

-- One row per TrainingRecorded event: membership bumps the guard's version
-- with each record, so (guard_id, guard_version) names it and a redelivery
-- adds no hours.
CREATE TABLE trainings (
    guard_id      TEXT             NOT NULL,
    guard_version BIGINT           NOT NULL,
    type          TEXT             NOT NULL,
    hours         DOUBLE PRECISION NOT NULL,
    trained_on    TEXT             NOT NULL,
    PRIMARY KEY (guard_id, guard_version)
);

CREATE TABLE companies (
    id      TEXT   PRIMARY KEY,
    name    TEXT   NOT NULL,
    status  TEXT   NOT NULL,
    version BIGINT NOT NULL
);

-- Each company's counts, kept incrementally; full_mask is the set of
-- criteria at 100% the events last announced.
CREATE TABLE company_scores (
    company_id         TEXT   PRIMARY KEY,
    active             BIGINT NOT NULL,
    background_checked BIGINT NOT NULL,
    trained            BIGINT NOT NULL,
    certified          BIGINT NOT NULL,
    badge_service      BIGINT NOT NULL,
    full_mask          BIGINT NOT NULL,
    version            BIGINT NOT NULL
);

-- What the counts were computed for: the day (China time) and the policy.
CREATE TABLE scoreboard_state (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    day    TEXT   NOT NULL,
    policy TEXT   NOT NULL
);

-- Each RequirementLapsing warning, once per guard, criterion and key (the
-- certificate's valid_until, the training year).
CREATE TABLE lapse_warnings (
    guard_id  TEXT NOT NULL,
    criterion TEXT NOT NULL,
    lapse_key TEXT NOT NULL,
    warned_on TEXT NOT NULL,
    PRIMARY KEY (guard_id, criterion, lapse_key)
);

-- The closing counts of each day, per company and ('' ) for the district;
-- kept 400 days.
CREATE TABLE snapshots (
    company_id         TEXT   NOT NULL,
    day                TEXT   NOT NULL,
    active             BIGINT NOT NULL,
    background_checked BIGINT NOT NULL,
    trained            BIGINT NOT NULL,
    certified          BIGINT NOT NULL,
    badge_service      BIGINT NOT NULL,
    PRIMARY KEY (company_id, day)
);
CREATE INDEX snapshots_by_day ON snapshots (day);

-- +goose Down
DROP TABLE snapshots;
DROP TABLE lapse_warnings;
DROP TABLE scoreboard_state;
DROP TABLE company_scores;
DROP TABLE companies;
DROP TABLE trainings;
DROP TABLE guards;

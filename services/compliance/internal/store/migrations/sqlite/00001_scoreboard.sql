-- +goose Up
-- The scoreboard's record of each guard of the district, from membership's
-- guard snapshots (gh.<district>.membership.v1): compliance never calls
-- membership. year_* are the hours of the scoreboard's year.
CREATE TABLE guards (
    id                      TEXT    PRIMARY KEY,
    company_id              TEXT    NOT NULL,
    employment_status       TEXT    NOT NULL,
    background_check_status TEXT    NOT NULL,
    has_certificate         INTEGER NOT NULL,
    certificate_valid_until TEXT    NOT NULL,
    badge_service           INTEGER NOT NULL,
    pre_job_trained         INTEGER NOT NULL,
    version                 INTEGER NOT NULL,
    pre_job_hours           REAL    NOT NULL,
    year                    TEXT    NOT NULL,
    year_pre_job_hours      REAL    NOT NULL,
    year_in_service_hours   REAL    NOT NULL
);
CREATE INDEX guards_by_company ON guards (company_id, id);

-- One row per TrainingRecorded event: membership bumps the guard's version
-- with each record, so (guard_id, guard_version) names it and a redelivery
-- adds no hours.
CREATE TABLE trainings (
    guard_id      TEXT    NOT NULL,
    guard_version INTEGER NOT NULL,
    type          TEXT    NOT NULL,
    hours         REAL    NOT NULL,
    trained_on    TEXT    NOT NULL,
    PRIMARY KEY (guard_id, guard_version)
);

CREATE TABLE companies (
    id      TEXT    PRIMARY KEY,
    name    TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    version INTEGER NOT NULL
);

-- Each company's counts, kept incrementally; full_mask is the set of
-- criteria at 100% the events last announced.
CREATE TABLE company_scores (
    company_id         TEXT    PRIMARY KEY,
    active             INTEGER NOT NULL,
    background_checked INTEGER NOT NULL,
    trained            INTEGER NOT NULL,
    certified          INTEGER NOT NULL,
    badge_service      INTEGER NOT NULL,
    full_mask          INTEGER NOT NULL,
    version            INTEGER NOT NULL
);

-- What the counts were computed for: the day (China time) and the policy.
CREATE TABLE scoreboard_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    day    TEXT    NOT NULL,
    policy TEXT    NOT NULL
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
    company_id         TEXT    NOT NULL,
    day                TEXT    NOT NULL,
    active             INTEGER NOT NULL,
    background_checked INTEGER NOT NULL,
    trained            INTEGER NOT NULL,
    certified          INTEGER NOT NULL,
    badge_service      INTEGER NOT NULL,
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

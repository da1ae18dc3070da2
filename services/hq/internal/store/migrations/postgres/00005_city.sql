-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00005_city.sql: the same tables, columns and
-- indexes. SQLite's INTEGER is BIGINT here (the 0/1 flags too: the store
-- binds and sums them as integers), REAL DOUBLE PRECISION.
-- Issues 10 part 7, 11 part 7, 12 part 6: HQ's city view of compliance,
-- patrols and messaging, folded in from gh.<district>.compliance.v1,
-- gh.<district>.patrols.v1 and gh.<district>.messaging.v1. Like the
-- membership and meetings tables, each row is the newest snapshot HQ applied
-- for its aggregate (by version); times are unix nanoseconds, 0 for none;
-- days and periods are text in Asia/Shanghai (YYYY-MM-DD, YYYY-MM, YYYY-Qn).

-- When HQ last applied an event of each district service it folds in
-- (compliance, patrols, messaging): a section of the city view is
-- "reported" once HQ has applied any event of its service, so a district
-- that never sent one shows null, not 0.
CREATE TABLE hq_service_freshness (
    district        TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    last_event_at   BIGINT NOT NULL,
    events_applied  BIGINT NOT NULL,
    PRIMARY KEY (district, service)
);

-- A company's live four-100% counts (FourHundredCountsChanged, and the
-- counts FourHundredReached/Lost carry), newest by the scoreboard version.
CREATE TABLE hq_compliance_scores (
    company_id         TEXT    PRIMARY KEY,
    district           TEXT    NOT NULL,
    day                TEXT    NOT NULL,
    active             BIGINT NOT NULL,
    background_checked BIGINT NOT NULL,
    trained            BIGINT NOT NULL,
    certified          BIGINT NOT NULL,
    badge_service      BIGINT NOT NULL,
    version            BIGINT NOT NULL
);
CREATE INDEX hq_compliance_scores_district ON hq_compliance_scores (district, company_id);

-- The daily closing counts (ScoreboardSnapshot): the trend. company_id is
-- '' for the district's own totals.
CREATE TABLE hq_compliance_snapshots (
    district           TEXT    NOT NULL,
    company_id         TEXT    NOT NULL,
    day                TEXT    NOT NULL,
    active             BIGINT NOT NULL,
    background_checked BIGINT NOT NULL,
    trained            BIGINT NOT NULL,
    certified          BIGINT NOT NULL,
    badge_service      BIGINT NOT NULL,
    PRIMARY KEY (district, company_id, day)
);

-- Inspections are facts: one row each (InspectionRecorded).
CREATE TABLE hq_inspections (
    id             TEXT    PRIMARY KEY,
    district       TEXT    NOT NULL,
    company_id     TEXT    NOT NULL,
    inspected_on   TEXT    NOT NULL,
    for_period     TEXT    NOT NULL,
    score_reported BIGINT NOT NULL,
    score          DOUBLE PRECISION    NOT NULL,
    result         TEXT    NOT NULL,
    findings       BIGINT NOT NULL,
    recorded_at    BIGINT NOT NULL
);
CREATE INDEX hq_inspections_company ON hq_inspections (district, company_id);

-- Findings HQ has a snapshot of (FindingStatusChanged, RemediationEscalated).
CREATE TABLE hq_findings (
    id              TEXT    PRIMARY KEY,
    district        TEXT    NOT NULL,
    inspection_id   TEXT    NOT NULL,
    company_id      TEXT    NOT NULL,
    severity        TEXT    NOT NULL,
    remediation_due TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    escalated       TEXT    NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX hq_findings_district ON hq_findings (district, company_id, status);

-- A company's inspection schedule (InspectionScheduleSet), the last set.
CREATE TABLE hq_inspection_schedules (
    district   TEXT    NOT NULL,
    company_id TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    count      BIGINT NOT NULL,
    starts_on  TEXT    NOT NULL,
    PRIMARY KEY (district, company_id)
);

CREATE TABLE hq_disputes (
    id               TEXT    PRIMARY KEY,
    district         TEXT    NOT NULL,
    company_id       TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    response_overdue BIGINT NOT NULL,
    escalation_due   BIGINT NOT NULL,
    version          BIGINT NOT NULL
);
CREATE INDEX hq_disputes_district ON hq_disputes (district, company_id, status);

-- Two-four-one coverage per company and month (FourOneCoverage): counts only.
CREATE TABLE hq_four_one (
    district   TEXT    NOT NULL,
    company_id TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    checked    BIGINT NOT NULL,
    active     BIGINT NOT NULL,
    PRIMARY KEY (district, company_id, period)
);

-- The newest published version of each company's rating per period
-- (EvaluationPublished): a correction supersedes its predecessor.
CREATE TABLE hq_evaluations (
    district          TEXT    NOT NULL,
    company_id        TEXT    NOT NULL,
    period            TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    version           BIGINT NOT NULL,
    score_reported    BIGINT NOT NULL,
    score             DOUBLE PRECISION    NOT NULL,
    grade             TEXT    NOT NULL,
    policy_version    BIGINT NOT NULL,
    published_at      BIGINT NOT NULL,
    PRIMARY KEY (district, company_id, period)
);

CREATE TABLE hq_teams (
    id                TEXT    PRIMARY KEY,
    district          TEXT    NOT NULL,
    company_id        TEXT    NOT NULL,
    active_members    BIGINT NOT NULL,
    suspended_members BIGINT NOT NULL,
    version           BIGINT NOT NULL
);

-- One row per (team, guard) the team events named, at the team version
-- that last changed it: active 1 after TeamMemberJoined or
-- TeamMemberReinstated, 0 after TeamMemberSuspended. A guard counts once
-- for the district however many teams hold it.
CREATE TABLE hq_team_members (
    team_id    TEXT    NOT NULL,
    guard_id   TEXT    NOT NULL,
    district   TEXT    NOT NULL,
    company_id TEXT    NOT NULL,
    active     BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (team_id, guard_id)
);
CREATE INDEX hq_team_members_district ON hq_team_members (district, guard_id) WHERE active = 1;

CREATE TABLE hq_shifts (
    id             TEXT    PRIMARY KEY,
    district       TEXT    NOT NULL,
    plan_id        TEXT    NOT NULL,
    starts_at      BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    required       BIGINT NOT NULL,
    assigned       BIGINT NOT NULL,
    expected_scans BIGINT NOT NULL,
    version        BIGINT NOT NULL
);
CREATE INDEX hq_shifts_district ON hq_shifts (district);

-- Accepted scans are facts: one row each (CheckpointScanned).
CREATE TABLE hq_scans (
    id            TEXT    PRIMARY KEY,
    district      TEXT    NOT NULL,
    shift_id      TEXT    NOT NULL,
    guard_id      TEXT    NOT NULL,
    scanned_at    BIGINT NOT NULL,
    mock_location BIGINT NOT NULL,
    offline       BIGINT NOT NULL
);
CREATE INDEX hq_scans_shift ON hq_scans (district, shift_id, guard_id);

CREATE TABLE hq_missed_tours (
    id       TEXT    PRIMARY KEY,
    district TEXT    NOT NULL,
    shift_id TEXT    NOT NULL,
    guard_id TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    -- withdrawn: a late offline batch covered the tour (MissedTourWithdrawn);
    -- the row stays so a redelivered MissedTour does not count it again.
    withdrawn BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX hq_missed_tours_district ON hq_missed_tours (district);

CREATE TABLE hq_incidents (
    id       TEXT    PRIMARY KEY,
    district TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    severity TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    version  BIGINT NOT NULL
);
CREATE INDEX hq_incidents_district ON hq_incidents (district, status);

CREATE TABLE hq_dispatches (
    id          TEXT    PRIMARY KEY,
    district    TEXT    NOT NULL,
    urgency     TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    raised_at   BIGINT NOT NULL,
    accepted_at BIGINT NOT NULL,
    arrived_at  BIGINT NOT NULL,
    feedback_at BIGINT NOT NULL,
    closed_at   BIGINT NOT NULL,
    escalated   BIGINT NOT NULL,
    version     BIGINT NOT NULL
);
CREATE INDEX hq_dispatches_district ON hq_dispatches (district);

-- A district node's notices with their receipt counts, newest by the
-- notice's event sequence; last_receipt_at is the latest read or
-- acknowledgement a receipt event carried (receipts flowing).
CREATE TABLE hq_notices (
    id              TEXT    PRIMARY KEY,
    district        TEXT    NOT NULL,
    origin          TEXT    NOT NULL,
    directive_id    TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    priority        TEXT    NOT NULL,
    ack_required    BIGINT NOT NULL,
    ack_deadline    BIGINT NOT NULL,
    revision        BIGINT NOT NULL,
    recipients      BIGINT NOT NULL,
    read            BIGINT NOT NULL,
    acknowledged    BIGINT NOT NULL,
    published_at    BIGINT NOT NULL,
    last_receipt_at BIGINT NOT NULL,
    seq             BIGINT NOT NULL
);
CREATE INDEX hq_notices_district ON hq_notices (district, id);

-- +goose Down
DROP TABLE hq_notices;
DROP TABLE hq_dispatches;
DROP TABLE hq_incidents;
DROP TABLE hq_missed_tours;
DROP TABLE hq_scans;
DROP TABLE hq_shifts;
DROP TABLE hq_team_members;
DROP TABLE hq_teams;
DROP TABLE hq_evaluations;
DROP TABLE hq_four_one;
DROP TABLE hq_disputes;
DROP TABLE hq_inspection_schedules;
DROP TABLE hq_findings;
DROP TABLE hq_inspections;
DROP TABLE hq_compliance_snapshots;
DROP TABLE hq_compliance_scores;
DROP TABLE hq_service_freshness;

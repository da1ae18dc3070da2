-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_patrols.sql: the same tables,
-- columns and indexes. The SQLite INTEGER flags are BOOLEAN here (the store
-- binds and scans Go bools), other integers BIGINT, REAL DOUBLE PRECISION
-- (SQLite's REAL is 8 bytes too).
-- The district's guards as membership reported them (GuardHired,
-- GuardUpdated, GuardLeft, CertificateIssued, BackgroundCheckRecorded … on
-- gh.<district>.membership.v1): patrols does not call membership, it keeps
-- this projection of what the roster's conditions read. version is
-- membership's: a row only moves forward.
CREATE TABLE guards (
    id                      TEXT    PRIMARY KEY,
    company_id              TEXT    NOT NULL,
    employment_status       TEXT    NOT NULL,
    volunteer_police        BOOLEAN NOT NULL,
    has_certificate         BOOLEAN NOT NULL,
    certificate_valid_until TEXT    NOT NULL DEFAULT '',
    background_check_status TEXT    NOT NULL,
    version                 BIGINT  NOT NULL
);

-- Volunteer-police teams (江城义警); company_id '' is a district team.
CREATE TABLE teams (
    id                TEXT    PRIMARY KEY,
    name              TEXT    NOT NULL,
    company_id        TEXT    NOT NULL DEFAULT '',
    leader_guard_id   TEXT    NOT NULL,
    active_members    BIGINT  NOT NULL DEFAULT 0,
    suspended_members BIGINT  NOT NULL DEFAULT 0,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    version           BIGINT  NOT NULL
);

-- status: active | suspended; reasons: the failed conditions' error ids,
-- comma-separated, while suspended.
CREATE TABLE team_members (
    team_id    TEXT NOT NULL REFERENCES teams (id),
    guard_id   TEXT NOT NULL,
    company_id TEXT NOT NULL,
    status     TEXT NOT NULL,
    reasons    TEXT NOT NULL DEFAULT '',
    joined_at  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (team_id, guard_id)
);
CREATE INDEX team_members_guard ON team_members (guard_id);

-- Key areas: a polygon (JSON [[lat,lng],…]) or a circle; WGS-84 always.
CREATE TABLE areas (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    shape      TEXT NOT NULL,
    polygon    TEXT NOT NULL DEFAULT '',
    center_lat DOUBLE PRECISION,
    center_lng DOUBLE PRECISION,
    radius_m   DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE checkpoints (
    id         TEXT PRIMARY KEY,
    area_id    TEXT NOT NULL REFERENCES areas (id),
    name       TEXT NOT NULL,
    tag_kind   TEXT NOT NULL,
    tag_value  TEXT NOT NULL UNIQUE,
    lat        DOUBLE PRECISION NOT NULL,
    lng        DOUBLE PRECISION NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX checkpoints_area ON checkpoints (area_id);

CREATE TABLE plans (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    area_id    TEXT NOT NULL REFERENCES areas (id),
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE shifts (
    id             TEXT    PRIMARY KEY,
    plan_id        TEXT    NOT NULL REFERENCES plans (id),
    area_id        TEXT    NOT NULL,
    starts_at      TEXT    NOT NULL,
    ends_at        TEXT    NOT NULL,
    required       BIGINT  NOT NULL,
    assigned       BIGINT  NOT NULL DEFAULT 0,
    expected_scans BIGINT  NOT NULL,
    version        BIGINT  NOT NULL
);
CREATE INDEX shifts_plan ON shifts (plan_id, starts_at);
CREATE INDEX shifts_time ON shifts (starts_at, ends_at);

-- A shift's route: its checkpoints in order.
CREATE TABLE shift_checkpoints (
    shift_id      TEXT    NOT NULL REFERENCES shifts (id),
    checkpoint_id TEXT    NOT NULL,
    position      BIGINT  NOT NULL,
    PRIMARY KEY (shift_id, checkpoint_id)
);
CREATE INDEX shift_checkpoints_checkpoint ON shift_checkpoints (checkpoint_id);

CREATE TABLE assignments (
    shift_id    TEXT NOT NULL REFERENCES shifts (id),
    guard_id    TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (shift_id, guard_id)
);
CREATE INDEX assignments_guard ON assignments (guard_id);

-- Accepted scans only: a rejected one writes nothing. (device_id,
-- device_seq) is the device's name for a scan: a resend is a duplicate.
CREATE TABLE scans (
    id              TEXT    PRIMARY KEY,
    shift_id        TEXT    NOT NULL,
    guard_id        TEXT    NOT NULL,
    checkpoint_id   TEXT    NOT NULL,
    scanned_at      TEXT    NOT NULL,
    device_time     TEXT    NOT NULL,
    received_at     TEXT    NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    lng             DOUBLE PRECISION NOT NULL,
    accuracy_m      DOUBLE PRECISION NOT NULL,
    distance_m      DOUBLE PRECISION NOT NULL,
    device_id       TEXT    NOT NULL,
    device_seq      BIGINT  NOT NULL,
    mock_location   BOOLEAN NOT NULL,
    offline         BOOLEAN NOT NULL,
    clock_skewed    BOOLEAN NOT NULL,
    time_corrected  BOOLEAN NOT NULL,
    clock_offset_s  BIGINT  NOT NULL,
    UNIQUE (device_id, device_seq)
);
CREATE INDEX scans_guard_checkpoint ON scans (guard_id, checkpoint_id, scanned_at);
CREATE INDEX scans_shift ON scans (shift_id, guard_id);

-- Missed-tour anomalies: one per shift, guard and kind.
CREATE TABLE missed_tours (
    id             TEXT    PRIMARY KEY,
    shift_id       TEXT    NOT NULL,
    plan_id        TEXT    NOT NULL,
    guard_id       TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    scans          BIGINT  NOT NULL,
    expected_scans BIGINT  NOT NULL,
    raised_at      TEXT    NOT NULL,
    UNIQUE (shift_id, guard_id, kind)
);

-- +goose Down
DROP TABLE missed_tours;
DROP TABLE scans;
DROP TABLE assignments;
DROP TABLE shift_checkpoints;
DROP TABLE shifts;
DROP TABLE plans;
DROP TABLE checkpoints;
DROP TABLE areas;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE guards;

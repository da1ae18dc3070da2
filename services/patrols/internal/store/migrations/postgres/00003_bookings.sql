-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00003_bookings.sql (integers BIGINT).
-- The person a guard record stands for: membership's id_hash (an HMAC of
-- the national ID number, keyed per city), the one name two districts'
-- records of one person share. '' when membership sent none.
ALTER TABLE guards ADD COLUMN id_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX guards_id_hash ON guards (id_hash) WHERE id_hash <> '';

-- Other districts' assignments, from their ShiftAssigned and
-- ShiftAssignmentCancelled on gh.<district>.patrols.v1: what the
-- cross-district double-booking check reads. Only live ones are kept.
CREATE TABLE foreign_bookings (
    district    TEXT NOT NULL,
    shift_id    TEXT NOT NULL,
    guard_id    TEXT NOT NULL,
    person      TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (district, shift_id, guard_id)
);
CREATE INDEX foreign_bookings_person ON foreign_bookings (person, starts_at);

-- Cross-district double bookings found (one per pair of assignments), so
-- a redelivered or replayed assignment notifies nobody twice.
CREATE TABLE booking_conflicts (
    id              TEXT NOT NULL PRIMARY KEY,
    shift_id        TEXT NOT NULL,
    guard_id        TEXT NOT NULL,
    other_district  TEXT NOT NULL,
    other_shift_id  TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    found_at        TEXT NOT NULL,
    UNIQUE (shift_id, guard_id, other_district, other_shift_id)
);

-- A missed tour an offline batch showed done after all.
ALTER TABLE missed_tours ADD COLUMN withdrawn_at TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE missed_tours DROP COLUMN withdrawn_at;
DROP TABLE booking_conflicts;
DROP TABLE foreign_bookings;
DROP INDEX guards_id_hash;
ALTER TABLE guards DROP COLUMN id_hash;

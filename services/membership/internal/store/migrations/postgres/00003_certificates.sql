-- +goose Up
-- A guard certificate's last valid day (YYYY-MM-DD, China time; '' for no
-- end date) and its issuing authority (发证机关). "Certified on duty" is
-- computed from certificate_valid_until and the service's clock on every
-- read, so it lapses the day after without a write.
ALTER TABLE guards ADD COLUMN certificate_valid_until TEXT NOT NULL DEFAULT '';
ALTER TABLE guards ADD COLUMN certificate_authority   TEXT NOT NULL DEFAULT '';
-- The certificate-number check on hire and issue looks up active holders;
-- not UNIQUE: a database from before may already hold a duplicate, and a
-- guard who left keeps their number on record.
CREATE INDEX guards_certificate ON guards (certificate_number) WHERE certificate_number <> '';
CREATE INDEX guards_valid_until ON guards (certificate_valid_until) WHERE certificate_valid_until <> '';

-- One row per certificate (guard, number, valid_until) whose
-- CertificateExpiring event was emitted, written in the event's
-- transaction: a second run of the daily job, on this node after a restart
-- or on another, emits nothing twice. A renewed certificate (new
-- valid_until) is a new key and is announced again.
CREATE TABLE certificate_expiry_notices (
    guard_id           TEXT NOT NULL REFERENCES guards (id),
    certificate_number TEXT NOT NULL,
    valid_until        TEXT NOT NULL,
    window_date        TEXT NOT NULL,
    PRIMARY KEY (guard_id, certificate_number, valid_until)
);

-- +goose Down
DROP TABLE certificate_expiry_notices;
DROP INDEX guards_valid_until;
DROP INDEX guards_certificate;
ALTER TABLE guards DROP COLUMN certificate_authority;
ALTER TABLE guards DROP COLUMN certificate_valid_until;

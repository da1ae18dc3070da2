-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00003_conflicts.sql: the same tables, columns and
-- indexes. SQLite's INTEGER is BIGINT here (the 0/1 flags too: the store
-- binds and sums them as integers), REAL DOUBLE PRECISION.
-- Issue 9: the guard snapshot's certificate (number, last valid day,
-- issuer) and the conflicts only HQ can see.
--
-- certificate_valid_until: YYYY-MM-DD (a day in Asia/Shanghai), '' for a
-- certificate without an end date; compared as text with today's date.
ALTER TABLE hq_guards ADD COLUMN certificate_number TEXT NOT NULL DEFAULT '';
ALTER TABLE hq_guards ADD COLUMN certificate_valid_until TEXT NOT NULL DEFAULT '';
ALTER TABLE hq_guards ADD COLUMN certificate_authority TEXT NOT NULL DEFAULT '';
CREATE INDEX hq_guards_active_certificate ON hq_guards (certificate_number)
    WHERE employment_status = 'active' AND certificate_number <> '';
-- A company counts for the credit-code conflicts unless it has lapsed.
CREATE INDEX hq_companies_registered_credit_code ON hq_companies (credit_code)
    WHERE status <> 'lapsed' AND credit_code <> '';

-- Every conflict that exists now, and when HQ first saw it (unix
-- nanoseconds of the apply that made it one). The projector keeps it in
-- step with the snapshots, in the same transaction: a conflict that ends
-- loses its row, so one that comes back is new again.
-- kind: person (key: id_hash), credit_code (the code), certificate_number
-- (the number).
CREATE TABLE hq_conflicts (
    kind          TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);

-- The conflicts of a read model from before this migration were first
-- seen now: HQ kept no record of them. (No snapshot carried a certificate
-- number yet, so there is no certificate conflict to find.)
INSERT INTO hq_conflicts (kind, key, first_seen_at)
    SELECT 'person', id_hash, CAST(extract(epoch FROM now()) AS BIGINT) * 1000000000
    FROM hq_guards
    WHERE employment_status = 'active' AND id_hash <> ''
    GROUP BY id_hash HAVING count(DISTINCT district) > 1;
INSERT INTO hq_conflicts (kind, key, first_seen_at)
    SELECT 'credit_code', credit_code, CAST(extract(epoch FROM now()) AS BIGINT) * 1000000000
    FROM hq_companies
    WHERE status <> 'lapsed' AND credit_code <> ''
    GROUP BY credit_code HAVING count(DISTINCT district) > 1;

-- +goose Down
DROP TABLE hq_conflicts;
DROP INDEX hq_companies_registered_credit_code;
DROP INDEX hq_guards_active_certificate;
ALTER TABLE hq_guards DROP COLUMN certificate_authority;
ALTER TABLE hq_guards DROP COLUMN certificate_valid_until;
ALTER TABLE hq_guards DROP COLUMN certificate_number;

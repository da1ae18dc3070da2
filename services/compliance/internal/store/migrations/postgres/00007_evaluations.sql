-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00007_evaluations.sql: the same
-- tables; convention_signatures.current is a BOOLEAN, and the published
-- evaluation's immutability is one plpgsql trigger function (SQLite's
-- triggers RAISE(ABORT) in their body; PostgreSQL's call a function).
-- The meetings service's events that evaluations and roundtable timeliness
-- read (gh.<district>.meetings.v1): each meeting's newest snapshot, each
-- company invitee's latest attendance, and the convention signatures, each
-- with the id of the event it came from (a rating's evidence names it).
CREATE TABLE meetings (
    id        TEXT   PRIMARY KEY,
    type      TEXT   NOT NULL,
    status    TEXT   NOT NULL,
    starts_at TEXT   NOT NULL,
    version   BIGINT NOT NULL,
    event_id  TEXT   NOT NULL
);
CREATE TABLE meeting_attendance (
    meeting_id  TEXT NOT NULL,
    company_id  TEXT NOT NULL,
    status      TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    PRIMARY KEY (meeting_id, company_id)
);
CREATE INDEX meeting_attendance_by_company ON meeting_attendance (company_id);
CREATE TABLE convention_signatures (
    id                 TEXT    PRIMARY KEY,
    company_id         TEXT    NOT NULL,
    convention_version TEXT    NOT NULL,
    current            BOOLEAN NOT NULL,
    signed_at          TEXT    NOT NULL,
    event_id           TEXT    NOT NULL
);
CREATE INDEX convention_signatures_by_company ON convention_signatures (company_id);

-- The event id of the company event that last set a company's active
-- window (a rating's evidence of membership).
ALTER TABLE companies ADD COLUMN window_event_id TEXT NOT NULL DEFAULT '';

-- Evaluations (行业评价): one row per version of a company's rating of a
-- period (id = company and period). A draft may be recomputed in place; a
-- published version never changes: the trigger refuses it whatever the
-- code does.
CREATE TABLE evaluations (
    id         TEXT   NOT NULL,
    version    BIGINT NOT NULL,
    company_id TEXT   NOT NULL,
    period     TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX evaluations_by_company ON evaluations (company_id, period);
-- +goose StatementBegin
CREATE FUNCTION evaluations_published_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published evaluation is immutable' USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER evaluations_published_immutable BEFORE UPDATE ON evaluations
FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION evaluations_published_immutable();
CREATE TRIGGER evaluations_published_undeletable BEFORE DELETE ON evaluations
FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION evaluations_published_immutable();

-- Obligation events sent (ObligationCompleted / ObligationMissed), once
-- per company, obligation, period and kind.
CREATE TABLE obligation_marks (
    company_id TEXT NOT NULL,
    obligation TEXT NOT NULL,
    period     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    PRIMARY KEY (company_id, obligation, period, kind)
);

-- +goose Down
DROP TABLE obligation_marks;
DROP TRIGGER evaluations_published_undeletable ON evaluations;
DROP TRIGGER evaluations_published_immutable ON evaluations;
DROP FUNCTION evaluations_published_immutable();
DROP TABLE evaluations;
ALTER TABLE companies DROP COLUMN window_event_id;
DROP TABLE convention_signatures;
DROP TABLE meeting_attendance;
DROP TABLE meetings;

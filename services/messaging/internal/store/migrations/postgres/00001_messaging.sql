-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00001_messaging.sql: the same tables,
-- columns and indexes. The SQLite INTEGER flags are BOOLEAN here
-- (the store binds and scans Go bools and tests the bare flag), other
-- integers BIGINT.
-- The district's member companies as membership reported them
-- (CompanyRegistered, CompanyUpdated, CompanyStatusChanged on
-- gh.<district>.membership.v1): messaging does not call membership, it
-- keeps this projection, from which a notice's audience is resolved.
-- version is membership's: a row only moves forward.
CREATE TABLE companies (
    id      TEXT    PRIMARY KEY,
    name    TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    level   TEXT    NOT NULL DEFAULT '',
    version BIGINT  NOT NULL
);

-- A notice of the district node (its own, the police office's, or an HQ
-- directive materialised here: directive_id, unique, so a directive is
-- materialised once whatever redelivers it). version is the content
-- revision (the ETag); seq counts the notice's events; recipients, read
-- and acknowledged are the roll-up, moved in the transaction of every
-- receipt change.
CREATE TABLE notices (
    id            TEXT    PRIMARY KEY,
    origin        TEXT    NOT NULL,
    directive_id  TEXT    UNIQUE,
    title         TEXT    NOT NULL,
    body_markdown TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    attachments   TEXT    NOT NULL,
    priority      TEXT    NOT NULL,
    ack_required  BOOLEAN NOT NULL,
    ack_deadline  TEXT,
    audience      TEXT    NOT NULL,
    sent_by       TEXT    NOT NULL,
    recipients    BIGINT  NOT NULL,
    read_count    BIGINT  NOT NULL,
    ack_count     BIGINT  NOT NULL,
    published_at  TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    version       BIGINT  NOT NULL,
    seq           BIGINT  NOT NULL
);
CREATE INDEX notices_deadline ON notices (ack_deadline) WHERE ack_required;

-- One receipt per recipient company of a notice, for its current revision.
CREATE TABLE receipts (
    notice_id        TEXT    NOT NULL REFERENCES notices (id),
    company_id       TEXT    NOT NULL,
    company_name     TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    revision         BIGINT  NOT NULL,
    delivered_at     TEXT    NOT NULL,
    read_at          TEXT,
    read_by          TEXT    NOT NULL DEFAULT '',
    acknowledged_at  TEXT,
    acknowledged_by  TEXT    NOT NULL DEFAULT '',
    comment          TEXT    NOT NULL DEFAULT '',
    last_reminded_at TEXT,
    reminders        BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (notice_id, company_id)
);
CREATE INDEX receipts_company ON receipts (company_id, notice_id);

-- The HQ role's directives (gh.hq.directives.v1).
CREATE TABLE directives (
    id            TEXT    PRIMARY KEY,
    title         TEXT    NOT NULL,
    body_markdown TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    attachments   TEXT    NOT NULL,
    priority      TEXT    NOT NULL,
    ack_required  BOOLEAN NOT NULL,
    ack_deadline  TEXT,
    districts     TEXT    NOT NULL,
    issued_at     TEXT    NOT NULL,
    issued_by     TEXT    NOT NULL
);

-- What the HQ role knows of a directive at each district node, from the
-- node's notice events; seq is the newest notice event applied.
CREATE TABLE deliveries (
    directive_id    TEXT    NOT NULL,
    district        TEXT    NOT NULL,
    notice_id       TEXT    NOT NULL,
    recipients      BIGINT  NOT NULL,
    read_count      BIGINT  NOT NULL,
    ack_count       BIGINT  NOT NULL,
    delivered_at    TEXT    NOT NULL,
    last_receipt_at TEXT,
    seq             BIGINT  NOT NULL,
    PRIMARY KEY (directive_id, district)
);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE directives;
DROP TABLE receipts;
DROP TABLE notices;
DROP TABLE companies;

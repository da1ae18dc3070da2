-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00003_district_notices.sql: the same tables,
-- columns and indexes. The SQLite INTEGER flags are BOOLEAN here
-- (the store binds and scans Go bools and tests the bare flag), other
-- integers BIGINT.
-- The HQ role's record of every notice of every district (from the
-- districts' messaging topics): the newest counts by the notice's event
-- sequence, for the acknowledgement rates per district.
CREATE TABLE district_notices (
    district     TEXT    NOT NULL,
    notice_id    TEXT    NOT NULL,
    origin       TEXT    NOT NULL,
    ack_required BOOLEAN NOT NULL,
    recipients   BIGINT  NOT NULL,
    ack_count    BIGINT  NOT NULL,
    seq          BIGINT  NOT NULL,
    PRIMARY KEY (district, notice_id)
);

-- +goose Down
DROP TABLE district_notices;

-- +goose Up
-- The HQ role's record of every notice of every district (from the
-- districts' messaging topics): the newest counts by the notice's event
-- sequence, for the acknowledgement rates per district.
CREATE TABLE district_notices (
    district     TEXT    NOT NULL,
    notice_id    TEXT    NOT NULL,
    origin       TEXT    NOT NULL,
    ack_required INTEGER NOT NULL,
    recipients   INTEGER NOT NULL,
    ack_count    INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (district, notice_id)
);

-- +goose Down
DROP TABLE district_notices;

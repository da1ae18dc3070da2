-- +goose Up
-- The newest signature of the current convention each company made, as the
-- meetings service reported it (ConventionSigned on gh.<district>.meetings.v1).
-- Signatures of different companies travel in different Kafka partitions
-- and may be applied out of order: companies.convention_version only follows
-- a signature newer than the one recorded here, so a late older signature
-- never rolls it back.
CREATE TABLE convention_signatures (
    company_id         TEXT PRIMARY KEY REFERENCES companies (id),
    signature_id       TEXT NOT NULL,
    convention_version TEXT NOT NULL,
    signed_at          TEXT NOT NULL
);

-- +goose Down
DROP TABLE convention_signatures;

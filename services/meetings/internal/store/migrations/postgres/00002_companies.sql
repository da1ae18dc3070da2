-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00002_companies.sql: the same tables, columns
-- and indexes; INTEGER flags are BOOLEAN here, other integers BIGINT.
-- The district's member companies as membership reported them
-- (CompanyRegistered, CompanyUpdated, CompanyStatusChanged on
-- gh.<district>.membership.v1): meetings does not call membership, it keeps
-- this projection. Invitations and signatures name a company from here,
-- and the convention rate counts its active ones. version is membership's:
-- a row only moves forward, so a redelivered or late older event never
-- rolls a company back.
CREATE TABLE companies (
    id      TEXT    PRIMARY KEY,
    name    TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    version BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE companies;

-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00005_aid_publicity.sql: the same tables,
-- columns and indexes. The SQLite INTEGER flags are BOOLEAN here
-- (the store binds and scans Go bools and tests the bare flag), other
-- integers BIGINT.
-- The district's guards as membership reported them: enough to count a
-- company's qualified guards for a mutual-aid offer.
CREATE TABLE guards (
    id          TEXT    PRIMARY KEY,
    company_id  TEXT    NOT NULL,
    active      BOOLEAN NOT NULL,
    certified   BOOLEAN NOT NULL,
    valid_until TEXT    NOT NULL,
    version     BIGINT  NOT NULL
);
CREATE INDEX guards_company ON guards (company_id);

-- Mutual-aid requests (互助机制): the node's own (district = the node's)
-- and the copies of other districts' it sees; at HQ, every district's.
CREATE TABLE aid_requests (
    id                   TEXT    PRIMARY KEY,
    district             TEXT    NOT NULL,
    kind                 TEXT    NOT NULL,
    title                TEXT    NOT NULL,
    headcount            BIGINT  NOT NULL,
    qualification        TEXT    NOT NULL,
    starts_at            TEXT    NOT NULL,
    ends_at              TEXT    NOT NULL,
    place                TEXT    NOT NULL,
    contact_role         TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    visible_to           TEXT    NOT NULL,
    requested_by         TEXT    NOT NULL,
    requester_role       TEXT    NOT NULL,
    requester_company_id TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    offered              BIGINT  NOT NULL,
    accepted             BIGINT  NOT NULL,
    created_at           TEXT    NOT NULL,
    first_offer_at       TEXT,
    closed_at            TEXT,
    close_reason         TEXT    NOT NULL,
    seq                  BIGINT  NOT NULL
);
CREATE INDEX aid_requests_open ON aid_requests (district, status, ends_at);

-- Offers: the node's companies' (for any request they see) and those for
-- the node's own requests (from other districts too).
CREATE TABLE aid_offers (
    id                 TEXT    PRIMARY KEY,
    request_id         TEXT    NOT NULL,
    request_district   TEXT    NOT NULL,
    district           TEXT    NOT NULL,
    company_id         TEXT    NOT NULL,
    company_name       TEXT    NOT NULL,
    headcount          BIGINT  NOT NULL,
    status             TEXT    NOT NULL,
    accepted_headcount BIGINT  NOT NULL,
    offered_by         TEXT    NOT NULL,
    offered_at         TEXT    NOT NULL,
    accepted_at        TEXT,
    note               TEXT    NOT NULL
);
CREATE INDEX aid_offers_request ON aid_offers (request_id);
CREATE INDEX aid_offers_company ON aid_offers (company_id);

-- Positive-publicity posts (正面宣传): a district node's own; at HQ, those
-- the district leads approved (and their later versions).
CREATE TABLE publicity_posts (
    id                TEXT    PRIMARY KEY,
    district          TEXT    NOT NULL,
    version           BIGINT  NOT NULL,
    title             TEXT    NOT NULL,
    body_markdown     TEXT    NOT NULL,
    body_html         TEXT    NOT NULL,
    red_shield_post   TEXT    NOT NULL,
    company_id        TEXT    NOT NULL,
    author            TEXT    NOT NULL,
    author_role       TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    reason            TEXT    NOT NULL,
    submitted_at      TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    published_version BIGINT  NOT NULL,
    published_at      TEXT
);

-- The city's published posts, every district's, at their published version.
CREATE TABLE published_posts (
    id              TEXT    PRIMARY KEY,
    district        TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    title           TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    red_shield_post TEXT    NOT NULL,
    company_id      TEXT    NOT NULL,
    author          TEXT    NOT NULL,
    published_at    TEXT    NOT NULL
);

-- +goose Down
DROP TABLE published_posts;
DROP TABLE publicity_posts;
DROP TABLE aid_offers;
DROP TABLE aid_requests;
DROP TABLE guards;

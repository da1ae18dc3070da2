-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00002_liaison.sql (integers BIGINT).
-- The district's standing liaison channel (常态化联络机制): threads
-- between the district lead, the companies and the police liaison
-- officers. posts counts the thread's posts; a post's seq is its place in
-- the thread (1: the opening).
CREATE TABLE liaison_threads (
    id              TEXT    PRIMARY KEY,
    title           TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_by_role TEXT    NOT NULL,
    posts           BIGINT  NOT NULL,
    created_at      TEXT    NOT NULL,
    last_post_at    TEXT    NOT NULL
);

CREATE TABLE liaison_posts (
    id            TEXT    PRIMARY KEY,
    thread_id     TEXT    NOT NULL REFERENCES liaison_threads (id),
    seq           BIGINT  NOT NULL,
    author        TEXT    NOT NULL,
    author_role   TEXT    NOT NULL,
    company_id    TEXT    NOT NULL,
    body_markdown TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    mentions      TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    UNIQUE (thread_id, seq)
);

-- Who a post mentions, to count a reader's unread mentions with an index.
CREATE TABLE liaison_mentions (
    subject   TEXT    NOT NULL,
    thread_id TEXT    NOT NULL,
    seq       BIGINT  NOT NULL,
    PRIMARY KEY (subject, thread_id, seq)
);

-- A reader's last-read marker per thread: the unread count is the thread's
-- posts after it, so reading costs one row per reader and thread, never a
-- row per post and reader.
CREATE TABLE liaison_read_markers (
    thread_id  TEXT    NOT NULL,
    reader     TEXT    NOT NULL,
    seq        BIGINT  NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (thread_id, reader)
);

-- +goose Down
DROP TABLE liaison_read_markers;
DROP TABLE liaison_mentions;
DROP TABLE liaison_posts;
DROP TABLE liaison_threads;

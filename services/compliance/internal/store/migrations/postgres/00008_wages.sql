-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00008_wages.sql.
-- The wage guarantee (建立职工薪资保障机制): one row per company and month,
-- the declaration as JSON with the columns the lists filter on.
CREATE TABLE wage_declarations (
    id         TEXT   PRIMARY KEY,
    company_id TEXT   NOT NULL,
    month      TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    version    BIGINT NOT NULL
);
CREATE INDEX wage_declarations_month ON wage_declarations (month);

-- +goose Down
DROP TABLE wage_declarations;

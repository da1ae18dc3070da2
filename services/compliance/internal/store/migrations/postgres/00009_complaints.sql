-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00009_complaints.sql.
-- Fair-competition complaints (抱团取暖，杜绝恶意竞争): the complaint as JSON
-- (evidence, answer, timers, outcome), with the columns the lists filter on.
-- A company's list matches either side, so both ids are indexed.
CREATE TABLE complaints (
    id             TEXT   PRIMARY KEY,
    complainant_id TEXT   NOT NULL,
    accused_id     TEXT   NOT NULL,
    kind           TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    body           TEXT   NOT NULL,
    version        BIGINT NOT NULL
);
CREATE INDEX complaints_status ON complaints (status);
CREATE INDEX complaints_complainant ON complaints (complainant_id);
CREATE INDEX complaints_accused ON complaints (accused_id);

-- +goose Down
DROP TABLE complaints;

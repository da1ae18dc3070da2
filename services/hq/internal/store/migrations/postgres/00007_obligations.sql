-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00007_obligations.sql: the same tables, columns and
-- indexes. SQLite's INTEGER is BIGINT here (the 0/1 flags too: the store
-- binds and sums them as integers), REAL DOUBLE PRECISION.
-- Issue 10 parts 6 and 7: HQ's timeliness from compliance's own obligation
-- events (ObligationCompleted / ObligationMissed), one row per district,
-- company, obligation and period. compliance sends each of the two once per
-- company, obligation and period, in either order (a period missed and
-- done late later has both), so the projector merges them: every count
-- only grows (max), which makes the row the same whichever came first and
-- however often either is redelivered. The event ids say where the row's
-- figures came from.
CREATE TABLE hq_obligations (
    district           TEXT    NOT NULL,
    company_id         TEXT    NOT NULL,
    -- obligation: inspection | four_one | roundtable.
    obligation         TEXT    NOT NULL,
    -- period: compliance's label (2026-W27, 2026-06, 2026-Q3, 2026).
    period             TEXT    NOT NULL,
    expected           BIGINT NOT NULL,
    done               BIGINT NOT NULL,
    on_time            BIGINT NOT NULL,
    -- The ObligationCompleted and ObligationMissed applied ('' none yet).
    completed_event_id TEXT    NOT NULL DEFAULT '',
    missed_event_id    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (district, company_id, obligation, period)
);
CREATE INDEX hq_obligations_period ON hq_obligations (district, obligation, period);

-- The approximation these events replace read the schedules; nothing else
-- does (InspectionScheduleSet is acknowledged from now on).
DROP TABLE hq_inspection_schedules;

-- +goose Down
CREATE TABLE hq_inspection_schedules (
    district   TEXT    NOT NULL,
    company_id TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    count      BIGINT NOT NULL,
    starts_on  TEXT    NOT NULL,
    PRIMARY KEY (district, company_id)
);
DROP TABLE hq_obligations;

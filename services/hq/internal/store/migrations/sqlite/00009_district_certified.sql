-- +goose Up
-- Issue 13: a district's guards certified on duty today were
-- certified_open plus the sum of hq_district_certificate_ends from today
-- on: every future end day (1,500 rows a district in BenchmarkSummaryRead),
-- read for each summary and district view. hq_district_certified keeps,
-- per district, that sum from one day (from_day) on, in the transactions
-- that change the ends, so a read adds only the end days between from_day
-- and today (none once the projector has written that day):
--
--   certified dated(today) = active - sum(ends in [from_day, today))
--                                   + sum(ends in [today, from_day))
--
-- FlushGuardTallies moves from_day to the day of its writes (the first
-- flush of a district after this migration does). '' sorts before every
-- day: from it, active is every dated certificate of the district.
CREATE TABLE hq_district_certified (
    district TEXT    NOT NULL PRIMARY KEY,
    from_day TEXT    NOT NULL,
    active   INTEGER NOT NULL DEFAULT 0
);

INSERT INTO hq_district_certified (district, from_day, active)
SELECT district, '', sum(active) FROM hq_district_certificate_ends GROUP BY district;

-- +goose Down
DROP TABLE hq_district_certified;

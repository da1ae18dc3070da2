-- +goose Up
-- PostgreSQL twin of migrations/sqlite/00008_seed.sql: the same tables, columns and
-- indexes. SQLite's INTEGER is BIGINT here (the 0/1 flags too: the store
-- binds and sums them as integers), REAL DOUBLE PRECISION.
-- Issue 17: HQ's figures of the rest of the seed, folded in from
-- gh.<district>.meetings.v1 (field visits, the practical-services plan) and
-- gh.<district>.compliance.v1 (wage declarations, fair-competition
-- complaints). Each row is the newest snapshot HQ applied of its aggregate:
-- an upsert only moves forward in version, so a redelivery or an older
-- snapshot changes nothing. A block is "reported" for a district once HQ
-- holds a row of its table for it (every applied event writes one).

-- A district lead's field visit (FieldVisitRecorded). Who went stays in the
-- district; the event carries only how many went.
CREATE TABLE hq_field_visits (
    id          TEXT    PRIMARY KEY,
    district    TEXT    NOT NULL,
    company_id  TEXT    NOT NULL,
    visited_on  TEXT    NOT NULL,
    visitors    BIGINT NOT NULL,
    follow_ups  BIGINT NOT NULL,
    version     BIGINT NOT NULL
);
CREATE INDEX hq_field_visits_company ON hq_field_visits (district, company_id, visited_on);

-- When each company became active: the updated_at of the snapshot that
-- made it active, kept while it stays active (an update of an active
-- company does not restart its clock) and taken anew when it becomes active
-- again. Only the companies hq_companies holds as active are read, so the
-- row of one that stopped being active is left as it is. The meetings service keeps the same day for its unvisited list
-- and its visit plan. Kept by triggers on hq_companies so that the
-- membership projection writes it in its own transaction.
CREATE TABLE hq_company_active_since (
    company_id TEXT    PRIMARY KEY,
    district   TEXT    NOT NULL,
    since      BIGINT NOT NULL
);
INSERT INTO hq_company_active_since (company_id, district, since)
SELECT id, district, updated_at FROM hq_companies WHERE status = 'active';

-- One plpgsql function does what SQLite's two triggers do.
-- +goose StatementBegin
CREATE FUNCTION hq_companies_active_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'active' THEN
        INSERT INTO hq_company_active_since (company_id, district, since) VALUES (NEW.id, NEW.district, NEW.updated_at)
        ON CONFLICT (company_id) DO UPDATE SET district = excluded.district,
            since = CASE WHEN TG_OP = 'UPDATE' AND OLD.status = 'active' THEN hq_company_active_since.since
                         ELSE excluded.since END;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER hq_companies_active_insert AFTER INSERT ON hq_companies
    FOR EACH ROW EXECUTE FUNCTION hq_companies_active_since();
CREATE TRIGGER hq_companies_active_update AFTER UPDATE ON hq_companies
    FOR EACH ROW EXECUTE FUNCTION hq_companies_active_since();

-- An item of the practical-services plan (ServicePlanItemCreated,
-- ServicePlanMilestoneDone, ServiceBeneficiaryAdded).
CREATE TABLE hq_service_items (
    id              TEXT    PRIMARY KEY,
    district        TEXT    NOT NULL,
    term            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    target_count    BIGINT NOT NULL,
    achieved        BIGINT NOT NULL,
    milestones      BIGINT NOT NULL,
    milestones_done BIGINT NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX hq_service_items_district ON hq_service_items (district);

-- A company an item served, with its feedback rating (0: none yet)
-- (ServiceBeneficiaryAdded, ServiceFeedbackGiven). The comment stays in the
-- district.
CREATE TABLE hq_service_beneficiaries (
    item_id    TEXT    NOT NULL,
    company_id TEXT    NOT NULL,
    district   TEXT    NOT NULL,
    rating     BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (item_id, company_id)
);
CREATE INDEX hq_service_beneficiaries_district ON hq_service_beneficiaries (district);

-- A company's wage declaration of a month (WageDeclared,
-- WageDeclarationReviewed, WageDeclarationMissed): no amount, no guard.
CREATE TABLE hq_wage_declarations (
    district      TEXT    NOT NULL,
    company_id    TEXT    NOT NULL,
    month         TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    paid_in_full  BIGINT NOT NULL,
    guarantee     TEXT    NOT NULL,
    on_time       BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    PRIMARY KEY (district, company_id, month)
);
CREATE INDEX hq_wage_declarations_month ON hq_wage_declarations (district, month);

-- A fair-competition complaint (ComplaintFiled, ComplaintAnswered,
-- ComplaintStatusChanged, ComplaintAnswerOverdue, ComplaintMediationOverdue).
-- The events name the complainant and the accused; HQ keeps neither: its
-- figures are counts, and HQ's readers (police among them) must never learn
-- a complainant the district would withhold from the accused.
CREATE TABLE hq_complaints (
    id                TEXT    PRIMARY KEY,
    district          TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    outcome           TEXT    NOT NULL,
    answered          BIGINT NOT NULL,
    answer_overdue    BIGINT NOT NULL,
    mediation_overdue BIGINT NOT NULL,
    version           BIGINT NOT NULL
);
CREATE INDEX hq_complaints_district ON hq_complaints (district);

-- +goose Down
DROP TABLE hq_complaints;
DROP TABLE hq_wage_declarations;
DROP TABLE hq_service_beneficiaries;
DROP TABLE hq_service_items;
DROP TRIGGER hq_companies_active_update ON hq_companies;
DROP TRIGGER hq_companies_active_insert ON hq_companies;
DROP FUNCTION hq_companies_active_since();
DROP TABLE hq_company_active_since;
DROP TABLE hq_field_visits;

package store

// Issue 17's writes and reads: field visits, the practical-services plan,
// wage declarations and fair-competition complaints (migration 00008).
// Every write is an upsert that only moves forward in version, so a
// redelivered or older snapshot changes nothing.

import (
	"context"
	"database/sql"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// FieldVisit is a district lead's visit to a company.
type FieldVisit struct {
	ID, District, CompanyID, VisitedOn string
	Visitors, FollowUps, Version       int64
}

// PutFieldVisit stores a visit if newer.
func (s *Store) PutFieldVisit(ctx context.Context, tx *sql.Tx, v FieldVisit) (bool, error) {
	return s.upsert(ctx, tx, "hq_field_visits", []string{"id"},
		[]string{"id", "district", "company_id", "visited_on", "visitors", "follow_ups", "version"},
		newerVersion, v.ID, v.District, v.CompanyID, v.VisitedOn, v.Visitors, v.FollowUps, v.Version)
}

// ServiceItem is an item of the practical-services plan.
type ServiceItem struct {
	ID, District, Term, Kind                          string
	TargetCount, Achieved, Milestones, MilestonesDone int64
	Version                                           int64
}

// PutServiceItem stores a plan item if newer.
func (s *Store) PutServiceItem(ctx context.Context, tx *sql.Tx, it ServiceItem) (bool, error) {
	return s.upsert(ctx, tx, "hq_service_items", []string{"id"},
		[]string{"id", "district", "term", "kind", "target_count", "achieved", "milestones", "milestones_done", "version"},
		newerVersion, it.ID, it.District, it.Term, it.Kind, it.TargetCount, it.Achieved, it.Milestones, it.MilestonesDone, it.Version)
}

// Beneficiary is a company a plan item served, with its rating (0: none).
type Beneficiary struct {
	ItemID, CompanyID, District string
	Rating, Version             int64
}

// PutBeneficiary stores a beneficiary if newer.
func (s *Store) PutBeneficiary(ctx context.Context, tx *sql.Tx, b Beneficiary) (bool, error) {
	return s.upsert(ctx, tx, "hq_service_beneficiaries", []string{"item_id", "company_id"},
		[]string{"item_id", "company_id", "district", "rating", "version"},
		newerVersion, b.ItemID, b.CompanyID, b.District, b.Rating, b.Version)
}

// Wage is a company's wage declaration of a month.
type Wage struct {
	District, CompanyID, Month, Status, Guarantee string
	PaidInFull, OnTime                            bool
	Version                                       int64
}

// PutWage stores a wage declaration if newer.
func (s *Store) PutWage(ctx context.Context, tx *sql.Tx, w Wage) (bool, error) {
	return s.upsert(ctx, tx, "hq_wage_declarations", []string{"district", "company_id", "month"},
		[]string{"district", "company_id", "month", "status", "paid_in_full", "guarantee", "on_time", "version"},
		newerVersion, w.District, w.CompanyID, w.Month, w.Status, b2i(w.PaidInFull), w.Guarantee, b2i(w.OnTime), w.Version)
}

// Complaint is a fair-competition complaint, without its parties.
type Complaint struct {
	ID, District, Kind, Status, Outcome       string
	Answered, AnswerOverdue, MediationOverdue bool
	Version                                   int64
}

// PutComplaint stores a complaint if newer.
func (s *Store) PutComplaint(ctx context.Context, tx *sql.Tx, c Complaint) (bool, error) {
	return s.upsert(ctx, tx, "hq_complaints", []string{"id"},
		[]string{"id", "district", "kind", "status", "outcome", "answered", "answer_overdue", "mediation_overdue", "version"},
		newerVersion, c.ID, c.District, c.Kind, c.Status, c.Outcome, b2i(c.Answered), b2i(c.AnswerOverdue), b2i(c.MediationOverdue), c.Version)
}

// Seed implements service.SeedRepository, in one read transaction.
func (s *Store) Seed(ctx context.Context, district, from, to, month string) (out map[string]service.SeedData, err error) {
	err = s.read(ctx, func(r reader) error {
		out, err = r.seed(ctx, district, from, to, month)
		return err
	})
	return out, err
}

func (r reader) seed(ctx context.Context, district, from, to, month string) (map[string]service.SeedData, error) {
	out := map[string]service.SeedData{}
	at := func(d string) *service.SeedData {
		sd := out[d]
		out[d] = sd
		return &sd
	}
	put := func(d string, sd *service.SeedData) { out[d] = *sd }
	where, args := districtFilter("district", district)

	err := r.query(ctx, "field visits", `SELECT district, count(*),
		coalesce(sum(CASE WHEN visited_on >= ? AND visited_on < ? THEN 1 ELSE 0 END), 0),
		count(DISTINCT CASE WHEN visited_on >= ? AND visited_on < ? THEN company_id END)
		FROM hq_field_visits WHERE `+where+` GROUP BY district`, func(rows *sql.Rows) error {
		var d string
		var total, held, visited int64
		if err := rows.Scan(&d, &total, &held, &visited); err != nil {
			return err
		}
		sd := at(d)
		sd.FieldVisits.Reported, sd.FieldVisits.Total, sd.FieldVisits.Held, sd.FieldVisits.Visited = true, total, held, visited
		put(d, sd)
		return nil
	}, append([]any{from, to, from, to}, args...)...)
	if err != nil {
		return nil, err
	}

	// The active companies with the day they became active (China time)
	// and their newest visit.
	cwhere, cargs := districtFilter("c.district", district)
	err = r.query(ctx, "active companies", `SELECT c.district, c.id, c.name, coalesce(a.since, 0),
		coalesce((SELECT max(v.visited_on) FROM hq_field_visits v WHERE v.district = c.district AND v.company_id = c.id), '')
		FROM hq_companies c LEFT JOIN hq_company_active_since a ON a.company_id = c.id
		WHERE c.status = 'active' AND `+cwhere+` ORDER BY c.district, c.id`, func(rows *sql.Rows) error {
		var d string
		var c service.SeedCompany
		var since int64
		if err := rows.Scan(&d, &c.ID, &c.Name, &since, &c.LastVisitedOn); err != nil {
			return err
		}
		if since != 0 {
			c.ActiveSince = service.Today(fromNanos(since))
		}
		sd := at(d)
		sd.Companies = append(sd.Companies, c)
		put(d, sd)
		return nil
	}, cargs...)
	if err != nil {
		return nil, err
	}

	err = r.query(ctx, "service items", `SELECT district, count(*), coalesce(sum(CASE WHEN achieved >= target_count THEN 1 ELSE 0 END), 0),
		coalesce(sum(milestones), 0), coalesce(sum(milestones_done), 0)
		FROM hq_service_items WHERE `+where+` GROUP BY district`, func(rows *sql.Rows) error {
		var d string
		var p service.ServicePlanStats
		if err := rows.Scan(&d, &p.Items, &p.ItemsDone, &p.Milestones, &p.MilestonesDone); err != nil {
			return err
		}
		sd := at(d)
		sd.ServicePlan.Reported = true
		sd.ServicePlan.Items, sd.ServicePlan.ItemsDone, sd.ServicePlan.Milestones, sd.ServicePlan.MilestonesDone =
			p.Items, p.ItemsDone, p.Milestones, p.MilestonesDone
		put(d, sd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	err = r.query(ctx, "service beneficiaries", `SELECT district, count(*), count(DISTINCT company_id),
		coalesce(sum(CASE WHEN rating > 0 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN rating > 0 THEN rating END), 0)
		FROM hq_service_beneficiaries WHERE `+where+` GROUP BY district`, func(rows *sql.Rows) error {
		var d string
		var b, served, feedbacks, sum int64
		if err := rows.Scan(&d, &b, &served, &feedbacks, &sum); err != nil {
			return err
		}
		sd := at(d)
		sd.ServicePlan.Reported = true
		sd.ServicePlan.Beneficiaries, sd.ServicePlan.CompaniesServed, sd.ServicePlan.Feedbacks, sd.ServicePlan.RatingSum = b, served, feedbacks, sum
		put(d, sd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}

	// Reported is any declaration of any month; the counts are month's.
	err = r.query(ctx, "wage declarations", `SELECT district,
		coalesce(sum(CASE WHEN month = ? AND status <> 'missed' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN month = ? AND status <> 'missed' AND on_time != 0 THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN month = ? AND status <> 'missed' AND paid_in_full = 0 THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN month = ? AND status <> 'missed' AND guarantee NOT IN ('', 'none') THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN month = ? AND status = 'confirmed' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN month = ? AND status = 'disputed' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN month = ? AND status = 'missed' THEN 1 ELSE 0 END), 0)
		FROM hq_wage_declarations WHERE `+where+` GROUP BY district`, func(rows *sql.Rows) error {
		var d string
		var w service.WageStats
		if err := rows.Scan(&d, &w.Declared, &w.OnTime, &w.InArrears, &w.Guarantee, &w.Confirmed, &w.Disputed, &w.Missed); err != nil {
			return err
		}
		w.Reported = true
		sd := at(d)
		sd.Wages = w
		put(d, sd)
		return nil
	}, append([]any{month, month, month, month, month, month, month}, args...)...)
	if err != nil {
		return nil, err
	}

	// As the compliance service counts: open is neither resolved nor
	// withdrawn; overdue is open with its answer missing past its due
	// date, or its mediation past its due date.
	err = r.query(ctx, "complaints", `SELECT district, kind, status, outcome, count(*),
		coalesce(sum(CASE WHEN (answer_overdue != 0 AND answered = 0) OR mediation_overdue != 0 THEN 1 ELSE 0 END), 0)
		FROM hq_complaints WHERE `+where+` GROUP BY district, kind, status, outcome`, func(rows *sql.Rows) error {
		var d, kind, status, outcome string
		var n, overdue int64
		if err := rows.Scan(&d, &kind, &status, &outcome, &n, &overdue); err != nil {
			return err
		}
		sd := at(d)
		c := &sd.Complaints
		if c.ByKind == nil {
			c.ByKind, c.ByOutcome = map[string]int64{}, map[string]int64{}
		}
		c.Reported = true
		c.Filed += n
		c.ByKind[kind] += n
		switch status {
		case "resolved":
			c.Resolved += n
			c.ByOutcome[outcome] += n
		case "withdrawn":
			c.Withdrawn += n
		default:
			c.Open += n
			c.Overdue += overdue
		}
		put(d, sd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

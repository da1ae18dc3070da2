package service

// HQ's figures of the rest of the seed (issue 17): the districts' field
// visits and practical-services plan (from gh.<district>.meetings.v1), wage
// declarations and fair-competition complaints (from
// gh.<district>.compliance.v1). Each block says whether it was reported:
// false until HQ applied an event of its kind from the district, so a
// district that never sent one shows reported false and null rates, not 0.

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// ComplaintKinds and ComplaintOutcomes are the keys of ComplaintStats'
// maps, each always present (the compliance service's values).
var (
	ComplaintKinds    = []string{"below_cost_bidding", "poaching", "defamation", "other"}
	ComplaintOutcomes = []string{"upheld", "dismissed", "settled"}
)

// FieldVisitStats are a district's (or the city's) field visits
// (片区负责人下沉调研) in the current period of the city-wide visit plan.
type FieldVisitStats struct {
	Reported bool `json:"reported" doc:"false until HQ applied a FieldVisitRecorded of the district: then the counts are 0 only because nothing was reported"`
	// EveryMonths and Per are the visit plan (policy key meetings/field-visits,
	// the one the meetings services read).
	EveryMonths int           `json:"every_months" doc:"the plan: each active company visited at least once every so many months"`
	Per         policy.Period `json:"per" doc:"the plan's period visits are counted in"`
	Period      string        `json:"period" doc:"the current period's label (2026-Q4)"`
	// Companies counts the active companies that count in the period (active
	// before its end); Planned is the plan's visits for them. The plan's
	// target is in no event: HQ derives it, like the meetings service, from
	// the policy and the companies it holds as active.
	Companies int64 `json:"companies" doc:"active companies counted in the period"`
	Planned   int64 `json:"planned" doc:"visits the plan asks for in the period: ceil(companies × period months / every_months)"`
	Held      int64 `json:"held" doc:"visits held in the period"`
	Visited   int64 `json:"visited" doc:"companies visited in the period"`
	// Progress is held over planned; null when nothing was planned.
	Progress *float64 `json:"progress" doc:"held / planned (may exceed 1); null when nothing was planned"`
	OnTrack  bool     `json:"on_track" doc:"held >= planned"`
	Total    int64    `json:"visits_total" doc:"every visit HQ holds of the district"`
	// Unvisited counts the active companies not visited for EveryMonths
	// months (drill-down: /field-visits/unvisited).
	Unvisited int64 `json:"unvisited" doc:"active companies not visited for every_months months (or since they became active); the list is /field-visits/unvisited"`
}

// Add adds o's counts to f (the city total).
func (f *FieldVisitStats) Add(o FieldVisitStats) {
	f.Reported = f.Reported || o.Reported
	f.Companies += o.Companies
	f.Planned += o.Planned
	f.Held += o.Held
	f.Visited += o.Visited
	f.Total += o.Total
	f.Unvisited += o.Unvisited
}

func (f *FieldVisitStats) finish() {
	f.Progress = nil
	if f.Planned > 0 {
		p := float64(f.Held) / float64(f.Planned)
		f.Progress = &p
	}
	f.OnTrack = f.Held >= f.Planned
}

// ServicePlanStats are a district's (or the city's) practical-services
// plan (为会员单位办实事), every term.
type ServicePlanStats struct {
	Reported       bool  `json:"reported" doc:"false until HQ applied a service plan event of the district"`
	Items          int64 `json:"items"`
	ItemsDone      int64 `json:"items_done" doc:"items whose achieved reached their target"`
	Milestones     int64 `json:"milestones"`
	MilestonesDone int64 `json:"milestones_done"`
	// Progress is milestones done over milestones; null without any.
	Progress        *float64 `json:"progress" doc:"milestones_done / milestones; null when the items have none"`
	Beneficiaries   int64    `json:"beneficiaries" doc:"companies served, counted per item"`
	CompaniesServed int64    `json:"companies_served" doc:"distinct companies served by any item"`
	Feedbacks       int64    `json:"feedbacks" doc:"beneficiaries that gave a rating"`
	RatingSum       int64    `json:"-"`
	AverageRating   *float64 `json:"average_rating" doc:"mean rating (1..5) of the feedbacks; null when none"`
}

// Add adds o to p.
func (p *ServicePlanStats) Add(o ServicePlanStats) {
	p.Reported = p.Reported || o.Reported
	p.Items += o.Items
	p.ItemsDone += o.ItemsDone
	p.Milestones += o.Milestones
	p.MilestonesDone += o.MilestonesDone
	p.Beneficiaries += o.Beneficiaries
	p.CompaniesServed += o.CompaniesServed // a company is a member of one district
	p.Feedbacks += o.Feedbacks
	p.RatingSum += o.RatingSum
}

func (p *ServicePlanStats) finish() {
	p.Progress = rates.Of(p.MilestonesDone, p.Milestones)
	p.AverageRating = nil
	if p.Feedbacks > 0 {
		a := float64(p.RatingSum) / float64(p.Feedbacks)
		p.AverageRating = &a
	}
}

// WageStats are a district's (or the city's) wage declarations
// (建立职工薪资保障机制) of the last ended month, the month the compliance
// service's /compliance/wages/stats shows by default.
type WageStats struct {
	Reported bool   `json:"reported" doc:"false until HQ applied a wage declaration event of the district"`
	Month    string `json:"month" doc:"the last ended month, YYYY-MM in Asia/Shanghai"`
	// Expected counts the companies HQ holds as active since before the
	// month's end. Compliance also counts a company that lapsed during the
	// month; HQ keeps only the current status, so it does not.
	Expected  int64 `json:"expected" doc:"companies active now that were active before the month ended"`
	Declared  int64 `json:"declared" doc:"declarations (declared, confirmed or disputed)"`
	OnTime    int64 `json:"on_time"`
	InArrears int64 `json:"in_arrears" doc:"declared not paid in full"`
	Guarantee int64 `json:"guarantee_in_place" doc:"declared a guarantee other than none"`
	Confirmed int64 `json:"confirmed"`
	Disputed  int64 `json:"disputed"`
	Missed    int64 `json:"missed" doc:"months nothing was declared for by the deadline"`
	// The rates are null when their denominator is 0 (no company was
	// expected, or none declared): not reported, never 0%.
	OnTimeRate    *float64 `json:"on_time_rate" doc:"on_time / expected; null when no company was expected"`
	ArrearsRate   *float64 `json:"arrears_rate" doc:"in_arrears / declared; null when none declared"`
	GuaranteeRate *float64 `json:"guarantee_rate" doc:"guarantee_in_place / declared; null when none declared"`
}

// Add adds o's counts to w.
func (w *WageStats) Add(o WageStats) {
	w.Reported = w.Reported || o.Reported
	w.Expected += o.Expected
	w.Declared += o.Declared
	w.OnTime += o.OnTime
	w.InArrears += o.InArrears
	w.Guarantee += o.Guarantee
	w.Confirmed += o.Confirmed
	w.Disputed += o.Disputed
	w.Missed += o.Missed
}

func (w *WageStats) finish() {
	// rates.Of caps at 1: a company declaring a month before HQ applied
	// its activation cannot make the rate exceed 100%.
	w.OnTimeRate, w.ArrearsRate, w.GuaranteeRate = rates.Of(w.OnTime, w.Expected), rates.Of(w.InArrears, w.Declared), rates.Of(w.Guarantee, w.Declared)
}

// ComplaintStats are a district's (or the city's) fair-competition
// complaints (抱团取暖，杜绝恶意竞争): counts only. HQ never holds who
// complained against whom (see migration 00008).
type ComplaintStats struct {
	Reported  bool             `json:"reported" doc:"false until HQ applied a complaint event of the district"`
	Filed     int64            `json:"filed" doc:"every complaint on record"`
	Open      int64            `json:"open" doc:"filed, answered or mediating"`
	Overdue   int64            `json:"overdue" doc:"open with its answer (still missing) or its mediation overdue"`
	Resolved  int64            `json:"resolved"`
	Withdrawn int64            `json:"withdrawn"`
	ByKind    map[string]int64 `json:"by_kind" doc:"below_cost_bidding | poaching | defamation | other, each present"`
	ByOutcome map[string]int64 `json:"by_outcome" doc:"the resolved ones: upheld | dismissed | settled, each present"`
}

// Add adds o to c.
func (c *ComplaintStats) Add(o ComplaintStats) {
	c.Reported = c.Reported || o.Reported
	c.Filed += o.Filed
	c.Open += o.Open
	c.Overdue += o.Overdue
	c.Resolved += o.Resolved
	c.Withdrawn += o.Withdrawn
	c.ByKind = addMap(c.ByKind, o.ByKind)
	c.ByOutcome = addMap(c.ByOutcome, o.ByOutcome)
}

func (c *ComplaintStats) finish() {
	c.ByKind = withKeys(c.ByKind, ComplaintKinds)
	c.ByOutcome = withKeys(c.ByOutcome, ComplaintOutcomes)
}

// SeedStats are the four blocks of a district view (and, summed, of the
// summary).
type SeedStats struct {
	FieldVisits FieldVisitStats  `json:"field_visits" doc:"from gh.<district>.meetings.v1: visits held against the city-wide visit plan this period, companies not visited for the plan's months (drill-down: /field-visits/unvisited)"`
	ServicePlan ServicePlanStats `json:"service_plan" doc:"from gh.<district>.meetings.v1: the practical-services plan's items, milestones, beneficiaries and feedback"`
	Wages       WageStats        `json:"wages" doc:"from gh.<district>.compliance.v1: the last ended month's wage declarations and their rates"`
	Complaints  ComplaintStats   `json:"complaints" doc:"from gh.<district>.compliance.v1: fair-competition complaints by status, kind and outcome"`
}

// Add adds o to s.
func (s *SeedStats) Add(o SeedStats) {
	s.FieldVisits.Add(o.FieldVisits)
	s.ServicePlan.Add(o.ServicePlan)
	s.Wages.Add(o.Wages)
	s.Complaints.Add(o.Complaints)
}

func (s *SeedStats) finish(plan policy.VisitPlan, period, month string) {
	s.FieldVisits.EveryMonths, s.FieldVisits.Per, s.FieldVisits.Period = plan.EveryMonths, plan.Per, period
	s.Wages.Month = month
	s.FieldVisits.finish()
	s.ServicePlan.finish()
	s.Wages.finish()
	s.Complaints.finish()
}

// SeedCompany is an active company as the field visits and wages need it.
type SeedCompany struct {
	ID, Name string
	// ActiveSince is the day (Asia/Shanghai) the company became active, ""
	// when HQ does not know it.
	ActiveSince string
	// LastVisitedOn is the day of its newest visit, "" when never visited.
	LastVisitedOn string
}

// SeedData is one district's raw seed figures as the repository reads
// them: the counts of each block with its Reported, and the district's
// active companies; the service derives the plan, unvisited and rates.
type SeedData struct {
	SeedStats
	Companies []SeedCompany
}

// SeedRepository reads the seed figures; internal/store implements it.
type SeedRepository interface {
	// Seed returns the raw figures of district ("" every district with
	// any): the visits held from (inclusive) to (exclusive) as Held and
	// Visited, the wage declarations of month (YYYY-MM), every item,
	// beneficiary and complaint, and the active companies in id order.
	Seed(ctx context.Context, district, from, to, month string) (map[string]SeedData, error)
}

// UnvisitedCompany is an active company not visited for the plan's months.
type UnvisitedCompany struct {
	CompanyID     string `json:"company_id"`
	CompanyName   string `json:"company_name"`
	LastVisitedOn string `json:"last_visited_on,omitempty" format:"date" doc:"absent when never visited"`
	ActiveSince   string `json:"active_since,omitempty" format:"date" doc:"the day it became active; absent when HQ does not know it"`
	DueOn         string `json:"due_on,omitempty" format:"date" doc:"when a visit was due: every_months after the later of the last visit and active_since; absent when neither is known"`
}

// UnvisitedView is the drill-down of a district's unvisited companies.
type UnvisitedView struct {
	District    string             `json:"district"`
	Reported    bool               `json:"reported" doc:"as field_visits.reported of the district view: false until HQ applied a FieldVisitRecorded of the district"`
	EveryMonths int                `json:"every_months"`
	Today       string             `json:"today" format:"date"`
	Companies   []UnvisitedCompany `json:"companies" doc:"the longest overdue first (never visited and active since a day HQ does not know first), then by id"`
}

// visitPlan is the current visit plan, the default without one configured.
func (s *hqService) visitPlan() policy.VisitPlan {
	if s.cfg.VisitPlan == nil {
		return policy.DefaultVisitPlan
	}
	return s.cfg.VisitPlan()
}

// seedPeriod is the plan's current period and the last ended month.
func seedPeriod(plan policy.VisitPlan, now time.Time) (start, end time.Time, month string) {
	start, end = plan.Per.Bounds(now)
	n := now.In(Shanghai)
	month = time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, Shanghai).Format("2006-01")
	return start, end, month
}

// monthEnd is the first day of the month after month (YYYY-MM).
func monthEnd(month string) string {
	t, err := time.ParseInLocation("2006-01", month, Shanghai)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 1, 0).Format(time.DateOnly)
}

// unvisited lists the companies due a visit on today, as the meetings
// service's /field-visits/unvisited does: a company's clock starts at the
// later of its last visit and the day it became active.
func unvisited(companies []SeedCompany, every int, today string) []UnvisitedCompany {
	out := []UnvisitedCompany{}
	for _, c := range companies {
		u := UnvisitedCompany{CompanyID: c.ID, CompanyName: c.Name, LastVisitedOn: c.LastVisitedOn, ActiveSince: c.ActiveSince}
		if from := max(c.LastVisitedOn, c.ActiveSince); from != "" {
			t, err := time.ParseInLocation(time.DateOnly, from, Shanghai)
			if err != nil {
				continue
			}
			u.DueOn = t.AddDate(0, every, 0).Format(time.DateOnly)
			if u.DueOn > today {
				continue
			}
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b UnvisitedCompany) int {
		return cmp.Or(cmp.Compare(a.DueOn, b.DueOn), cmp.Compare(a.CompanyID, b.CompanyID))
	})
	return out
}

// seedOf derives a district's figures from its raw data (not finished).
func seedOf(d SeedData, plan policy.VisitPlan, end time.Time, month string, now time.Time) SeedStats {
	st := d.SeedStats
	endDay, mEnd, today := end.In(Shanghai).Format(time.DateOnly), monthEnd(month), Today(now)
	st.FieldVisits.Companies, st.Wages.Expected = 0, 0
	for _, c := range d.Companies {
		if c.ActiveSince == "" || c.ActiveSince < endDay {
			st.FieldVisits.Companies++
		}
		if c.ActiveSince != "" && c.ActiveSince < mEnd {
			st.Wages.Expected++
		}
	}
	st.FieldVisits.Planned = int64(plan.Planned(int(st.FieldVisits.Companies)))
	st.FieldVisits.Unvisited = int64(len(unvisited(d.Companies, plan.EveryMonths, today)))
	return st
}

// seed reads the seed figures of district ("" every district), derived
// but not finished, with the plan and period they were counted for.
func (s *hqService) seed(ctx context.Context, district string, now time.Time) (map[string]SeedStats, policy.VisitPlan, string, string, error) {
	plan := s.visitPlan()
	start, end, month := seedPeriod(plan, now)
	data, err := s.repo.Seed(ctx, district, start.Format(time.DateOnly), end.Format(time.DateOnly), month)
	if err != nil {
		return nil, plan, "", "", err
	}
	out := make(map[string]SeedStats, len(data))
	for id, d := range data {
		out[id] = seedOf(d, plan, end, month, now)
	}
	return out, plan, plan.Per.Label(start), month, nil
}

// citySeed reads the seed figures of district ("" every district): each
// district's finished figures (zero, reported false, for a district HQ
// holds none of) and their finished sum.
func (s *hqService) citySeed(ctx context.Context, district string, now time.Time) (func(string) SeedStats, SeedStats, error) {
	m, plan, period, month, err := s.seed(ctx, district, now)
	if err != nil {
		return nil, SeedStats{}, err
	}
	var total, zero SeedStats
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		total.Add(m[id])
		st := m[id]
		st.finish(plan, period, month)
		m[id] = st
	}
	total.finish(plan, period, month)
	zero.finish(plan, period, month)
	return func(id string) SeedStats {
		if st, ok := m[id]; ok {
			return st
		}
		return zero
	}, total, nil
}

func (s *hqService) Unvisited(ctx context.Context, district string) (UnvisitedView, error) {
	if _, err := s.District(ctx, district); err != nil {
		return UnvisitedView{}, err
	}
	now := s.cfg.Now()
	plan := s.visitPlan()
	start, end, month := seedPeriod(plan, now)
	data, err := s.repo.Seed(ctx, district, start.Format(time.DateOnly), end.Format(time.DateOnly), month)
	if err != nil {
		return UnvisitedView{}, ErrReadModel.Wrap(err)
	}
	d := data[district]
	return UnvisitedView{District: district, Reported: d.FieldVisits.Reported, EveryMonths: plan.EveryMonths, Today: Today(now),
		Companies: unvisited(d.Companies, plan.EveryMonths, Today(now))}, nil
}

package service

// Field visits (片区负责人下沉调研): a district lead, or a delegate, goes down
// to a member company and records what was found; the follow-ups become
// action items owned by the company, tracked like a resolution's. The
// visit plan (policy.VisitPlan) says how often each active company is to be
// visited; the reports count visits held against it.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Areas of a visit's structured points, and their ratings.
const (
	AreaStaffing   = "staffing"    // 人员配备
	AreaTraining   = "training"    // 教育培训
	AreaPartyUnion = "party_union" // 党建、工会工作
	AreaRisks      = "risks"       // 风险隐患
	AreaOther      = "other"

	RatingGood = "good"
	RatingFair = "fair"
	RatingPoor = "poor"
)

// VisitPlan is the association's field-visit plan (policy.VisitPlanKey).
type VisitPlan = policy.VisitPlan

// Visitor is one person who went on a visit. Names and roles stay in the
// district: the visit's event carries only how many went.
type Visitor struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// VisitorInput is a Visitor in a request.
type VisitorInput struct {
	Name string `json:"name" required:"true"`
	Role string `json:"role"`
}

// VisitPoint is one structured finding of a visit: an area, its rating,
// and whether it is flagged for follow-up.
type VisitPoint struct {
	Area    string `json:"area" enum:"staffing,training,party_union,risks,other"`
	Rating  string `json:"rating" enum:"good,fair,poor"`
	Flagged bool   `json:"flagged"`
	Note    string `json:"note"`
}

// VisitPointInput is a VisitPoint in a request.
type VisitPointInput struct {
	Area    string `json:"area" enum:"staffing,training,party_union,risks,other" required:"true"`
	Rating  string `json:"rating" enum:"good,fair,poor" required:"true"`
	Flagged bool   `json:"flagged"`
	Note    string `json:"note"`
}

// FieldVisit is a district lead's visit to a member company.
type FieldVisit struct {
	ID          string       `json:"id"`
	District    string       `json:"district"`
	CompanyID   string       `json:"company_id"`
	CompanyName string       `json:"company_name"`
	VisitedOn   string       `json:"visited_on" format:"date"`
	VisitedBy   []Visitor    `json:"visited_by"`
	Findings    string       `json:"findings"`
	Points      []VisitPoint `json:"points"`
	// FollowUps are the action items the visit opened, owned by the
	// company (GET /action-items?visit_id=… lists them too).
	FollowUps []ActionItem `json:"follow_ups"`
	CreatedBy string       `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	Version   int64        `json:"version"`
}

// FieldVisitInput is the body of a new field visit.
type FieldVisitInput struct {
	CompanyID string            `json:"company_id" required:"true" doc:"a company of the district (company.not_found otherwise)"`
	VisitedOn string            `json:"visited_on" format:"date" required:"true"`
	VisitedBy []VisitorInput    `json:"visited_by" required:"true"`
	Findings  string            `json:"findings"`
	Points    []VisitPointInput `json:"points"`
	FollowUps []FollowUpInput   `json:"follow_ups"`
	// Idempotent holds the request's Idempotency-Key header, if any.
	kitx.Idempotent
}

// FollowUpInput is one follow-up of a visit: an action item owned by the
// visited company.
type FollowUpInput struct {
	Title string `json:"title" required:"true"`
	DueOn string `json:"due_on" format:"date" required:"true"`
}

// FieldVisitFilter narrows a visit list.
type FieldVisitFilter struct {
	CompanyID string
}

// VisitPlanReport is the district's visits held against the plan, per
// period, oldest first.
type VisitPlanReport struct {
	EveryMonths int           `json:"every_months"`
	Per         policy.Period `json:"per"`
	Periods     []VisitPeriod `json:"periods"`
}

// VisitPeriod is one period of the plan. Companies are those active in the
// period (active now, and since before its end); Planned is the plan's
// visits for them (VisitPlan.Planned); Held counts visits dated in the
// period; Visited the distinct companies visited.
type VisitPeriod struct {
	Period    string    `json:"period"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Companies int       `json:"companies"`
	Planned   int       `json:"planned"`
	Held      int       `json:"held"`
	Visited   int       `json:"visited"`
	OnTrack   bool      `json:"on_track"`
}

// UnvisitedReport lists the district's active companies not visited for
// the plan's EveryMonths months.
type UnvisitedReport struct {
	EveryMonths     int                `json:"every_months"`
	Today           string             `json:"today" format:"date"`
	ActiveCompanies int                `json:"active_companies"`
	Companies       []UnvisitedCompany `json:"companies"`
}

// UnvisitedCompany is an active company whose visit is due: its last visit
// (or, never visited, the day it became active) is EveryMonths months or
// more ago. DueOn is the day the visit fell due ("" for a company active
// all along that was never visited).
type UnvisitedCompany struct {
	CompanyID     string `json:"company_id"`
	CompanyName   string `json:"company_name"`
	ActiveSince   string `json:"active_since,omitempty" format:"date"`
	LastVisitedOn string `json:"last_visited_on,omitempty" format:"date"`
	DueOn         string `json:"due_on,omitempty" format:"date"`
}

// Visit limits.
const (
	maxVisitors  = 20
	maxPoints    = 50
	maxFollowUps = 50
)

func validArea(a string) bool {
	switch a {
	case AreaStaffing, AreaTraining, AreaPartyUnion, AreaRisks, AreaOther:
		return true
	}
	return false
}

func validRating(r string) bool { return r == RatingGood || r == RatingFair || r == RatingPoor }

// validPastDate reports whether d is a YYYY-MM-DD date from 2000-01-01 to
// today (China time): a visit, a milestone done, a company served.
func (s *Meetings) validPastDate(d string) bool {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil || t.Format(time.DateOnly) != d {
		return false
	}
	return d >= earliestMeeting.Format(time.DateOnly) && d <= today(s.now())
}

// RecordFieldVisit records a visit with its follow-ups (action items owned
// by the visited company), in one transaction with their events.
func (s *Meetings) RecordFieldVisit(ctx context.Context, in FieldVisitInput) (FieldVisit, error) {
	in.CompanyID, in.Findings = strings.TrimSpace(in.CompanyID), strings.TrimSpace(in.Findings)
	if in.CompanyID == "" || len(in.CompanyID) > 64 {
		return FieldVisit{}, ErrVisitCompanyRequired
	}
	if !s.validPastDate(in.VisitedOn) {
		return FieldVisit{}, ErrVisitDateInvalid
	}
	if len(in.VisitedBy) == 0 || len(in.VisitedBy) > maxVisitors {
		return FieldVisit{}, ErrVisitVisitorsInvalid
	}
	visitors := make([]Visitor, 0, len(in.VisitedBy))
	for i, v := range in.VisitedBy {
		v.Name, v.Role = strings.TrimSpace(v.Name), strings.TrimSpace(v.Role)
		if v.Name == "" || runeLen(v.Name) > 100 || runeLen(v.Role) > 100 {
			return FieldVisit{}, ErrVisitVisitorsInvalid
		}
		if err := singleLine(fmt.Sprintf("visited_by[%d].name", i), v.Name, fmt.Sprintf("visited_by[%d].role", i), v.Role); err != nil {
			return FieldVisit{}, err
		}
		visitors = append(visitors, Visitor(v))
	}
	if runeLen(in.Findings) > 20000 {
		return FieldVisit{}, ErrVisitFindingsTooLong
	}
	if len(in.Points) > maxPoints {
		return FieldVisit{}, ErrVisitPointsInvalid
	}
	points := make([]VisitPoint, 0, len(in.Points))
	for _, p := range in.Points {
		p.Note = strings.TrimSpace(p.Note)
		if !validArea(p.Area) || !validRating(p.Rating) || runeLen(p.Note) > 2000 {
			return FieldVisit{}, ErrVisitPointsInvalid
		}
		points = append(points, VisitPoint(p))
	}
	if len(in.FollowUps) > maxFollowUps {
		return FieldVisit{}, ErrVisitFollowUpsInvalid
	}
	for i, f := range in.FollowUps {
		f.Title = strings.TrimSpace(f.Title)
		if f.Title == "" || runeLen(f.Title) > 500 {
			return FieldVisit{}, ErrVisitFollowUpsInvalid
		}
		if err := kitx.SingleLine(fmt.Sprintf("follow_ups[%d].title", i), f.Title); err != nil {
			return FieldVisit{}, err
		}
		if !s.validDueDate(f.DueOn) {
			// The row's index in the request, so a form with several
			// follow-ups can mark the one at fault.
			return FieldVisit{}, ErrVisitFollowUpDueInvalid.WithField(fmt.Sprintf("follow_ups[%d].due_on", i))
		}
		in.FollowUps[i] = f
	}
	return idempotent(ctx, s, "POST field-visits", in.IdempotencyKey, in, func(q Queries) (FieldVisit, []Change, error) {
		c, err := q.GetCompany(ctx, in.CompanyID)
		if errors.Is(err, ErrCompanyNotFound) {
			return FieldVisit{}, nil, ErrCompanyNotFound.WithField("company_id")
		}
		if err != nil {
			return FieldVisit{}, nil, err
		}
		id, err := newID()
		if err != nil {
			return FieldVisit{}, nil, err
		}
		now := s.now().UTC()
		v := FieldVisit{ID: id, District: s.district, CompanyID: c.ID, CompanyName: c.Name, VisitedOn: in.VisitedOn, VisitedBy: visitors,
			Findings: in.Findings, Points: points, FollowUps: []ActionItem{}, CreatedBy: audit.ActorFromContext(ctx).Subject, CreatedAt: now, Version: 1}
		if err := q.InsertFieldVisit(ctx, v); err != nil {
			return FieldVisit{}, nil, err
		}
		for _, f := range in.FollowUps {
			iid, err := newID()
			if err != nil {
				return FieldVisit{}, nil, err
			}
			a := ActionItem{ID: iid, District: s.district, VisitID: v.ID, Title: f.Title, OwnerKind: OwnerCompany, OwnerCompanyID: c.ID,
				OwnerName: c.Name, DueOn: f.DueOn, Status: ItemOpen, CreatedAt: now, UpdatedAt: now, Version: 1}
			if err := q.InsertActionItem(ctx, a); err != nil {
				return FieldVisit{}, nil, err
			}
			s.presentItem(&a)
			v.FollowUps = append(v.FollowUps, a)
		}
		changes := []Change{{Type: EventFieldVisitRecorded, Visit: &v}}
		for i := range v.FollowUps {
			changes = append(changes, Change{Type: EventActionItemCreated, ActionItem: &v.FollowUps[i]})
		}
		if err := s.Audit(ctx, q, ActionVisitRecord, ResourceVisit, v.ID, audit.SetFields("company_id", v.CompanyID, "visited_on", v.VisitedOn,
			"visitors", len(v.VisitedBy), "points", len(v.Points), "follow_ups", len(v.FollowUps))); err != nil {
			return FieldVisit{}, nil, err
		}
		return v, changes, nil
	})
}

// VisitCompany returns the company of a visit, for authorization.
func (s *Meetings) VisitCompany(ctx context.Context, id string) (string, error) {
	v, err := s.repo.GetFieldVisit(ctx, id)
	if err != nil {
		return "", err
	}
	return v.CompanyID, nil
}

func (s *Meetings) withFollowUps(ctx context.Context, v FieldVisit) (FieldVisit, error) {
	items, err := s.repo.ActionItemsOfVisit(ctx, v.ID)
	if err != nil {
		return FieldVisit{}, err
	}
	for i := range items {
		s.presentItem(&items[i])
	}
	v.District, v.FollowUps = s.district, items
	return v, nil
}

// GetFieldVisit returns a visit with its follow-ups.
func (s *Meetings) GetFieldVisit(ctx context.Context, id string) (FieldVisit, error) {
	v, err := s.repo.GetFieldVisit(ctx, id)
	if err != nil {
		return FieldVisit{}, err
	}
	return s.withFollowUps(ctx, v)
}

// ListFieldVisits lists visits in id order (the order they were recorded).
func (s *Meetings) ListFieldVisits(ctx context.Context, f FieldVisitFilter, page kitx.Page) ([]FieldVisit, string, error) {
	items, next, err := s.repo.ListFieldVisits(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if items[i], err = s.withFollowUps(ctx, items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// activeIn reports whether an active company counts in a period ending at
// end: from the day it became active ("" counts all along).
func activeIn(c Company, end time.Time) bool {
	return c.ActiveSince.IsZero() || c.ActiveSince.Before(end)
}

// FieldVisitPlan returns the visits held against the plan for the last
// periods periods (the current one included). A company counts in a period
// when it is active now and became active before the period's end: the
// projection keeps a company's current status, not its history, so a
// company suspended today drops out of past periods too.
func (s *Meetings) FieldVisitPlan(ctx context.Context, periods int) (VisitPlanReport, error) {
	if periods < 1 || periods > 36 {
		return VisitPlanReport{}, ErrVisitPeriodsInvalid
	}
	plan := s.visitPlan()
	end := plan.Per.Shift(plan.Per.Start(s.now()), 1)
	start := plan.Per.Shift(end, -periods)
	companies, err := s.repo.ActiveCompanies(ctx)
	if err != nil {
		return VisitPlanReport{}, err
	}
	visits, err := s.repo.VisitsBetween(ctx, start.Format(time.DateOnly), end.Format(time.DateOnly))
	if err != nil {
		return VisitPlanReport{}, err
	}
	out := VisitPlanReport{EveryMonths: plan.EveryMonths, Per: plan.Per, Periods: []VisitPeriod{}}
	for p := start; p.Before(end); p = plan.Per.Shift(p, 1) {
		np := plan.Per.Shift(p, 1)
		from, to := p.Format(time.DateOnly), np.Format(time.DateOnly)
		n := 0
		for _, c := range companies {
			if activeIn(c, np) {
				n++
			}
		}
		held, seen := 0, map[string]bool{}
		for _, v := range visits {
			if v.VisitedOn >= from && v.VisitedOn < to {
				held++
				seen[v.CompanyID] = true
			}
		}
		planned := plan.Planned(n)
		out.Periods = append(out.Periods, VisitPeriod{Period: plan.Per.Label(p), Start: p, End: np, Companies: n, Planned: planned,
			Held: held, Visited: len(seen), OnTrack: held >= planned})
	}
	return out, nil
}

// UnvisitedCompanies lists the active companies not visited for the plan's
// EveryMonths months, the longest overdue first: a company's clock starts
// at its last visit, or, never visited, at the day it became active (a
// company active for less than EveryMonths months is not due yet).
func (s *Meetings) UnvisitedCompanies(ctx context.Context) (UnvisitedReport, error) {
	plan := s.visitPlan()
	day := today(s.now())
	companies, err := s.repo.ActiveCompanies(ctx)
	if err != nil {
		return UnvisitedReport{}, err
	}
	last, err := s.repo.LastVisits(ctx)
	if err != nil {
		return UnvisitedReport{}, err
	}
	out := UnvisitedReport{EveryMonths: plan.EveryMonths, Today: day, ActiveCompanies: len(companies), Companies: []UnvisitedCompany{}}
	for _, c := range companies {
		u := UnvisitedCompany{CompanyID: c.ID, CompanyName: c.Name, LastVisitedOn: last[c.ID]}
		if !c.ActiveSince.IsZero() {
			u.ActiveSince = today(c.ActiveSince)
		}
		// The clock starts at the later of the last visit and the day the
		// company became active: a visit before it (re)joined does not count.
		from := max(u.LastVisitedOn, u.ActiveSince)
		if from != "" {
			t, _ := time.ParseInLocation(time.DateOnly, from, Local)
			u.DueOn = t.AddDate(0, plan.EveryMonths, 0).Format(time.DateOnly)
			if u.DueOn > day {
				continue
			}
		}
		out.Companies = append(out.Companies, u)
	}
	sortUnvisited(out.Companies)
	return out, nil
}

// sortUnvisited orders the companies without a due date first (never
// visited, active all along), then by due date, then by id.
func sortUnvisited(cs []UnvisitedCompany) {
	slices.SortFunc(cs, func(a, b UnvisitedCompany) int {
		return cmp.Or(cmp.Compare(a.DueOn, b.DueOn), cmp.Compare(a.CompanyID, b.CompanyID))
	})
}

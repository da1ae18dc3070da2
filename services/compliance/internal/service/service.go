package service

import (
	"context"
	"slices"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Reader is the store's side the API reads, outside any transaction.
type Reader interface {
	State(ctx context.Context) (State, bool, error)
	CompanyScore(ctx context.Context, id string) (CompanyScore, bool, error)
	ListCompanyScores(ctx context.Context, after string, limit int) ([]CompanyScore, error)
	DistrictCounts(ctx context.Context) (Counts, int64, error)
	// ActiveGuards returns up to limit active guards with ids after
	// after, in id order, of company (all companies: "").
	ActiveGuards(ctx context.Context, company, after string, limit int) ([]Guard, error)
	Snapshots(ctx context.Context, company, since string) ([]Snapshot, error)
}

// Compliance is the compliance service's read API over the scoreboard.
type Compliance struct {
	District string
	Store    Reader
	Policy   func() policy.Compliance
}

// DistrictScoreboard is the district's four-100% scoreboard (四个100%).
type DistrictScoreboard struct {
	District string `json:"district"`
	// Day and Policy are what the counts were computed for (the day in
	// China time); Day is empty before the first membership event.
	Day       string            `json:"day,omitempty" format:"date"`
	Policy    policy.Compliance `json:"policy"`
	Companies int64             `json:"companies" doc:"companies on the scoreboard"`
	Counts    Counts            `json:"counts"`
	Rates     Rates             `json:"rates" doc:"each rate is null when no guard is active (not reported)"`
	Full      []string          `json:"full" doc:"the criteria at 100%"`
}

// CompanyView is one company's row of the scoreboard.
type CompanyView struct {
	CompanyID string   `json:"company_id"`
	Name      string   `json:"name,omitempty"`
	Status    string   `json:"status,omitempty"`
	Counts    Counts   `json:"counts"`
	Rates     Rates    `json:"rates" doc:"each rate is null when the company has no active guard (not reported)"`
	Full      []string `json:"full" doc:"the criteria at 100%"`
	Version   int64    `json:"version"`
}

// Gap is one guard who makes a company's gap on a criterion, and why.
type Gap struct {
	GuardID   string `json:"guard_id"`
	CompanyID string `json:"company_id"`
	Criterion string `json:"criterion" enum:"background_check,training,certificate,badge"`
	// Reason is the stable reason: background_check_none,
	// background_check_pending, background_check_failed, pre_job_missing,
	// hours_short, certificate_missing, certificate_expired, badge_missing.
	Reason                string   `json:"reason" enum:"background_check_none,background_check_pending,background_check_failed,pre_job_missing,hours_short,certificate_missing,certificate_expired,badge_missing"`
	BackgroundCheckStatus string   `json:"background_check_status,omitempty"`
	CertificateValidUntil string   `json:"certificate_valid_until,omitempty" format:"date"`
	Hours                 *float64 `json:"hours,omitempty" doc:"the year's training hours that count (training only)"`
	RequiredHours         *float64 `json:"required_hours,omitempty" doc:"the policy's hours a year (training only)"`
	GuardVersion          int64    `json:"guard_version"`
}

// TrendPoint is one day's closing counts.
type TrendPoint struct {
	Day    string `json:"day" format:"date"`
	Counts Counts `json:"counts"`
	Rates  Rates  `json:"rates"`
}

// GapFilter selects a drill-down.
type GapFilter struct {
	CompanyID string
	Criterion string
}

// TrendRequest selects a trend.
type TrendRequest struct {
	CompanyID string
	Days      int
}

func fullNames(m Mask) []string {
	out := []string{}
	for _, c := range Criteria() {
		if m.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

func view(s CompanyScore) CompanyView {
	return CompanyView{CompanyID: s.CompanyID, Name: s.Name, Status: s.Status, Counts: s.Counts, Rates: s.Counts.Rates(),
		Full: fullNames(s.Counts.Full()), Version: s.Version}
}

// state is what the counts are of: the stored state, or today's policy
// before anything is stored.
func (s *Compliance) state(ctx context.Context) (State, error) {
	st, ok, err := s.Store.State(ctx)
	if err != nil || ok {
		return st, err
	}
	return State{Policy: s.Policy()}, nil
}

// Scoreboard returns the district's scoreboard.
func (s *Compliance) Scoreboard(ctx context.Context) (DistrictScoreboard, error) {
	st, err := s.state(ctx)
	if err != nil {
		return DistrictScoreboard{}, err
	}
	c, n, err := s.Store.DistrictCounts(ctx)
	if err != nil {
		return DistrictScoreboard{}, err
	}
	return DistrictScoreboard{District: s.District, Day: st.Day, Policy: st.Policy, Companies: n, Counts: c, Rates: c.Rates(), Full: fullNames(c.Full())}, nil
}

// ListCompanies returns a page of the companies' scores, by company id.
func (s *Compliance) ListCompanies(ctx context.Context, p kitx.Page) ([]CompanyView, string, error) {
	rows, err := s.Store.ListCompanyScores(ctx, p.Cursor, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > p.Size {
		rows = rows[:p.Size]
		next = rows[len(rows)-1].CompanyID
	}
	out := make([]CompanyView, len(rows))
	for i, r := range rows {
		out[i] = view(r)
	}
	return out, next, nil
}

// Company returns one company's score.
func (s *Compliance) Company(ctx context.Context, id string) (CompanyView, error) {
	r, ok, err := s.Store.CompanyScore(ctx, id)
	if err != nil {
		return CompanyView{}, err
	}
	if !ok {
		return CompanyView{}, ErrCompanyNotFound
	}
	return view(r), nil
}

// ValidCriterion reports whether c is one of the four criteria.
func ValidCriterion(c string) bool { return slices.Contains(Criteria(), c) }

// Gaps lists exactly the active guards who do not meet f.Criterion (of
// f.CompanyID, or of the district), scored as the counts are: on the
// stored day under the stored policy.
func (s *Compliance) Gaps(ctx context.Context, f GapFilter, p kitx.Page) ([]Gap, string, error) {
	if f.Criterion == "" {
		return nil, "", ErrCriterionRequired
	}
	if !ValidCriterion(f.Criterion) {
		return nil, "", ErrCriterionInvalid
	}
	if len(f.CompanyID) > 64 {
		return nil, "", ErrCompanyIDInvalid
	}
	st, err := s.state(ctx)
	if err != nil {
		return nil, "", err
	}
	if st.Day == "" {
		return []Gap{}, "", nil
	}
	out := []Gap{}
	after := p.Cursor
	const batch = 1000
	for {
		gs, err := s.Store.ActiveGuards(ctx, f.CompanyID, after, batch)
		if err != nil {
			return nil, "", err
		}
		for _, g := range gs {
			if Evaluate(g, st.Day, st.Policy).Has(f.Criterion) {
				continue
			}
			if len(out) == p.Size {
				return out, out[len(out)-1].GuardID, nil
			}
			out = append(out, gapOf(g, f.Criterion, st))
		}
		if len(gs) < batch {
			return out, "", nil
		}
		after = gs[len(gs)-1].ID
	}
}

func gapOf(g Guard, criterion string, st State) Gap {
	gap := Gap{GuardID: g.ID, CompanyID: g.CompanyID, Criterion: criterion, GuardVersion: g.Version}
	switch criterion {
	case CriterionBackground:
		status := g.BackgroundCheckStatus
		if status == "" {
			status = "none"
		}
		gap.Reason, gap.BackgroundCheckStatus = "background_check_"+status, status
	case CriterionTraining:
		h, req := g.YearHours(st.Day[:4], st.Policy), st.Policy.AnnualTrainingHours
		gap.Hours, gap.RequiredHours = &h, &req
		gap.Reason = "hours_short"
		if !g.preJob(st.Policy) {
			gap.Reason = "pre_job_missing"
		}
	case CriterionCertificate:
		gap.Reason = "certificate_missing"
		if g.HasCertificate {
			gap.Reason, gap.CertificateValidUntil = "certificate_expired", g.CertificateValidUntil
		}
	case CriterionBadge:
		gap.Reason = "badge_missing"
	}
	return gap
}

// Trend returns the last r.Days closing snapshots of r.CompanyID (the
// district: ""), oldest first. A day the service did not run has no
// point: not reported, never 0.
func (s *Compliance) Trend(ctx context.Context, r TrendRequest) ([]TrendPoint, error) {
	if r.Days < 1 || r.Days > SnapshotRetentionDays {
		return nil, ErrTrendDaysInvalid
	}
	if len(r.CompanyID) > 64 {
		return nil, ErrCompanyIDInvalid
	}
	st, err := s.state(ctx)
	if err != nil {
		return nil, err
	}
	out := []TrendPoint{}
	if st.Day == "" {
		return out, nil
	}
	since := addDays(st.Day, -r.Days)
	snaps, err := s.Store.Snapshots(ctx, r.CompanyID, since)
	if err != nil {
		return nil, err
	}
	for _, sn := range snaps {
		out = append(out, TrendPoint{Day: sn.Day, Counts: sn.Counts, Rates: sn.Counts.Rates()})
	}
	return out, nil
}

// PolicyView is the policy in force and what the counts were scored with.
type PolicyView struct {
	// Current is the policy read from etcd now (or the default).
	Current policy.Compliance `json:"current"`
	// Applied is the policy the stored counts were computed with; it
	// becomes Current within a refresh interval.
	Applied *policy.Compliance `json:"applied,omitempty"`
	Day     string             `json:"day,omitempty" format:"date"`
}

// GetPolicy returns the policy.
func (s *Compliance) GetPolicy(ctx context.Context) (PolicyView, error) {
	st, ok, err := s.Store.State(ctx)
	if err != nil {
		return PolicyView{}, err
	}
	v := PolicyView{Current: s.Policy()}
	if ok {
		v.Applied, v.Day = &st.Policy, st.Day
	}
	return v, nil
}

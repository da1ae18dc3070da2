package service

// The wage guarantee (建立职工薪资保障机制, issue 17 part 2): each member
// company declares every month whether its guards' wages were paid in
// full and on time, and which wage-guarantee arrangement it has; the union
// contact confirms or disputes a declaration. A declared arrears, a
// disputed declaration or a missed one opens a wages dispute, with the
// disputes' timers.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Wage declaration statuses.
const (
	WageDeclared  = "declared"
	WageConfirmed = "confirmed"
	WageDisputed  = "disputed"
	WageMissed    = "missed"
)

// WageStatuses are the statuses of a declaration.
var WageStatuses = []string{WageDeclared, WageConfirmed, WageDisputed, WageMissed}

// Guarantees are the wage-guarantee arrangements a company may declare.
var Guarantees = []string{"none", "deposit", "insurance", "union_agreement"}

// Events of the wage guarantee.
const (
	EventWageDeclared            = "WageDeclared"
	EventWageDeclarationReviewed = "WageDeclarationReviewed"
	EventWageDeclarationMissed   = "WageDeclarationMissed"
)

// Audit actions of the wage guarantee.
const (
	ActionWageDeclare = "wage.declare"
	ActionWageReview  = "wage.review"
	ActionWageTimer   = "wage.timer"
)

// monthLayout is a month's label, 2026-11.
const monthLayout = "2006-01"

// maxMissedMonths bounds how many months back one timer pass looks.
const maxMissedMonths = 24

// WageInput is a company's declaration of one month's wages.
type WageInput struct {
	kitx.Idempotent
	CompanyID      string  `json:"company_id" required:"true"`
	Month          string  `json:"month" required:"true" doc:"the month declared, YYYY-MM: an ended month (China time)"`
	PaidInFull     bool    `json:"paid_in_full" doc:"every guard was paid in full and on time"`
	PaidOn         string  `json:"paid_on,omitempty" doc:"the day the wages were paid, YYYY-MM-DD; required when paid in full"`
	GuardsAffected int     `json:"guards_affected,omitempty" doc:"guards not paid in full or on time: at least 1 when not paid in full, 0 when paid"`
	ArrearsAmount  float64 `json:"arrears_amount,omitempty" doc:"the wages owed, yuan: above 0 when not paid in full, 0 when paid"`
	Guarantee      string  `json:"guarantee" required:"true" enum:"none,deposit,insurance,union_agreement" doc:"the wage-guarantee arrangement in place"`
}

// WageReviewInput is the union contact's review of a declaration.
type WageReviewInput struct {
	Outcome string `json:"outcome" required:"true" enum:"confirmed,disputed"`
	Note    string `json:"note,omitempty" doc:"required to dispute: what is wrong (at most 2000 characters)"`
}

// WageDeclaration is a company's declaration of a month, or the record
// that it declared nothing by the deadline (status missed).
type WageDeclaration struct {
	ID             string     `json:"id" doc:"company_id.month, e.g. c1.2026-11"`
	CompanyID      string     `json:"company_id"`
	Month          string     `json:"month"`
	Status         string     `json:"status" enum:"declared,confirmed,disputed,missed"`
	PaidInFull     bool       `json:"paid_in_full"`
	PaidOn         string     `json:"paid_on,omitempty"`
	GuardsAffected int        `json:"guards_affected"`
	ArrearsAmount  float64    `json:"arrears_amount"`
	Guarantee      string     `json:"guarantee,omitempty"`
	Deadline       time.Time  `json:"deadline" doc:"the end of day wage_declaration_day of the next month, China time"`
	DeclaredAt     *time.Time `json:"declared_at,omitempty"`
	DeclaredBy     string     `json:"declared_by,omitempty"`
	OnTime         bool       `json:"on_time" doc:"declared by the deadline"`
	ReviewedAt     *time.Time `json:"reviewed_at,omitempty"`
	ReviewedBy     string     `json:"reviewed_by,omitempty"`
	ReviewNote     string     `json:"review_note,omitempty"`
	DisputeID      string     `json:"dispute_id,omitempty" doc:"the wages dispute it opened (arrears, disputed or missed)"`
	Version        int64      `json:"version"`
}

// Errors of the wage guarantee.
var (
	ErrWageNotFound      = errs.E(errs.NotFound, "wage.not_found", "no such wage declaration")
	ErrWageMonth         = errs.InvalidField("wage.month_invalid", "month", "month is YYYY-MM, an ended month (China time), not before 2000")
	ErrWagePaidOn        = errs.InvalidField("wage.paid_on_invalid", "paid_on", "paid_on is YYYY-MM-DD, required when paid in full, not in the future")
	ErrWageGuards        = errs.InvalidField("wage.guards_affected_invalid", "guards_affected", "guards_affected is 1 to 100,000 when not paid in full, 0 when paid in full")
	ErrWageArrears       = errs.InvalidField("wage.arrears_amount_invalid", "arrears_amount", "arrears_amount is above 0 (at most 100,000,000 yuan) when not paid in full, 0 when paid in full")
	ErrWageGuarantee     = errs.InvalidField("wage.guarantee_invalid", "guarantee", "guarantee is none, deposit, insurance or union_agreement")
	ErrWageOutcome       = errs.InvalidField("wage.outcome_invalid", "outcome", "outcome is confirmed or disputed")
	ErrWageNote          = errs.InvalidField("wage.note_required", "note", "a note is required to dispute (at most 2000 characters)")
	ErrWageReviewed      = errs.E(errs.Conflict, "wage.reviewed", "the declaration was confirmed: it can no longer change")
	ErrWageNotReviewable = errs.E(errs.Conflict, "wage.not_reviewable", "only a declared (not yet reviewed, not missed) declaration is reviewed")
	ErrWageFilterStatus  = errs.InvalidField("wage.status_filter_invalid", "status", "the status filter is declared, confirmed, disputed or missed")
	ErrWageFilterMonth   = errs.InvalidField("wage.month_filter_invalid", "month", "the month filter is YYYY-MM")
	ErrWageStatsMonthBad = ErrWageFilterMonth
)

// WageQueries are the store's reads and writes of the declarations.
type WageQueries interface {
	PutWageDeclaration(ctx context.Context, w WageDeclaration) error
	WageDeclaration(ctx context.Context, id string) (WageDeclaration, bool, error)
	ListWageDeclarations(ctx context.Context, f WageFilter, after string, limit int) ([]WageDeclaration, error)
	// FirstWageMonth is the earliest month declared in the district ("" if
	// none): the programme starts there.
	FirstWageMonth(ctx context.Context) (string, error)
}

// WageFilter selects declarations.
type WageFilter struct {
	CompanyID string
	Month     string
	Status    string
}

// WageStore is what the wage guarantee needs of the store.
type WageStore interface {
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
	WageQueries
	Register(ctx context.Context) ([]RegisteredCompany, error)
}

// Wages is the wage-guarantee API of the service.
type Wages struct {
	Store  WageStore
	Now    func() time.Time
	Policy func() policy.Compliance
	ins    *Inspections
}

// NewWages returns the wage-guarantee API; ins provides the idempotency keys.
func NewWages(st WageStore, ins *Inspections, now func() time.Time, p func() policy.Compliance) *Wages {
	return &Wages{Store: st, Now: now, Policy: p, ins: ins}
}

// WageID is the id of company's declaration of month.
func WageID(company, month string) string { return company + "." + month }

// parseMonth parses YYYY-MM as the month's first day in China time.
func parseMonth(m string) (time.Time, bool) {
	t, err := time.ParseInLocation(monthLayout, m, policy.Zone)
	return t, err == nil && t.Year() >= 2000 && t.Format(monthLayout) == m
}

// WageDeadline is the end (midnight China time) of day day of the month
// after month's start.
func WageDeadline(monthStart time.Time, day int) time.Time {
	return time.Date(monthStart.Year(), monthStart.Month()+1, day+1, 0, 0, 0, 0, policy.Zone)
}

// Declare records (or replaces) a company's declaration of a month. Not
// paid in full opens a wages dispute, once per declaration.
func (s *Wages) Declare(ctx context.Context, in WageInput) (WageDeclaration, error) {
	now := s.Now()
	start, ok := parseMonth(in.Month)
	thisMonth := time.Date(now.In(policy.Zone).Year(), now.In(policy.Zone).Month(), 1, 0, 0, 0, 0, policy.Zone)
	switch {
	case !textOK(in.CompanyID, 64):
		return WageDeclaration{}, ErrCompanyIDRequired
	case !ok || !start.Before(thisMonth):
		return WageDeclaration{}, ErrWageMonth
	case !slices.Contains(Guarantees, in.Guarantee):
		return WageDeclaration{}, ErrWageGuarantee
	}
	if in.PaidInFull {
		paid, err := time.ParseInLocation(time.DateOnly, in.PaidOn, policy.Zone)
		switch {
		case err != nil || paid.Format(time.DateOnly) != in.PaidOn || paid.After(now):
			return WageDeclaration{}, ErrWagePaidOn
		case in.GuardsAffected != 0:
			return WageDeclaration{}, ErrWageGuards
		case in.ArrearsAmount != 0:
			return WageDeclaration{}, ErrWageArrears
		}
	} else {
		switch {
		case in.PaidOn != "":
			if paid, err := time.ParseInLocation(time.DateOnly, in.PaidOn, policy.Zone); err != nil || paid.Format(time.DateOnly) != in.PaidOn || paid.After(now) {
				return WageDeclaration{}, ErrWagePaidOn
			}
		}
		switch {
		case in.GuardsAffected < 1 || in.GuardsAffected > 100000:
			return WageDeclaration{}, ErrWageGuards
		case math.IsNaN(in.ArrearsAmount) || in.ArrearsAmount <= 0 || in.ArrearsAmount > 1e8:
			return WageDeclaration{}, ErrWageArrears
		}
	}
	p, _ := auth.FromContext(ctx)
	return once(ctx, s.ins, "POST wages", in.IdempotencyKey, in, func(q Queries) (WageDeclaration, []Change, error) {
		id := WageID(in.CompanyID, in.Month)
		w, found, err := q.WageDeclaration(ctx, id)
		if err != nil {
			return WageDeclaration{}, nil, err
		}
		if found && w.Status == WageConfirmed {
			return WageDeclaration{}, nil, ErrWageReviewed
		}
		at := now.UTC()
		deadline := WageDeadline(start, s.Policy().WageDeadlineDay()).UTC()
		w = WageDeclaration{ID: id, CompanyID: in.CompanyID, Month: in.Month, Status: WageDeclared, PaidInFull: in.PaidInFull,
			PaidOn: in.PaidOn, GuardsAffected: in.GuardsAffected, ArrearsAmount: in.ArrearsAmount, Guarantee: in.Guarantee,
			Deadline: deadline, DeclaredAt: &at, DeclaredBy: p.Subject, OnTime: at.Before(deadline),
			DisputeID: w.DisputeID, Version: w.Version + 1}
		var changes []Change
		if !in.PaidInFull && w.DisputeID == "" {
			desc := fmt.Sprintf("Wages of %s declared in arrears: %d guards, %.2f yuan", in.Month, in.GuardsAffected, in.ArrearsAmount)
			d, err := s.openDispute(ctx, q, at, in.CompanyID, &w.ArrearsAmount, desc)
			if err != nil {
				return WageDeclaration{}, nil, err
			}
			w.DisputeID = d.ID
			changes = append(changes, Change{Type: EventDisputeReported, Dispute: &d})
		}
		if err := q.PutWageDeclaration(ctx, w); err != nil {
			return WageDeclaration{}, nil, err
		}
		if err := auditWrite(ctx, q, at, ActionWageDeclare, "wage_declaration", id, nil); err != nil {
			return WageDeclaration{}, nil, err
		}
		out := w
		return w, append([]Change{{Type: EventWageDeclared, Wage: &out}}, changes...), nil
	})
}

// openDispute opens the wages dispute of a declaration in q's
// transaction, as Disputes.Report would.
func (s *Wages) openDispute(ctx context.Context, q Queries, now time.Time, company string, amount *float64, desc string) (Dispute, error) {
	id, err := newID()
	if err != nil {
		return Dispute{}, err
	}
	var a *float64
	if amount != nil && *amount > 0 {
		v := *amount
		a = &v
	}
	d := Dispute{ID: id, CompanyID: company, Kind: "wages", Parties: []Party{{Role: "company", ID: company, Name: company}}, Amount: a,
		Description: desc, Status: DisputeReported, ReportedAt: now,
		ResponseDue: WorkingDaysAfter(now, s.Policy().DisputeResponseWorkingDays).UTC(), Timeline: []Step{}, Version: 1}
	if err := q.PutDispute(ctx, d); err != nil {
		return Dispute{}, err
	}
	return d, auditSystem(ctx, q, now, ActionDisputeReport, "dispute", id, []string{"wage_declaration"})
}

// Review records the union contact's confirmation or dispute of a
// declaration; a dispute opens a wages dispute unless one is open for it.
func (s *Wages) Review(ctx context.Context, id string, in WageReviewInput) (WageDeclaration, error) {
	switch {
	case in.Outcome != WageConfirmed && in.Outcome != WageDisputed:
		return WageDeclaration{}, ErrWageOutcome
	case in.Outcome == WageDisputed && !textOK(in.Note, 2000):
		return WageDeclaration{}, ErrWageNote
	case in.Note != "" && !textOK(in.Note, 2000):
		return WageDeclaration{}, ErrWageNote
	}
	p, _ := auth.FromContext(ctx)
	var out WageDeclaration
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		w, ok, err := q.WageDeclaration(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrWageNotFound
		}
		if w.Status != WageDeclared {
			return nil, ErrWageNotReviewable
		}
		now := s.Now().UTC()
		w.Status, w.ReviewedAt, w.ReviewedBy, w.ReviewNote = in.Outcome, &now, p.Subject, strings.TrimSpace(in.Note)
		w.Version++
		var changes []Change
		if in.Outcome == WageDisputed && w.DisputeID == "" {
			d, err := s.openDispute(ctx, q, now, w.CompanyID, &w.ArrearsAmount, "Wage declaration of "+w.Month+" disputed by the union contact: "+w.ReviewNote)
			if err != nil {
				return nil, err
			}
			w.DisputeID = d.ID
			changes = append(changes, Change{Type: EventDisputeReported, Dispute: &d})
		}
		if err := q.PutWageDeclaration(ctx, w); err != nil {
			return nil, err
		}
		if err := auditWrite(ctx, q, now, ActionWageReview, "wage_declaration", id, []string{in.Outcome}); err != nil {
			return nil, err
		}
		out = w
		snap := w
		return append([]Change{{Type: EventWageDeclarationReviewed, Wage: &snap, By: p.Subject}}, changes...), nil
	})
	return out, err
}

// Get returns a declaration.
func (s *Wages) Get(ctx context.Context, id string) (WageDeclaration, error) {
	w, ok, err := s.Store.WageDeclaration(ctx, id)
	if err == nil && !ok {
		err = ErrWageNotFound
	}
	return w, err
}

// Company returns the company of declaration id ("" if none).
func (s *Wages) Company(ctx context.Context, id string) string {
	w, ok, err := s.Store.WageDeclaration(ctx, id)
	if err != nil || !ok {
		return ""
	}
	return w.CompanyID
}

// List returns a page of declarations by id.
func (s *Wages) List(ctx context.Context, f WageFilter, p kitx.Page) ([]WageDeclaration, string, error) {
	if f.Status != "" && !slices.Contains(WageStatuses, f.Status) {
		return nil, "", ErrWageFilterStatus
	}
	if _, ok := parseMonth(f.Month); f.Month != "" && !ok {
		return nil, "", ErrWageFilterMonth
	}
	rows, err := s.Store.ListWageDeclarations(ctx, f, p.Cursor, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > p.Size {
		rows = rows[:p.Size]
		next = rows[len(rows)-1].ID
	}
	return rows, next, nil
}

// activeIn says whether c was active at some time of the month from
// start to end (its active window, China days).
func activeIn(c RegisteredCompany, start, end time.Time) bool {
	if c.ActiveSince == "" || c.ActiveSince >= end.Format(time.DateOnly) {
		return false
	}
	return c.LapsedOn == "" || c.LapsedOn > start.Format(time.DateOnly)
}

// Timers records, once per company and month, the months a company active
// in them declared nothing for by the deadline, each opening a wages
// dispute. The programme starts with the district's first declared month:
// no month before it is expected (a district is not in arrears of a
// programme it had not begun).
func (s *Wages) Timers(ctx context.Context) (int, error) {
	first, err := s.Store.FirstWageMonth(ctx)
	if err != nil || first == "" {
		return 0, err
	}
	start, ok := parseMonth(first)
	if !ok {
		return 0, nil
	}
	now := s.Now()
	day := s.Policy().WageDeadlineDay()
	var months []time.Time
	for m := start; !now.Before(WageDeadline(m, day)); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	if len(months) > maxMissedMonths {
		months = months[len(months)-maxMissedMonths:]
	}
	if len(months) == 0 {
		return 0, nil
	}
	companies, err := s.Store.Register(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		var changes []Change
		at := now.UTC()
		for _, m := range months {
			end := m.AddDate(0, 1, 0)
			month := m.Format(monthLayout)
			for _, c := range companies {
				if !activeIn(c, m, end) {
					continue
				}
				id := WageID(c.ID, month)
				if _, found, err := q.WageDeclaration(ctx, id); err != nil || found {
					if err != nil {
						return nil, err
					}
					continue
				}
				d, err := s.openDispute(ctx, q, at, c.ID, nil, "No wage declaration of "+month+" by the deadline")
				if err != nil {
					return nil, err
				}
				w := WageDeclaration{ID: id, CompanyID: c.ID, Month: month, Status: WageMissed, Deadline: WageDeadline(m, day).UTC(),
					DisputeID: d.ID, Version: 1}
				if err := q.PutWageDeclaration(ctx, w); err != nil {
					return nil, err
				}
				if err := auditSystem(ctx, q, at, ActionWageTimer, "wage_declaration", id, []string{EventWageDeclarationMissed}); err != nil {
					return nil, err
				}
				snap := w
				changes = append(changes, Change{Type: EventWageDeclarationMissed, Wage: &snap}, Change{Type: EventDisputeReported, Dispute: &d})
			}
		}
		n = len(changes)
		return changes, nil
	})
	return n, err
}

// WageStats are the district's figures of one month. A rate is null when
// its denominator is 0: not reported, never 0%.
type WageStats struct {
	Month     string `json:"month"`
	Expected  int    `json:"expected" doc:"companies active in the month"`
	Declared  int    `json:"declared" doc:"declarations (status declared, confirmed or disputed)"`
	OnTime    int    `json:"on_time"`
	InArrears int    `json:"in_arrears" doc:"declared not paid in full"`
	Guarantee int    `json:"guarantee_in_place" doc:"declared a guarantee other than none"`
	Confirmed int    `json:"confirmed"`
	Disputed  int    `json:"disputed"`
	Missed    int    `json:"missed"`
	// OnTimeRate is on_time over expected; ArrearsRate and GuaranteeRate
	// are over declared.
	OnTimeRate    *float64 `json:"on_time_rate"`
	ArrearsRate   *float64 `json:"arrears_rate"`
	GuaranteeRate *float64 `json:"guarantee_rate"`
}

// rate is n/d rounded to 4 places, nil when d is 0 (not reported).
func rate(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := math.Round(float64(n)/float64(d)*1e4) / 1e4
	return &r
}

// Stats counts month's declarations ("" is the last ended month).
func (s *Wages) Stats(ctx context.Context, month string) (WageStats, error) {
	if month == "" {
		n := s.Now().In(policy.Zone)
		month = time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, policy.Zone).Format(monthLayout)
	}
	start, ok := parseMonth(month)
	if !ok {
		return WageStats{}, ErrWageStatsMonthBad
	}
	companies, err := s.Store.Register(ctx)
	if err != nil {
		return WageStats{}, err
	}
	st := WageStats{Month: month}
	for _, c := range companies {
		if activeIn(c, start, start.AddDate(0, 1, 0)) {
			st.Expected++
		}
	}
	after := ""
	for {
		rows, err := s.Store.ListWageDeclarations(ctx, WageFilter{Month: month}, after, 500)
		if err != nil {
			return WageStats{}, err
		}
		for _, w := range rows {
			if w.Status == WageMissed {
				st.Missed++
				continue
			}
			st.Declared++
			if w.OnTime {
				st.OnTime++
			}
			if !w.PaidInFull {
				st.InArrears++
			}
			if w.Guarantee != "" && w.Guarantee != "none" {
				st.Guarantee++
			}
			switch w.Status {
			case WageConfirmed:
				st.Confirmed++
			case WageDisputed:
				st.Disputed++
			}
		}
		if len(rows) < 500 {
			break
		}
		after = rows[len(rows)-1].ID
	}
	st.OnTimeRate, st.ArrearsRate, st.GuaranteeRate = rate(st.OnTime, st.Expected), rate(st.InArrears, st.Declared), rate(st.Guarantee, st.Declared)
	return st, nil
}

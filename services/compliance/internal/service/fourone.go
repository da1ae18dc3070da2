package service

// Two-four-one checks (双四一机制): a company's periodic check of a guard on
// four points. The most sensitive data in the system: the contents are
// sealed at rest with the city's keyring (pkg/pii, as membership seals
// national ID numbers), every read of them is audited, and only counts
// and coverage leave the service.

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/rates"
)

// EventFourOneCoverage is the only two-four-one event: counts.
const EventFourOneCoverage = "FourOneCoverage"

// Point is one of the four points: a rating 1 (worrying) to 5 (sound) and
// a note.
type Point struct {
	Rating int    `json:"rating" required:"true" doc:"1 (worrying) to 5 (sound)"`
	Note   string `json:"note,omitempty" doc:"at most 2000 characters"`
}

// FourPoints are a check's contents: whereabouts (人员行踪), job duties
// (岗位职责), state of mind (思想活动), career plan (职业规划).
type FourPoints struct {
	Whereabouts Point `json:"whereabouts" required:"true"`
	JobDuties   Point `json:"job_duties" required:"true"`
	StateOfMind Point `json:"state_of_mind" required:"true"`
	CareerPlan  Point `json:"career_plan" required:"true"`
}

// FourOneInput records a check.
type FourOneInput struct {
	kitx.Idempotent
	GuardID   string     `json:"guard_id" required:"true"`
	CompanyID string     `json:"company_id" required:"true" doc:"the guard's company"`
	CheckedOn string     `json:"checked_on" required:"true" format:"date" doc:"its month is the check's period"`
	Points    FourPoints `json:"points" required:"true"`
}

// FourOneCheck is a check; Points only where the caller may read them
// (the read is audited).
type FourOneCheck struct {
	ID        string      `json:"id"`
	GuardID   string      `json:"guard_id"`
	CompanyID string      `json:"company_id"`
	CheckedOn string      `json:"checked_on" format:"date"`
	Period    string      `json:"period" doc:"the month, e.g. 2026-06"`
	CheckedBy string      `json:"checked_by"`
	Points    *FourPoints `json:"points,omitempty" doc:"only in a single check's read, which is audited"`
	CreatedAt time.Time   `json:"created_at"`
}

// StoredFourOne is a check as stored: the contents sealed.
type StoredFourOne struct {
	FourOneCheck
	Sealed string
}

// Coverage is a company's two-four-one coverage in a period: distinct
// guards checked over active guards (null when none is active).
type Coverage struct {
	CompanyID string   `json:"company_id"`
	Period    string   `json:"period"`
	Checked   int64    `json:"checked"`
	Active    int64    `json:"active"`
	Rate      *float64 `json:"rate"`
}

// Errors of the checks.
var (
	ErrFourOneNotFound = errs.E(errs.NotFound, "four_one.not_found", "no such two-four-one check")
	ErrFourOneGuard    = errs.InvalidField("four_one.guard_invalid", "guard_id", "guard_id must be an active guard of company_id (as membership's events report it)")
	ErrFourOneCompany  = ErrCompanyIDRequired
	ErrFourOneDate     = errs.InvalidField("four_one.checked_on_invalid", "checked_on", "checked_on must be a date from 2000-01-01 to today")
	ErrFourOnePoints   = errs.InvalidField("four_one.points_invalid", "points", "each of the four points needs a rating 1 to 5 and a note of at most 2000 characters")
	ErrFourOnePeriod   = errs.InvalidField("four_one.period_invalid", "period", "period is a month, YYYY-MM")
)

// FourOneQueries are the store's reads and writes of the checks.
type FourOneQueries interface {
	PutFourOne(ctx context.Context, c StoredFourOne) error
	FourOne(ctx context.Context, id string) (StoredFourOne, bool, error)
	ListFourOne(ctx context.Context, company, after string, limit int) ([]FourOneCheck, error)
	// FourOneCoverage counts the distinct guards of company checked in
	// period and the company's active guards now.
	FourOneCoverage(ctx context.Context, company, period string) (checked, active int64, err error)
	InsertAudit(ctx context.Context, e audit.Entry) error
}

// FourOneStore is what the checks need of the store.
type FourOneStore interface {
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
	FourOneQueries
	Guard(ctx context.Context, id string) (Guard, bool, error)
}

// FourOne is the two-four-one API of the service.
type FourOne struct {
	Store  FourOneStore
	Sealer *pii.Sealer
	Now    func() time.Time
	ins    *Inspections
}

// NewFourOne returns the checks' API; ins provides the idempotency keys.
func NewFourOne(st FourOneStore, sealer *pii.Sealer, ins *Inspections, now func() time.Time) *FourOne {
	return &FourOne{Store: st, Sealer: sealer, Now: now, ins: ins}
}

func validPoint(p Point) bool {
	return p.Rating >= 1 && p.Rating <= 5 && len([]rune(p.Note)) <= 2000
}

// Record seals and records a check, and emits the company's coverage of
// the period (counts only).
func (s *FourOne) Record(ctx context.Context, in FourOneInput) (FourOneCheck, error) {
	switch {
	case !textOK(in.CompanyID, 64):
		return FourOneCheck{}, ErrFourOneCompany
	case !validDate(in.CheckedOn) || in.CheckedOn < "2000-01-01" || in.CheckedOn > Day(s.Now()):
		return FourOneCheck{}, ErrFourOneDate
	}
	p := in.Points
	if !validPoint(p.Whereabouts) || !validPoint(p.JobDuties) || !validPoint(p.StateOfMind) || !validPoint(p.CareerPlan) {
		return FourOneCheck{}, ErrFourOnePoints
	}
	g, ok, err := s.Store.Guard(ctx, in.GuardID)
	if err != nil {
		return FourOneCheck{}, err
	}
	if !ok || !g.Active() || g.CompanyID != in.CompanyID {
		return FourOneCheck{}, ErrFourOneGuard
	}
	raw, err := json.Marshal(in.Points)
	if err != nil {
		return FourOneCheck{}, err
	}
	sealed, err := s.Sealer.Seal(string(raw))
	if err != nil {
		return FourOneCheck{}, err
	}
	// The idempotency record keeps the response, which has no contents.
	return once(ctx, s.ins, "POST four-one-checks", in.IdempotencyKey, in, func(q Queries) (FourOneCheck, []Change, error) {
		id, err := newID()
		if err != nil {
			return FourOneCheck{}, nil, err
		}
		c := FourOneCheck{ID: id, GuardID: in.GuardID, CompanyID: in.CompanyID, CheckedOn: in.CheckedOn, Period: in.CheckedOn[:7],
			CheckedBy: audit.ActorFromContext(ctx).Subject, CreatedAt: s.Now().UTC()}
		if err := q.PutFourOne(ctx, StoredFourOne{FourOneCheck: c, Sealed: sealed}); err != nil {
			return FourOneCheck{}, nil, err
		}
		if err := q.InsertAudit(ctx, audit.ActorFromContext(ctx).Entry(s.Now(), "four_one.create", "four_one_check", id, nil)); err != nil {
			return FourOneCheck{}, nil, err
		}
		checked, active, err := q.FourOneCoverage(ctx, in.CompanyID, c.Period)
		if err != nil {
			return FourOneCheck{}, nil, err
		}
		cov := Coverage{CompanyID: in.CompanyID, Period: c.Period, Checked: checked, Active: active, Rate: rates.Of(checked, active)}
		return c, []Change{{Type: EventFourOneCoverage, Coverage: &cov}}, nil
	})
}

// Get returns a check with its contents, and audits the read in the same
// transaction: no read without its audit row.
func (s *FourOne) Get(ctx context.Context, id string) (FourOneCheck, error) {
	var out FourOneCheck
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		c, ok, err := q.FourOne(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrFourOneNotFound
		}
		plain, err := s.Sealer.Open(c.Sealed)
		if err != nil {
			return nil, err
		}
		var p FourPoints
		if err := json.Unmarshal([]byte(plain), &p); err != nil {
			return nil, err
		}
		out = c.FourOneCheck
		out.Points = &p
		return nil, q.InsertAudit(ctx, audit.ActorFromContext(ctx).Entry(s.Now(), "four_one.read", "four_one_check", id, nil))
	})
	return out, err
}

// Company returns the company of check id ("" if none).
func (s *FourOne) Company(ctx context.Context, id string) string {
	c, ok, err := s.Store.FourOne(ctx, id)
	if err != nil || !ok {
		return ""
	}
	return c.CompanyID
}

// List returns a page of a company's checks, without their contents.
func (s *FourOne) List(ctx context.Context, company string, p kitx.Page) ([]FourOneCheck, string, error) {
	rows, err := s.Store.ListFourOne(ctx, company, p.Cursor, p.Size+1)
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

// Coverage returns company's coverage of period (YYYY-MM).
func (s *FourOne) Coverage(ctx context.Context, company, period string) (Coverage, error) {
	if !textOK(company, 64) {
		return Coverage{}, ErrFourOneCompany
	}
	if _, err := time.Parse("2006-01", period); err != nil || len(period) != 7 {
		return Coverage{}, ErrFourOnePeriod
	}
	checked, active, err := s.Store.FourOneCoverage(ctx, strings.TrimSpace(company), period)
	if err != nil {
		return Coverage{}, err
	}
	return Coverage{CompanyID: company, Period: period, Checked: checked, Active: active, Rate: rates.Of(checked, active)}, nil
}

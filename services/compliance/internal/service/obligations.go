package service

// The periodic obligations counted the DHIS2 way (expected, done, done on
// time), per company and district, and their events: a period completed
// (done reached expected) and a period missed (its deadline passed short),
// once each. A company is expected only in the periods that overlap its
// active window from membership's events: not before it became active,
// not after it lapsed.

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/policy"
)

// The obligations.
const (
	// ObligationInspection: the hazard inspections of a company's schedule.
	ObligationInspection = "inspection"
	// ObligationFourOne: a month's two-four-one checks (at least one check
	// of the company's guards dated in the month).
	ObligationFourOne = "four_one"
	// ObligationRoundtable: the district roundtables (片区行业圆桌会) of the
	// district's cadence (meetings' policy), attended by the company.
	ObligationRoundtable = "roundtable"
)

// Obligations lists the obligations, for the API's enum.
func Obligations() []string {
	return []string{ObligationInspection, ObligationFourOne, ObligationRoundtable}
}

// The obligation events.
const (
	EventObligationCompleted = "ObligationCompleted"
	EventObligationMissed    = "ObligationMissed"
)

// ErrObligationInvalid is an unknown obligation.
var ErrObligationInvalid = errs.InvalidField("compliance.obligation_invalid", "obligation", "obligation is inspection, four_one or roundtable")

// ObligationPeriod is one company's obligation in one expected period.
type ObligationPeriod struct {
	CompanyID  string
	Obligation string
	Period     string // the label; "" for a company's placeholder row
	Start, End time.Time
	// Deadline is End plus the policy's timeliness_days.
	Deadline time.Time
	Expected int
	Done     int
	OnTime   int
}

// ObligationStore is what the obligations need of the store.
type ObligationStore interface {
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
	InspectionQueries
	EvaluationQueries
}

// Timeliness reports the DHIS2 way on every obligation.
type Timeliness struct {
	Store   ObligationStore
	Now     func() time.Time
	Policy  func() policy.Compliance
	Cadence func() policy.Cadence
}

// Report counts obligation over each company's last n ended periods.
func (s *Timeliness) Report(ctx context.Context, obligation string, n int) (TimelinessReport, error) {
	if n < 1 || n > 36 {
		return TimelinessReport{}, ErrSchedulePeriodsInvalid
	}
	days := s.Policy().TimelinessDays
	rows, err := s.rows(ctx, s.Store, obligation, func(policy.Period) int { return n }, s.Now(), days, false)
	if err != nil {
		return TimelinessReport{}, err
	}
	return report(obligation, n, days, rows), nil
}

func (s *Timeliness) rows(ctx context.Context, q ObligationQueries, obligation string, n func(policy.Period) int, now time.Time, days int, current bool) ([]ObligationPeriod, error) {
	switch obligation {
	case ObligationInspection:
		return inspectionRows(ctx, q, n, now, days, current)
	case ObligationFourOne:
		return registerRows(ctx, q, ObligationFourOne, policy.Month, 1, n, now, days, current)
	case ObligationRoundtable:
		c := s.Cadence()
		return registerRows(ctx, q, ObligationRoundtable, c.Per, c.Count, n, now, days, current)
	}
	return nil, ErrObligationInvalid
}

// ObligationQueries are the reads the rows need (the store, or a
// transaction's Queries).
type ObligationQueries interface {
	InspectionQueries
	EvaluationQueries
}

// registerRows counts an obligation of every company on the register:
// count per period of per, in each period that overlaps its window.
func registerRows(ctx context.Context, q ObligationQueries, obligation string, per policy.Period, count int, span func(policy.Period) int, now time.Time, days int, current bool) ([]ObligationPeriod, error) {
	n := span(per)
	reg, err := q.Register(ctx)
	if err != nil {
		return nil, err
	}
	var rows []ObligationPeriod
	cur := per.Start(now)
	last := 1
	if current {
		last = 0
	}
	for _, co := range reg {
		rows = append(rows, ObligationPeriod{CompanyID: co.ID, Obligation: obligation})
		if count <= 0 {
			continue // the district expects none (a cadence of 0)
		}
		for i := n; i >= last; i-- {
			start := per.Shift(cur, -i)
			end := per.Shift(start, 1)
			if !overlaps(start, end, co.ActiveSince, co.LapsedOn) {
				continue
			}
			deadline := end.AddDate(0, 0, days)
			done, onTime := 0, 0
			switch obligation {
			case ObligationFourOne:
				checked, recorded, err := q.FourOneMonth(ctx, co.ID, start.Format("2006-01"))
				if err != nil {
					return nil, err
				}
				if checked > 0 {
					done = 1
				}
				for _, at := range recorded {
					if at.Before(deadline) {
						onTime = 1
					}
				}
			case ObligationRoundtable:
				att, err := q.AttendanceOf(ctx, co.ID, start, end, true)
				if err != nil {
					return nil, err
				}
				for _, a := range att {
					if !a.Attended() {
						continue
					}
					done++
					if a.RecordedAt.Before(deadline) {
						onTime++
					}
				}
			}
			rows = append(rows, ObligationPeriod{CompanyID: co.ID, Obligation: obligation, Period: per.Label(start), Start: start, End: end,
				Deadline: deadline, Expected: count, Done: min(done, count), OnTime: min(onTime, count)})
		}
	}
	return rows, nil
}

// AnnounceSpan is how many ended periods of per Announce looks back on:
// the last three, and never fewer than reach back to the newest period
// whose deadline (its end plus days) has passed, which for a week with
// days of 30 ended five weeks ago: with only three, its ObligationMissed
// would never be sent.
func AnnounceSpan(per policy.Period, days int) int {
	shortest := map[policy.Period]int{policy.Week: 7, policy.Month: 28, policy.Quarter: 89, policy.Year: 365}[per]
	n := 3
	if shortest > 0 {
		n = max(n, (days+shortest-1)/shortest+1)
	}
	return n
}

// Announce emits, once each, ObligationCompleted for every recent period
// (the current one and the ended ones AnnounceSpan reaches) whose done
// reached expected, and ObligationMissed for every one whose deadline
// passed short. It returns how many it emitted.
func (s *Timeliness) Announce(ctx context.Context) (int, error) {
	var sent int
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		now, days := s.Now(), s.Policy().TimelinessDays
		var changes []Change
		for _, ob := range Obligations() {
			rows, err := s.rows(ctx, q, ob, func(per policy.Period) int { return AnnounceSpan(per, days) }, now, days, true)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if r.Period == "" || r.Expected == 0 {
					continue
				}
				kind := ""
				switch {
				case r.Done >= r.Expected:
					kind = EventObligationCompleted
				case !now.Before(r.Deadline):
					kind = EventObligationMissed
				default:
					continue
				}
				fresh, err := q.MarkObligation(ctx, r.CompanyID, r.Obligation, r.Period, kind)
				if err != nil {
					return nil, err
				}
				if fresh {
					r := r
					changes = append(changes, Change{Type: kind, Obligation: &r})
				}
			}
		}
		sent = len(changes)
		return changes, nil
	})
	return sent, err
}

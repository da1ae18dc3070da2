package service

// Timeliness the DHIS2 way: for a periodic obligation, per company and
// district, how many were expected, done, and done on time. Today the
// obligations counted are the inspection schedules, the monthly
// two-four-one checks and the district roundtables (obligations.go).

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// CompanyTimeliness is one company's inspections against its schedule
// over the ended periods of a report.
type CompanyTimeliness struct {
	CompanyID string `json:"company_id"`
	// Expected counts only the periods that overlap the company's active
	// window (from the day it became active, not after it lapsed): a
	// company is never expected before it joined, the mistake DHIS2 users
	// complain about.
	Expected int `json:"expected"`
	Done     int `json:"done" doc:"done for an expected period (at most its count)"`
	OnTime   int `json:"on_time" doc:"done and uploaded by the end of timeliness_days after its period"`
	// Completeness is done/expected, Timeliness on_time/expected; null
	// when nothing was expected (not reported, not 0).
	Completeness *float64 `json:"completeness"`
	Timeliness   *float64 `json:"timeliness"`
}

// TimelinessReport is the district's report.
type TimelinessReport struct {
	Obligation     string              `json:"obligation" enum:"inspection,four_one,roundtable"`
	Periods        int                 `json:"periods" doc:"how many periods back each company's schedule is counted"`
	TimelinessDays int                 `json:"timeliness_days"`
	Companies      []CompanyTimeliness `json:"companies"`
	District       CompanyTimeliness   `json:"district" doc:"the sums (company_id empty)"`
}

// overlaps reports whether [start, end) meets the window [since, until)
// (dates; until "" is open).
func overlaps(start, end time.Time, since, until string) bool {
	if since == "" {
		return false
	}
	s, _ := time.ParseInLocation(time.DateOnly, since, policy.Zone)
	if !s.Before(end) {
		return false
	}
	if until == "" {
		return true
	}
	u, _ := time.ParseInLocation(time.DateOnly, until, policy.Zone)
	return start.Before(u)
}

// Timeliness counts each scheduled company's last n ended periods.
func (s *Inspections) Timeliness(ctx context.Context, n int) (TimelinessReport, error) {
	if n < 1 || n > 36 {
		return TimelinessReport{}, ErrSchedulePeriodsInvalid
	}
	days := s.Policy().TimelinessDays
	rows, err := inspectionRows(ctx, s.Store, func(policy.Period) int { return n }, s.Now(), days, false)
	if err != nil {
		return TimelinessReport{}, err
	}
	return report(ObligationInspection, n, days, rows), nil
}

// report sums rows per company (in their order) and for the district.
func report(obligation string, n, days int, rows []ObligationPeriod) TimelinessReport {
	rep := TimelinessReport{Obligation: obligation, Periods: n, TimelinessDays: days, Companies: []CompanyTimeliness{}}
	idx := map[string]int{}
	for _, r := range rows {
		i, ok := idx[r.CompanyID]
		if !ok {
			i = len(rep.Companies)
			idx[r.CompanyID] = i
			rep.Companies = append(rep.Companies, CompanyTimeliness{CompanyID: r.CompanyID})
		}
		c := &rep.Companies[i]
		c.Expected += r.Expected
		c.Done += r.Done
		c.OnTime += r.OnTime
	}
	for i := range rep.Companies {
		c := &rep.Companies[i]
		c.Completeness, c.Timeliness = rates.Of(int64(c.Done), int64(c.Expected)), rates.Of(int64(c.OnTime), int64(c.Expected))
		rep.District.Expected += c.Expected
		rep.District.Done += c.Done
		rep.District.OnTime += c.OnTime
	}
	d := &rep.District
	d.Completeness, d.Timeliness = rates.Of(int64(d.Done), int64(d.Expected)), rates.Of(int64(d.OnTime), int64(d.Expected))
	return rep
}

// inspectionRows returns, per scheduled company, a row for each of its
// last span(its period) ended periods (and the current one if current) that is expected
// of it; a company whose periods are none still has a row (expected 0).
func inspectionRows(ctx context.Context, st InspectionQueries, span func(policy.Period) int, now time.Time, days int, current bool) ([]ObligationPeriod, error) {
	scheds, err := st.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	var rows []ObligationPeriod
	for _, sc := range scheds {
		since, until, err := st.CompanyWindow(ctx, sc.CompanyID)
		if err != nil {
			return nil, err
		}
		cur := sc.Period.Start(now)
		n := span(sc.Period)
		from := sc.Period.Shift(cur, -n)
		ins, err := st.CompanyInspections(ctx, sc.CompanyID, from.Format(time.DateOnly))
		if err != nil {
			return nil, err
		}
		first, _ := time.ParseInLocation(time.DateOnly, sc.StartsOn, policy.Zone)
		rows = append(rows, ObligationPeriod{CompanyID: sc.CompanyID, Obligation: ObligationInspection})
		last := 1
		if current {
			last = 0
		}
		for i := n; i >= last; i-- { // ended periods (and the current one)
			start := sc.Period.Shift(cur, -i)
			end := sc.Period.Shift(start, 1)
			if end.Before(first) || end.Equal(first) || !overlaps(start, end, since, until) {
				continue
			}
			label := sc.Period.Label(start)
			deadline := end.AddDate(0, 0, days)
			done, onTime := 0, 0
			for _, in := range ins {
				on, _ := time.ParseInLocation(time.DateOnly, in.InspectedOn, policy.Zone)
				if !(in.ForPeriod == label || (in.ForPeriod == "" && !on.Before(start) && on.Before(end))) {
					continue
				}
				done++
				if in.RecordedAt.Before(deadline) {
					onTime++
				}
			}
			rows = append(rows, ObligationPeriod{CompanyID: sc.CompanyID, Obligation: ObligationInspection, Period: label, Start: start, End: end,
				Deadline: deadline, Expected: sc.Count, Done: min(done, sc.Count), OnTime: min(onTime, sc.Count)})
		}
	}
	return rows, nil
}

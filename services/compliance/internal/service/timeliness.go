package service

// Timeliness the DHIS2 way: for a periodic obligation, per company and
// district, how many were expected, done, and done on time. Today the
// obligation counted is the inspection schedule; two-four-one checks and
// roundtables are not counted yet.

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
	now, days := s.Now(), s.Policy().TimelinessDays
	scheds, err := s.Store.Schedules(ctx)
	if err != nil {
		return TimelinessReport{}, err
	}
	rep := TimelinessReport{Periods: n, TimelinessDays: days, Companies: []CompanyTimeliness{}}
	for _, sc := range scheds {
		since, until, err := s.Store.CompanyWindow(ctx, sc.CompanyID)
		if err != nil {
			return TimelinessReport{}, err
		}
		cur := sc.Period.Start(now)
		from := sc.Period.Shift(cur, -n)
		ins, err := s.Store.CompanyInspections(ctx, sc.CompanyID, from.Format(time.DateOnly))
		if err != nil {
			return TimelinessReport{}, err
		}
		first, _ := time.ParseInLocation(time.DateOnly, sc.StartsOn, policy.Zone)
		c := CompanyTimeliness{CompanyID: sc.CompanyID}
		for i := n; i >= 1; i-- { // ended periods only
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
			c.Expected += sc.Count
			c.Done += min(done, sc.Count)
			c.OnTime += min(onTime, sc.Count)
		}
		c.Completeness, c.Timeliness = rates.Of(int64(c.Done), int64(c.Expected)), rates.Of(int64(c.OnTime), int64(c.Expected))
		rep.Companies = append(rep.Companies, c)
		rep.District.Expected += c.Expected
		rep.District.Done += c.Done
		rep.District.OnTime += c.OnTime
	}
	d := &rep.District
	d.Completeness, d.Timeliness = rates.Of(int64(d.Done), int64(d.Expected)), rates.Of(int64(d.OnTime), int64(d.Expected))
	return rep, nil
}

package service

// Coverage: per key area and hour, how many person-minutes the shifts
// require, how many the assigned guards staff, and how many minutes of a
// plan's period no shift covers at all. Shift and plan bounds fall on
// whole minutes (CreatePlan, CreateShift), so the counts are exact
// integers: each minute of the hour is counted, none is estimated.

import (
	"context"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/rates"
)

// CoverageHour is one key area's hour.
type CoverageHour struct {
	AreaID string    `json:"area_id"`
	Hour   time.Time `json:"hour" doc:"the hour's start"`
	// RequiredMinutes is Σ over the minutes of the hour of the headcount
	// the shifts running then require.
	RequiredMinutes int `json:"required_minutes"`
	// StaffedMinutes is the same sum of each shift's assigned guards, up
	// to its required headcount.
	StaffedMinutes int `json:"staffed_minutes"`
	// GapMinutes is RequiredMinutes - StaffedMinutes: person-minutes no
	// one is assigned to.
	GapMinutes int `json:"gap_minutes"`
	// UncoveredMinutes counts the minutes of the hour inside a plan's
	// period of the area that no shift covers: holes in the schedule.
	UncoveredMinutes int      `json:"uncovered_minutes"`
	FillRate         *float64 `json:"fill_rate" nullable:"true" doc:"staffed_minutes / required_minutes; null for an hour that requires no one"`
}

// CoverageArea sums one key area over the window.
type CoverageArea struct {
	AreaID           string   `json:"area_id"`
	RequiredMinutes  int      `json:"required_minutes"`
	StaffedMinutes   int      `json:"staffed_minutes"`
	GapMinutes       int      `json:"gap_minutes"`
	UncoveredMinutes int      `json:"uncovered_minutes"`
	FillRate         *float64 `json:"fill_rate" nullable:"true" doc:"staffed_minutes / required_minutes; null when nothing is required"`
	// GapHours counts the hours with a gap or an uncovered minute.
	GapHours int `json:"gap_hours"`
}

// CoverageReport is the coverage of [from, to).
type CoverageReport struct {
	From  time.Time      `json:"from"`
	To    time.Time      `json:"to"`
	Areas []CoverageArea `json:"areas"`
	Hours []CoverageHour `json:"hours" doc:"every hour of an area with a plan or a shift in it, by area then hour"`
}

// maxCoverageWindow keeps a report to a month of hours.
const maxCoverageWindow = 31 * 24 * time.Hour

// Coverage implements Service.
func (s *Patrols) Coverage(ctx context.Context, areaID string, from, to time.Time) (CoverageReport, error) {
	if from.IsZero() || to.IsZero() || !from.Equal(from.Truncate(time.Hour)) || !to.Equal(to.Truncate(time.Hour)) ||
		!to.After(from) || to.Sub(from) > maxCoverageWindow {
		return CoverageReport{}, ErrCoverageWindow
	}
	plans, err := s.repo.PlansOverlapping(ctx, areaID, from, to)
	if err != nil {
		return CoverageReport{}, err
	}
	shifts, err := s.repo.ShiftsOverlapping(ctx, areaID, from, to)
	if err != nil {
		return CoverageReport{}, err
	}
	return ComputeCoverage(from.UTC(), to.UTC(), plans, shifts), nil
}

// ComputeCoverage is Coverage's arithmetic over the plans and shifts that
// overlap [from, to), both on whole hours.
func ComputeCoverage(from, to time.Time, plans []Plan, shifts []Shift) CoverageReport {
	areaIDs := map[string]bool{}
	for _, p := range plans {
		areaIDs[p.AreaID] = true
	}
	for _, sh := range shifts {
		areaIDs[sh.AreaID] = true
	}
	report := CoverageReport{From: from, To: to, Areas: []CoverageArea{}, Hours: []CoverageHour{}}
	areas := make([]string, 0, len(areaIDs))
	for a := range areaIDs {
		areas = append(areas, a)
	}
	slices.Sort(areas)
	for _, area := range areas {
		sum := CoverageArea{AreaID: area}
		for h := from; h.Before(to); h = h.Add(time.Hour) {
			var required, staffed [60]int
			var planned, covered [60]bool
			any := false
			for _, p := range plans {
				if p.AreaID == area && mark(h, p.StartsAt, p.EndsAt, func(m int) { planned[m] = true }) {
					any = true
				}
			}
			for _, sh := range shifts {
				if sh.AreaID != area {
					continue
				}
				if mark(h, sh.StartsAt, sh.EndsAt, func(m int) {
					covered[m] = true
					required[m] += sh.Required
					staffed[m] += min(sh.Assigned, sh.Required)
				}) {
					any = true
				}
			}
			if !any {
				continue
			}
			row := CoverageHour{AreaID: area, Hour: h}
			for m := range 60 {
				row.RequiredMinutes += required[m]
				row.StaffedMinutes += staffed[m]
				if planned[m] && !covered[m] {
					row.UncoveredMinutes++
				}
			}
			row.GapMinutes = row.RequiredMinutes - row.StaffedMinutes
			row.FillRate = rates.Of(int64(row.StaffedMinutes), int64(row.RequiredMinutes))
			report.Hours = append(report.Hours, row)
			sum.RequiredMinutes += row.RequiredMinutes
			sum.StaffedMinutes += row.StaffedMinutes
			sum.GapMinutes += row.GapMinutes
			sum.UncoveredMinutes += row.UncoveredMinutes
			if row.GapMinutes > 0 || row.UncoveredMinutes > 0 {
				sum.GapHours++
			}
		}
		sum.FillRate = rates.Of(int64(sum.StaffedMinutes), int64(sum.RequiredMinutes))
		report.Areas = append(report.Areas, sum)
	}
	return report
}

// mark calls f for each minute of the hour starting at h that [start, end)
// covers, and reports whether it covers any.
func mark(h, start, end time.Time, f func(minute int)) bool {
	lo, hi := start, end
	if h.After(lo) {
		lo = h
	}
	if e := h.Add(time.Hour); e.Before(hi) {
		hi = e
	}
	if !lo.Before(hi) {
		return false
	}
	for m := int(lo.Sub(h) / time.Minute); m < int(hi.Sub(h)/time.Minute); m++ {
		f(m)
	}
	return true
}

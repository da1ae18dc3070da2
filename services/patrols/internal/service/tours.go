package service

// Tours: the missed-tour sweep, a shift's report and patrol hours.

import (
	"context"
	"slices"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
)

// SweepTours raises the missed-tour anomalies due at now, each once: a
// tour not started (no accepted scan by start + grace) once start + grace
// has passed, and a tour not finished (fewer accepted scans than the
// shift expects) once end + grace has passed. An offline batch uploaded
// after the sweep does not withdraw an anomaly raised: it was missed as
// far as anyone could know in time. It returns how many it raised.
func (s *Patrols) SweepTours(ctx context.Context) (int, error) {
	rules := s.rules()
	now := s.now().UTC()
	grace := rules.Grace()
	cands, err := s.repo.TourCandidates(ctx, now.Add(-grace))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cands {
		var due []MissedTour
		started := !c.FirstScan.IsZero() && !c.FirstScan.After(c.Shift.StartsAt.Add(grace))
		if !c.HasNotStarted && !started {
			due = append(due, MissedTour{Kind: TourNotStarted})
		}
		if !c.HasNotFinish && !now.Before(c.Shift.EndsAt.Add(grace)) && c.Scans < c.Shift.ExpectedScans {
			due = append(due, MissedTour{Kind: TourNotFinished})
		}
		for _, m := range due {
			id, err := newID()
			if err != nil {
				return n, err
			}
			m.ID, m.ShiftID, m.PlanID, m.GuardID = id, c.Shift.ID, c.Shift.PlanID, c.GuardID
			m.Scans, m.ExpectedScans, m.RaisedAt = c.Scans, c.Shift.ExpectedScans, now
			err = s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
				ok, err := q.InsertMissedTour(ctx, m)
				if err != nil || !ok {
					return nil, err
				}
				if err := s.AuditAs(ctx, q, system, ActionMissedTour, ResourceShift, m.ShiftID, []string{"missed_tours." + m.Kind}); err != nil {
					return nil, err
				}
				n++
				snap := m
				return []Change{{Type: EventMissedTour, Missed: &snap}}, nil
			})
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ShiftReport is a shift's proof of presence.
type ShiftReport struct {
	Shift         Shift         `json:"shift"`
	Guards        []GuardReport `json:"guards"`
	MockLocations int           `json:"mock_locations" doc:"accepted scans whose device reported a mock location"`
	MissedTours   []MissedTour  `json:"missed_tours"`
}

// GuardReport is one assigned guard's scans of a shift.
type GuardReport struct {
	GuardID       string `json:"guard_id"`
	Scans         []Scan `json:"scans"`
	Accepted      int    `json:"accepted"`
	ExpectedScans int    `json:"expected_scans"`
	Complete      bool   `json:"complete" doc:"accepted >= expected_scans"`
}

// ShiftReport implements Service.
func (s *Patrols) ShiftReport(ctx context.Context, shiftID string) (ShiftReport, error) {
	sh, err := s.repo.GetShift(ctx, shiftID)
	if err != nil {
		return ShiftReport{}, err
	}
	scans, err := s.repo.ShiftScans(ctx, shiftID)
	if err != nil {
		return ShiftReport{}, err
	}
	missed, _, err := s.repo.ListMissedTours(ctx, "", shiftID, kitx.Page{Size: 500})
	if err != nil {
		return ShiftReport{}, err
	}
	r := ShiftReport{Shift: sh, Guards: []GuardReport{}, MissedTours: missed}
	guards := slices.Clone(sh.GuardIDs)
	for _, sc := range scans {
		if !slices.Contains(guards, sc.GuardID) {
			guards = append(guards, sc.GuardID) // suspended since, or unassigned
		}
	}
	for _, g := range guards {
		gr := GuardReport{GuardID: g, Scans: []Scan{}, ExpectedScans: sh.ExpectedScans}
		for _, sc := range scans {
			if sc.GuardID == g {
				gr.Scans = append(gr.Scans, sc)
				if sc.MockLocation {
					r.MockLocations++
				}
			}
		}
		gr.Accepted = len(gr.Scans)
		gr.Complete = gr.Accepted >= sh.ExpectedScans
		r.Guards = append(r.Guards, gr)
	}
	return r, nil
}

// HoursReport sums patrol hours.
type HoursReport struct {
	From   time.Time    `json:"from"`
	To     time.Time    `json:"to"`
	Hours  float64      `json:"hours" doc:"Σ over guards of the hours of their shifts (clipped to the window) with at least one accepted scan"`
	Guards []GuardHours `json:"guards"`
}

// GuardHours is one guard's patrol hours.
type GuardHours struct {
	GuardID string  `json:"guard_id"`
	Shifts  int     `json:"shifts"`
	Hours   float64 `json:"hours"`
}

// PatrolHours implements Service: a shift counts whole (clipped to the
// window) for each guard with an accepted scan in it; a shift without
// one counts nothing, however it was staffed.
func (s *Patrols) PatrolHours(ctx context.Context, from, to time.Time) (HoursReport, error) {
	if from.IsZero() || !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		return HoursReport{}, ErrHoursWindow
	}
	worked, err := s.repo.WorkedShifts(ctx, from, to)
	if err != nil {
		return HoursReport{}, err
	}
	r := HoursReport{From: from, To: to, Guards: []GuardHours{}}
	minutes := map[string]int64{}
	count := map[string]int{}
	for _, w := range worked {
		lo, hi := w.StartsAt, w.EndsAt
		if from.After(lo) {
			lo = from
		}
		if to.Before(hi) {
			hi = to
		}
		if !lo.Before(hi) {
			continue
		}
		m := int64(hi.Sub(lo) / time.Minute)
		minutes[w.GuardID] += m
		count[w.GuardID]++
	}
	var total int64
	for g, m := range minutes {
		total += m
		r.Guards = append(r.Guards, GuardHours{GuardID: g, Shifts: count[g], Hours: float64(m) / 60})
	}
	slices.SortFunc(r.Guards, func(a, b GuardHours) int {
		if a.GuardID < b.GuardID {
			return -1
		}
		if a.GuardID > b.GuardID {
			return 1
		}
		return 0
	})
	r.Hours = float64(total) / 60
	return r, nil
}

// ListMissedTours implements Service.
func (s *Patrols) ListMissedTours(ctx context.Context, kind string, page kitx.Page) ([]MissedTour, string, error) {
	if kind != "" && kind != TourNotStarted && kind != TourNotFinished {
		return nil, "", ErrAnomalyKindFilter
	}
	return s.repo.ListMissedTours(ctx, kind, "", page)
}

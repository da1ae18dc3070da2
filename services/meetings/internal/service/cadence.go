package service

// Roundtable cadence: roundtables held against the district's expected
// count per period.

import "context"

// RoundtableCadence implements Service. A roundtable is held once it is in
// progress or closed; the current period is on track only once it has its
// expected count.
func (s *Meetings) RoundtableCadence(ctx context.Context, periods int) (CadenceReport, error) {
	if periods < 1 || periods > 36 {
		return CadenceReport{}, ErrCadencePeriodsInvalid
	}
	c := s.cadence()
	// The periods are pkg/policy's, the ones HQ counts too.
	end := c.Per.Shift(c.Per.Start(s.now()), 1)
	start := c.Per.Shift(end, -periods)
	held, err := s.repo.RoundtableStarts(ctx, start, end)
	if err != nil {
		return CadenceReport{}, err
	}
	out := CadenceReport{Per: c.Per, Count: c.Count, Periods: []CadencePeriod{}}
	for p := start; p.Before(end); p = c.Per.Shift(p, 1) {
		label, np := c.Per.Label(p), c.Per.Shift(p, 1)
		n := 0
		for _, t := range held {
			if !t.Before(p) && t.Before(np) {
				n++
			}
		}
		out.Periods = append(out.Periods, CadencePeriod{Period: label, Start: p, End: np, Expected: c.Count, Held: n, OnTrack: c.OnTrack(int64(n))})
	}
	return out, nil
}

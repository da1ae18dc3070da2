package service

// Roundtable cadence: roundtables held against the district's expected
// count per period.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ValidateCadence checks a roundtable cadence.
func ValidateCadence(c Cadence) error {
	if (c.Per != "month" && c.Per != "quarter" && c.Per != "year") || c.Count < 0 || c.Count > 100 {
		return errors.New(`cadence: per must be month, quarter or year and count 0 to 100`)
	}
	return nil
}

// periodStart returns the start of the period of t (CST) and its label.
func periodStart(per string, t time.Time) (time.Time, string) {
	t = t.In(Local)
	switch per {
	case "year":
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, Local), t.Format("2006")
	case "quarter":
		q := (int(t.Month()) - 1) / 3
		return time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, Local), fmt.Sprintf("%d-Q%d", t.Year(), q+1)
	default:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, Local), t.Format("2006-01")
	}
}

func nextPeriod(per string, t time.Time) time.Time {
	switch per {
	case "year":
		return t.AddDate(1, 0, 0)
	case "quarter":
		return t.AddDate(0, 3, 0)
	default:
		return t.AddDate(0, 1, 0)
	}
}

// RoundtableCadence implements Service. A roundtable is held once it is in
// progress or closed; the current period is on track only once it has its
// expected count.
func (s *Meetings) RoundtableCadence(ctx context.Context, periods int) (CadenceReport, error) {
	if periods < 1 || periods > 36 {
		return CadenceReport{}, ErrCadencePeriodsInvalid
	}
	c := s.cadence()
	start, _ := periodStart(c.Per, s.now())
	for range periods - 1 {
		prev := start
		switch c.Per {
		case "year":
			start = prev.AddDate(-1, 0, 0)
		case "quarter":
			start = prev.AddDate(0, -3, 0)
		default:
			start = prev.AddDate(0, -1, 0)
		}
	}
	end := start
	for range periods {
		end = nextPeriod(c.Per, end)
	}
	held, err := s.repo.RoundtableStarts(ctx, start, end)
	if err != nil {
		return CadenceReport{}, err
	}
	out := CadenceReport{Per: c.Per, Count: c.Count, Periods: []CadencePeriod{}}
	for p := start; p.Before(end); p = nextPeriod(c.Per, p) {
		_, label := periodStart(c.Per, p)
		np := nextPeriod(c.Per, p)
		n := 0
		for _, t := range held {
			if !t.Before(p) && t.Before(np) {
				n++
			}
		}
		out.Periods = append(out.Periods, CadencePeriod{Period: label, Start: p, End: np, Expected: c.Count, Held: n, OnTrack: n >= c.Count})
	}
	return out, nil
}

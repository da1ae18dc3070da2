package store

// The periodic obligations' timeliness (issue 10 parts 6 and 7): the rows
// the projector folds in from compliance's ObligationCompleted and
// ObligationMissed, and the city view's reads of them.

import (
	"context"
	"database/sql"
	"strings"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// Obligation is one company's standing on one obligation in one period as
// an obligation event reports it.
type Obligation struct {
	District, CompanyID, Obligation, Period string
	Expected, Done, OnTime                  int64
	// Missed is true for ObligationMissed, false for ObligationCompleted.
	Missed bool
	// EventID is the event's id, kept as the source of the row.
	EventID string
}

// PutObligation merges an obligation event into its period's row. The two
// kinds arrive once each per period in either order (compliance sends
// Missed at the deadline and Completed when done reaches expected, so a
// period done late has Missed first, and a redelivery can bring either
// again), and each carries the period's counts at the time it was sent,
// which only grow: so every count is the larger of the row's and the
// event's, and the row is the same whatever the order. Each kind's event
// id is kept the first time that kind is applied. It reports whether the
// row changed.
func (s *Store) PutObligation(ctx context.Context, tx *sql.Tx, o Obligation) (bool, error) {
	completed, missed := o.EventID, ""
	if o.Missed {
		completed, missed = "", o.EventID
	}
	res, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_obligations AS t (district, company_id, obligation, period, expected, done, on_time,
		completed_event_id, missed_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (district, company_id, obligation, period) DO UPDATE SET
		expected = CASE WHEN t.expected > excluded.expected THEN t.expected ELSE excluded.expected END, done = CASE WHEN t.done > excluded.done THEN t.done ELSE excluded.done END, on_time = CASE WHEN t.on_time > excluded.on_time THEN t.on_time ELSE excluded.on_time END,
		completed_event_id = CASE WHEN t.completed_event_id = '' THEN excluded.completed_event_id ELSE t.completed_event_id END,
		missed_event_id = CASE WHEN t.missed_event_id = '' THEN excluded.missed_event_id ELSE t.missed_event_id END
		WHERE excluded.expected > t.expected OR excluded.done > t.done OR excluded.on_time > t.on_time
		   OR (t.completed_event_id = '' AND excluded.completed_event_id <> '')
		   OR (t.missed_event_id = '' AND excluded.missed_event_id <> '')`,
		o.District, o.CompanyID, o.Obligation, o.Period, o.Expected, o.Done, o.OnTime, completed, missed)
	return inserted(res, err, "hq_obligations")
}

// ObligationRow is a stored row, for the tests and the operators' checks.
type ObligationRow struct {
	Obligation
	CompletedEventID, MissedEventID string
}

// Obligations returns district's rows of company, by obligation and period.
func (s *Store) Obligations(ctx context.Context, district, company string) ([]ObligationRow, error) {
	var out []ObligationRow
	err := s.read(ctx, func(r reader) error {
		return r.query(ctx, "obligations", `SELECT obligation, period, expected, done, on_time, completed_event_id, missed_event_id
			FROM hq_obligations WHERE district = ? AND company_id = ? ORDER BY obligation, period`, func(rows *sql.Rows) error {
			o := ObligationRow{Obligation: Obligation{District: district, CompanyID: company}}
			if err := rows.Scan(&o.Obligation.Obligation, &o.Period, &o.Expected, &o.Done, &o.OnTime, &o.CompletedEventID, &o.MissedEventID); err != nil {
				return err
			}
			o.Missed = o.MissedEventID != ""
			out = append(out, o)
			return nil
		}, district, company)
	})
	return out, err
}

// timeliness returns each district's (byCompany: each company's)
// timeliness: the counts of the rows of periods (service.TimelinessPeriods), and each obligation reported
// wherever HQ holds a row of it, of any period.
func (r reader) timeliness(ctx context.Context, district string, periods []string, byCompany bool) (map[key]service.Timeliness, error) {
	out := map[key]service.Timeliness{}
	k := func(d, c string) key {
		if !byCompany {
			c = ""
		}
		return key{d, c}
	}
	// of returns the obligation's figure of (d, c), or nil for an
	// obligation HQ does not know (the projector rejects those).
	of := func(d, c, ob string, fn func(*service.ObligationTimeliness)) {
		t := out[k(d, c)]
		if o := t.Of(ob); o != nil {
			fn(o)
			out[k(d, c)] = t
		}
	}
	where, args := districtFilter("district", district)
	obs := service.Obligations()
	in := func(n int) string { return strings.Repeat(", ?", n)[2:] }
	var qargs []any
	for _, ob := range obs {
		qargs = append(qargs, ob)
	}
	for _, p := range periods {
		qargs = append(qargs, p)
	}
	// The periods the figures cover, through the (district, obligation,
	// period) index: a read does not grow with the history.
	err := r.query(ctx, "obligations", `SELECT district, company_id, obligation, period, expected, done, on_time FROM hq_obligations
		WHERE obligation IN (`+in(len(obs))+`) AND period IN (`+in(len(periods))+`) AND `+where, func(rows *sql.Rows) error {
		var d, c, ob, period string
		var n service.ObligationCounts
		if err := rows.Scan(&d, &c, &ob, &period, &n.Expected, &n.Done, &n.OnTime); err != nil {
			return err
		}
		of(d, c, ob, func(o *service.ObligationTimeliness) { o.AddPeriod(period, n) })
		return nil
	}, append(qargs, args...)...)
	if err != nil {
		return nil, err
	}
	// Reported: a row of the obligation in any period. A district's is
	// one index probe per obligation; a company's reads its district's
	// rows (the drill-down of one district).
	q := `SELECT f.district, '', o.name FROM hq_service_freshness f
		CROSS JOIN (SELECT CAST(? AS TEXT) AS name` + strings.Repeat(" UNION ALL SELECT CAST(? AS TEXT)", len(obs)-1) + `) o
		WHERE f.service = 'compliance' AND ` + qualified("f", where) + `
		AND EXISTS (SELECT 1 FROM hq_obligations x WHERE x.district = f.district AND x.obligation = o.name)`
	rargs := append(qargs[:len(obs):len(obs)], args...)
	if byCompany {
		q, rargs = `SELECT DISTINCT district, company_id, obligation FROM hq_obligations WHERE `+where, args
	}
	err = r.query(ctx, "obligations reported", q, func(rows *sql.Rows) error {
		var d, c, ob string
		if err := rows.Scan(&d, &c, &ob); err != nil {
			return err
		}
		of(d, c, ob, func(o *service.ObligationTimeliness) { o.Reported = true })
		return nil
	}, rargs...)
	return out, err
}

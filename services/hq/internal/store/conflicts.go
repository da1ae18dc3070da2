package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// conflictKeys holds, per conflict kind, the query of the keys that are a
// conflict now; keyFilter narrows it to one key. These are the one
// definition of each kind (service.Conflict documents them): the reads and
// the first-seen bookkeeping both use them.
//
// Each one query repeats, word for word, the WHERE of the partial index it
// must use (migration 3): SQLite uses a partial index only for a query
// whose WHERE contains each of the index's terms, and cannot tell that
// "= ?" implies "not empty". Without it, every guard applied scanned the whole
// hq_guards table to settle its certificate number (4 ms an event at
// 20,000 guards, the city benchmark's super-linear replay; plan_test.go).
//
//   - person: one id_hash active as a guard in more than one district.
//   - credit_code: one unified social credit code registered by companies
//     of more than one district, counting every company that has not lapsed
//     (applied, active, suspended): until it lapses, a company is a member
//     of its district, and a second district taking it in is what the
//     offices must settle.
//   - certificate_number: one guard certificate number held by active
//     guards of more than one district, or by more than one person (id_hash)
//     anywhere, whether or not the certificate is still valid: the number
//     on a card must name one person.
var conflictKeys = map[string]struct{ all, one, state string }{
	service.ConflictPerson: {
		all: `SELECT id_hash FROM hq_guards WHERE employment_status = 'active' AND id_hash <> ''
			GROUP BY id_hash HAVING count(DISTINCT district) > 1`,
		one: `SELECT id_hash FROM hq_guards WHERE employment_status = 'active' AND id_hash = ?
			GROUP BY id_hash HAVING count(DISTINCT district) > 1`,
	},
	service.ConflictCreditCode: {
		all: `SELECT credit_code FROM hq_companies WHERE status <> 'lapsed' AND credit_code <> ''
			GROUP BY credit_code HAVING count(DISTINCT district) > 1`,
		one: `SELECT credit_code FROM hq_companies WHERE status <> 'lapsed' AND credit_code <> '' AND credit_code = ?
			GROUP BY credit_code HAVING count(DISTINCT district) > 1`,
	},
	service.ConflictCertificateNumber: {
		all: `SELECT certificate_number FROM hq_guards WHERE employment_status = 'active' AND certificate_number <> ''
			GROUP BY certificate_number HAVING count(DISTINCT district) > 1 OR count(DISTINCT ` + holder + `) > 1`,
		one: `SELECT certificate_number FROM hq_guards WHERE employment_status = 'active' AND certificate_number <> ''
			AND certificate_number = ?
			GROUP BY certificate_number HAVING count(DISTINCT district) > 1 OR count(DISTINCT ` + holder + `) > 1`,
	},
}

func init() {
	// state is one's answer and whether hq_conflicts records the key, in
	// one statement (syncConflicts): parameters key, kind, key.
	for kind, q := range conflictKeys {
		q.state = `SELECT EXISTS (` + q.one + `), EXISTS (SELECT 1 FROM hq_conflicts WHERE kind = ? AND key = ?)`
		conflictKeys[kind] = q
	}
}

// holder is the person a guard record stands for: its id_hash, or the
// record itself when it has none (the membership store never publishes a
// guard without one, so that is only defence against an odd snapshot).
const holder = `CASE WHEN id_hash <> '' THEN id_hash ELSE 'guard:' || id END`

// holderOfG is holder for the table alias g.
const holderOfG = `CASE WHEN g.id_hash <> '' THEN g.id_hash ELSE 'guard:' || g.id END`

// conflictKey is one key of one conflict kind.
type conflictKey struct{ kind, key string }

// syncConflicts records each non-empty key of kind that is a conflict now
// (first seen at, unless already recorded) and forgets each that is not.
// PutCompany calls it in its transaction with the keys the record had
// before and has now, the only keys the write can have changed.
func (s *Store) syncConflicts(ctx context.Context, tx *sql.Tx, kind string, at time.Time, keys ...string) error {
	ks := make([]conflictKey, 0, len(keys))
	for _, k := range keys {
		ks = append(ks, conflictKey{kind, k})
	}
	return s.syncConflictKeys(ctx, tx, at, ks)
}

// syncConflictKeys is syncConflicts for keys of any kinds, read in one
// statement: for each key whether it is a conflict now and whether it is
// recorded as one. Most writes change neither, and then nothing is
// written; a guard's write used to cost a read and a write per key.
func (s *Store) syncConflictKeys(ctx context.Context, tx *sql.Tx, at time.Time, keys []conflictKey) error {
	var (
		parts []string
		args  []any
		uniq  []conflictKey
	)
	for _, k := range keys {
		if k.key == "" || slices.Contains(uniq, k) {
			continue
		}
		parts = append(parts, fmt.Sprintf("SELECT %d, %s", len(uniq), strings.TrimPrefix(conflictKeys[k.kind].state, "SELECT ")))
		args = append(args, k.key, k.kind, k.key)
		uniq = append(uniq, k)
	}
	if len(uniq) == 0 {
		return nil
	}
	st, err := s.db.Stmt(ctx, tx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return fmt.Errorf("store: conflicts: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("store: conflicts: %w", err)
	}
	type state struct{ now, recorded bool }
	states := make([]state, len(uniq))
	for rows.Next() {
		var i int
		var st state
		if err := rows.Scan(&i, &st.now, &st.recorded); err != nil {
			rows.Close()
			return fmt.Errorf("store: conflicts: %w", err)
		}
		states[i] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: conflicts: %w", err)
	}
	for i, k := range uniq {
		var err error
		switch st := states[i]; {
		case st.now && !st.recorded:
			_, err = s.db.ExecTx(ctx, tx, `INSERT INTO hq_conflicts (kind, key, first_seen_at) VALUES (?, ?, ?)
				ON CONFLICT (kind, key) DO NOTHING`, k.kind, k.key, nanos(at))
		case !st.now && st.recorded:
			_, err = s.db.ExecTx(ctx, tx, `DELETE FROM hq_conflicts WHERE kind = ? AND key = ?`, k.kind, k.key)
		}
		if err != nil {
			return fmt.Errorf("store: %s conflict: %w", k.kind, err)
		}
	}
	return nil
}

// Conflicts returns every conflict of the read model (conflictKeys): the
// person conflicts, then the credit-code ones, then the certificate-number
// ones, each kind ordered by its key, each position by district, company
// and record id. Links are the service's to add. Each kind is one
// statement, so its records and their first-seen times are one snapshot:
// a conflict committed between two reads cannot appear without the time
// HQ first saw it (the write that makes it records both in one
// transaction).
func (s *Store) Conflicts(ctx context.Context) ([]service.Conflict, error) {
	var out []service.Conflict
	for _, read := range []func(context.Context) ([]service.Conflict, error){s.personConflicts, s.creditCodeConflicts, s.certificateConflicts} {
		cs, err := read(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// guardRow is one guard record of a person or certificate conflict.
type guardRow struct {
	key       string
	holder    string
	firstSeen int64
	pos       service.GuardPosition
}

// guardConflicts reads the active guard records whose column (id_hash or
// certificate_number) is a key of kind, and groups them into conflicts.
func (s *Store) guardConflicts(ctx context.Context, kind, column string) ([]service.Conflict, error) {
	rows, err := s.db.Querier().Query(ctx, `SELECT g.`+column+`, `+holderOfG+`, coalesce(f.first_seen_at, 0), g.district,
		g.company_id, coalesce(c.name, ''), g.id, g.hired_on, g.active_since, g.certificate_valid_until, g.certificate_authority
		FROM hq_guards g
		LEFT JOIN hq_companies c ON c.id = g.company_id AND c.district = g.district
		LEFT JOIN hq_conflicts f ON f.kind = ? AND f.key = g.`+column+`
		WHERE g.employment_status = 'active' AND g.`+column+` IN (`+conflictKeys[kind].all+`)
		ORDER BY g.`+column+`, g.district, g.company_id, g.id`, kind)
	if err != nil {
		return nil, fmt.Errorf("store: %s conflicts: %w", kind, err)
	}
	defer rows.Close()
	var recs []guardRow
	for rows.Next() {
		var r guardRow
		var since int64
		if err := rows.Scan(&r.key, &r.holder, &r.firstSeen, &r.pos.District, &r.pos.CompanyID, &r.pos.CompanyName, &r.pos.GuardID,
			&r.pos.HiredOn, &since, &r.pos.CertificateValidUntil, &r.pos.CertificateAuthority); err != nil {
			return nil, fmt.Errorf("store: %s conflicts: %w", kind, err)
		}
		r.pos.ActiveSince = fromNanos(since)
		if kind != service.ConflictCertificateNumber {
			// The certificate's details answer "which card is genuine";
			// a person conflict is about the person.
			r.pos.CertificateValidUntil, r.pos.CertificateAuthority = "", ""
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s conflicts: %w", kind, err)
	}
	var out []service.Conflict
	for start := 0; start < len(recs); {
		end := start
		for end < len(recs) && recs[end].key == recs[start].key {
			end++
		}
		out = append(out, guardConflict(kind, recs[start:end]))
		start = end
	}
	return out, nil
}

// guardConflict builds the conflict of recs, the records of one key.
func guardConflict(kind string, recs []guardRow) service.Conflict {
	key := recs[0].key
	c := service.Conflict{Kind: kind, Districts: []string{}, Guards: []service.GuardPosition{}, Companies: []service.CompanyPosition{}}
	switch kind {
	case service.ConflictPerson:
		c.IDHash = key
	default:
		c.CertificateNumber = key
	}
	// The conflict began when the last party to it became active: the
	// latest of the earliest start per district (a person) or per
	// (district, person) (a certificate number).
	first := map[string]time.Time{}
	holders := map[string]bool{}
	for _, r := range recs {
		c.Guards = append(c.Guards, r.pos)
		if !slices.Contains(c.Districts, r.pos.District) {
			c.Districts = append(c.Districts, r.pos.District)
		}
		party := r.pos.District
		if kind == service.ConflictCertificateNumber {
			party += "\x00" + r.holder
			holders[r.holder] = true
		}
		if t, ok := first[party]; !ok || r.pos.ActiveSince.Before(t) {
			first[party] = r.pos.ActiveSince
		}
	}
	var since time.Time
	for _, t := range first {
		if t.After(since) {
			since = t
		}
	}
	c.Since = timeOrNil(since)
	if kind == service.ConflictCertificateNumber {
		c.Persons = len(holders)
	}
	c.FirstSeenAt = timeOrNil(fromNanos(recs[0].firstSeen))
	return c
}

func (s *Store) personConflicts(ctx context.Context) ([]service.Conflict, error) {
	return s.guardConflicts(ctx, service.ConflictPerson, "id_hash")
}

func (s *Store) certificateConflicts(ctx context.Context) ([]service.Conflict, error) {
	return s.guardConflicts(ctx, service.ConflictCertificateNumber, "certificate_number")
}

func (s *Store) creditCodeConflicts(ctx context.Context) ([]service.Conflict, error) {
	rows, err := s.db.Querier().Query(ctx, `SELECT c.credit_code, coalesce(f.first_seen_at, 0), c.district, c.id, c.name, c.status
		FROM hq_companies c
		LEFT JOIN hq_conflicts f ON f.kind = ? AND f.key = c.credit_code
		WHERE c.status <> 'lapsed' AND c.credit_code IN (`+conflictKeys[service.ConflictCreditCode].all+`)
		ORDER BY c.credit_code, c.district, c.id`, service.ConflictCreditCode)
	if err != nil {
		return nil, fmt.Errorf("store: credit_code conflicts: %w", err)
	}
	defer rows.Close()
	var out []service.Conflict
	for rows.Next() {
		var code string
		var seen int64
		var p service.CompanyPosition
		if err := rows.Scan(&code, &seen, &p.District, &p.CompanyID, &p.Name, &p.Status); err != nil {
			return nil, fmt.Errorf("store: credit_code conflicts: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].CreditCode != code {
			c := service.Conflict{Kind: service.ConflictCreditCode, CreditCode: code, Districts: []string{},
				Guards: []service.GuardPosition{}, Companies: []service.CompanyPosition{}}
			c.FirstSeenAt = timeOrNil(fromNanos(seen))
			out = append(out, c)
		}
		c := &out[len(out)-1]
		c.Companies = append(c.Companies, p)
		if !slices.Contains(c.Districts, p.District) {
			c.Districts = append(c.Districts, p.District)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: credit_code conflicts: %w", err)
	}
	return out, nil
}

// timeOrNil is t in UTC, nil for the zero time.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// CompanyInDistrict reports whether the read model holds a company id of
// district, in any status.
func (s *Store) CompanyInDistrict(ctx context.Context, district, id string) (bool, error) {
	var n int
	err := s.db.Querier().QueryRow(ctx, `SELECT count(*) FROM hq_companies WHERE id = ? AND district = ?`, id, district).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: company of district: %w", err)
	}
	return n > 0, nil
}

// ConflictTallies returns, per conflict kind that has any, how many
// conflicts there are and when the newest was first seen, from
// hq_conflicts alone: the projector keeps that table in step with the
// snapshots in the same transaction (syncConflicts), so it holds exactly
// the keys Conflicts would group. The city summary and /metrics only need
// these figures; building every conflict with its records for them cost
// 159 ms at 200,000 guards, this is one scan of the conflicts themselves.
func (s *Store) ConflictTallies(ctx context.Context) (map[string]service.ConflictTally, error) {
	rows, err := s.db.Querier().Query(ctx, `SELECT kind, count(*), max(first_seen_at) FROM hq_conflicts GROUP BY kind`)
	if err != nil {
		return nil, fmt.Errorf("store: conflict tallies: %w", err)
	}
	defer rows.Close()
	out := map[string]service.ConflictTally{}
	for rows.Next() {
		var kind string
		var n, newest int64
		if err := rows.Scan(&kind, &n, &newest); err != nil {
			return nil, fmt.Errorf("store: conflict tallies: %w", err)
		}
		out[kind] = service.ConflictTally{Count: n, NewestFirstSeen: fromNanos(newest)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: conflict tallies: %w", err)
	}
	return out, nil
}

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

// The bulk path of guard snapshots (ApplyGuards). The replay's profile had
// 37% of its CPU in PutGuardOver and its conflict lookups, and 9% in
// GuardState: a handful of statements per guard, where the storage limit is
// a share of one multi-row insert. ApplyGuards applies a transaction's guard
// snapshots with a few statements per batch instead: one read of the stored
// records, one of the active records holding their conflict keys and of the
// recorded conflicts, the versions, tallies and conflicts worked out in
// memory event by event, and one multi-row upsert per 64 guards written.

// GuardWrite is one guard snapshot for ApplyGuards, as the projector would
// pass it to PutGuardOver, except for G.ActiveSince: there it is the start
// the record takes if this write makes it active (the hire date, or when
// the event occurred); a record already active with a start keeps its own,
// as the one-by-one path keeps it. At is when HQ applies the write (when it
// first sees a conflict the write makes).
type GuardWrite struct {
	G  Guard
	At time.Time
}

// guardStateOf is the state a stored g has, as GuardState reads it back.
func guardStateOf(g Guard) GuardState {
	return GuardState{Version: g.Version, EmploymentStatus: g.EmploymentStatus, ActiveSince: g.ActiveSince,
		IDHash: g.IDHash, CertificateNumber: g.CertificateNumber, District: g.District, CompanyID: g.CompanyID,
		BackgroundCheckStatus: g.BackgroundCheckStatus, CertificateValidUntil: g.CertificateValidUntil,
		PreJobTrained: g.PreJobTrained, HasCertificate: g.HasCertificate, BadgeService: g.BadgeService,
		VolunteerPolice: g.VolunteerPolice, PartyMember: g.PartyMember}
}

// holderOf is holder (the SQL) for one record.
func holderOf(id, idHash string) string {
	if idHash != "" {
		return idHash
	}
	return "guard:" + id
}

// keyHolder is one active record holding a conflict key: its district
// and, for a certificate number, the person it stands for (holder).
type keyHolder struct{ district, holder string }

// keyState is what ApplyGuards knows of one conflict key over the batch:
// the active records holding it, and whether hq_conflicts records it
// (initially, and now) with its first-seen time.
type keyState struct {
	holders              map[string]keyHolder // by guard id
	wasRecorded, written bool
	recorded             bool
	firstSeen            int64
}

// conflict reports whether the key is a conflict of kind now, as
// conflictKeys defines it.
func (k *keyState) conflict(kind string) bool {
	var districts, holders []string
	for _, h := range k.holders {
		if !slices.Contains(districts, h.district) {
			districts = append(districts, h.district)
		}
		if !slices.Contains(holders, h.holder) {
			holders = append(holders, h.holder)
		}
	}
	if kind == service.ConflictCertificateNumber {
		return len(districts) > 1 || len(holders) > 1
	}
	return len(districts) > 1
}

// ApplyGuards applies writes in tx in their order, with exactly the effect
// of GuardState and then, for each write newer than the record, PutGuardOver
// one write at a time: a write of a version not above the record's (stored,
// or written earlier in writes) changes nothing; the tallies' changes go
// into tallies, for the caller to flush before it commits (with nil
// tallies they are written at once). It reports, per
// write, whether it was applied. Nothing read is read twice and nothing
// written is read back: the records are read once, worked on in memory and
// written once each.
func (s *Store) ApplyGuards(ctx context.Context, tx *sql.Tx, writes []GuardWrite, tallies *GuardTallies) ([]bool, error) {
	applied := make([]bool, len(writes))
	if len(writes) == 0 {
		return applied, nil
	}
	if tallies == nil {
		t := NewGuardTallies()
		applied, err := s.ApplyGuards(ctx, tx, writes, t)
		if err != nil {
			return nil, err
		}
		return applied, s.FlushGuardTallies(ctx, tx, t)
	}
	var ids []string
	for _, w := range writes {
		if !slices.Contains(ids, w.G.ID) {
			ids = append(ids, w.G.ID)
		}
	}
	// The records as stored; a guard written in this batch is then its
	// last write.
	cur, err := s.guardStates(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	keys := map[conflictKey]*keyState{}
	want := func(kind, key string) {
		if key != "" && keys[conflictKey{kind, key}] == nil {
			keys[conflictKey{kind, key}] = &keyState{holders: map[string]keyHolder{}}
		}
	}
	for _, st := range cur {
		want(service.ConflictPerson, st.IDHash)
		want(service.ConflictCertificateNumber, st.CertificateNumber)
	}
	for _, w := range writes {
		want(service.ConflictPerson, w.G.IDHash)
		want(service.ConflictCertificateNumber, w.G.CertificateNumber)
	}
	if err := s.loadKeys(ctx, tx, keys); err != nil {
		return nil, err
	}
	final := map[string]Guard{}
	for i, w := range writes {
		g := w.G
		before, found := cur[g.ID]
		if found && before.Version >= g.Version {
			continue
		}
		applied[i] = true
		if g.EmploymentStatus != service.StatusActive {
			g.ActiveSince = time.Time{}
		} else if found && before.EmploymentStatus == service.StatusActive && !before.ActiveSince.IsZero() {
			g.ActiveSince = before.ActiveSince
		}
		// The record leaves the keys it held, then holds its new ones.
		if before.EmploymentStatus == service.StatusActive {
			if k := keys[conflictKey{service.ConflictPerson, before.IDHash}]; k != nil {
				delete(k.holders, g.ID)
			}
			if k := keys[conflictKey{service.ConflictCertificateNumber, before.CertificateNumber}]; k != nil {
				delete(k.holders, g.ID)
			}
		}
		if g.EmploymentStatus == service.StatusActive {
			h := keyHolder{district: g.District, holder: holderOf(g.ID, g.IDHash)}
			if k := keys[conflictKey{service.ConflictPerson, g.IDHash}]; k != nil {
				k.holders[g.ID] = h
			}
			if k := keys[conflictKey{service.ConflictCertificateNumber, g.CertificateNumber}]; k != nil {
				k.holders[g.ID] = h
			}
		}
		// The keys PutGuardOver would settle after this write.
		for _, k := range changedKeys(before, g) {
			ks := keys[k]
			if k.key == "" || ks == nil {
				continue
			}
			switch now := ks.conflict(k.kind); {
			case now && !ks.recorded:
				ks.recorded, ks.firstSeen, ks.written = true, nanos(w.At), true
			case !now && ks.recorded:
				ks.recorded, ks.written = false, true
			}
		}
		tallies.add(before.counted(), -1)
		tallies.add(g.counted(), +1)
		tallies.at(w.At)
		cur[g.ID] = guardStateOf(g)
		final[g.ID] = g
	}
	if err := s.upsertGuards(ctx, tx, final); err != nil {
		return nil, err
	}
	if err := s.writeConflicts(ctx, tx, keys); err != nil {
		return nil, err
	}
	return applied, nil
}

// changedKeys are the conflict keys PutGuardOver settles when g replaces
// before: none when the write keeps the record's status, district and keys.
func changedKeys(before GuardState, g Guard) []conflictKey {
	active, wasActive := g.EmploymentStatus == service.StatusActive, before.EmploymentStatus == service.StatusActive
	same := active == wasActive && g.District == before.District
	var keys []conflictKey
	if !same || before.IDHash != g.IDHash {
		keys = append(keys, conflictKey{service.ConflictPerson, before.IDHash}, conflictKey{service.ConflictPerson, g.IDHash})
	}
	if !same || before.IDHash != g.IDHash || before.CertificateNumber != g.CertificateNumber {
		keys = append(keys, conflictKey{service.ConflictCertificateNumber, before.CertificateNumber},
			conflictKey{service.ConflictCertificateNumber, g.CertificateNumber})
	}
	return keys
}

// chunks splits n into statement sizes of at most bulkRows: whole chunks,
// then the remainder's binary digits, so a few statement shapes cover
// every n and each is prepared once (the statement cache is per text).
func chunks(n int) []int {
	var out []int
	for ; n >= bulkRows; n -= bulkRows {
		out = append(out, bulkRows)
	}
	for size := bulkRows / 2; size > 0; size /= 2 {
		if n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// bulkRows is the most rows of one bulk statement: 18 columns × 64 is
// well under SQLite's and PostgreSQL's parameter limits.
const bulkRows = 64

// placeholders is "(?, ?), (?, ?)" for rows tuples of cols parameters, or
// "?, ?" for cols 1 without parentheses when bare.
func placeholders(rows, cols int, bare bool) string {
	tuple := strings.TrimSuffix(strings.Repeat("?, ", cols), ", ")
	if !bare {
		tuple = "(" + tuple + ")"
	}
	return strings.TrimSuffix(strings.Repeat(tuple+", ", rows), ", ")
}

const guardStateColumns = `id, version, employment_status, active_since, id_hash, certificate_number,
	district, company_id, background_check_status, certificate_valid_until, pre_job_trained, has_certificate,
	badge_service, volunteer_police, party_member`

// guardStates reads the stored state of each of ids that is stored.
func (s *Store) guardStates(ctx context.Context, tx *sql.Tx, ids []string) (map[string]GuardState, error) {
	out := make(map[string]GuardState, len(ids))
	rest := ids
	for _, n := range chunks(len(ids)) {
		part := rest[:n]
		rest = rest[n:]
		args := make([]any, n)
		for i, id := range part {
			args[i] = id
		}
		err := s.query(ctx, tx, `SELECT `+guardStateColumns+` FROM hq_guards WHERE id IN (`+placeholders(n, 1, true)+`)`, args,
			func(rows *sql.Rows) error {
				var id string
				var st GuardState
				var since int64
				var trained, hasCert, badge, volunteer, party int
				if err := rows.Scan(&id, &st.Version, &st.EmploymentStatus, &since, &st.IDHash, &st.CertificateNumber,
					&st.District, &st.CompanyID, &st.BackgroundCheckStatus, &st.CertificateValidUntil, &trained, &hasCert,
					&badge, &volunteer, &party); err != nil {
					return err
				}
				st.ActiveSince = fromNanos(since)
				st.PreJobTrained, st.HasCertificate, st.BadgeService = trained != 0, hasCert != 0, badge != 0
				st.VolunteerPolice, st.PartyMember = volunteer != 0, party != 0
				out[id] = st
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("store: guard states: %w", err)
		}
	}
	return out, nil
}

// query runs a cached query in tx and calls each for every row.
func (s *Store) query(ctx context.Context, tx *sql.Tx, q string, args []any, each func(*sql.Rows) error) error {
	st, err := s.db.Stmt(ctx, tx, q)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// keyHolders are the queries of the active records holding any of a list
// of keys (%s: its placeholders), per guard conflict kind.
var keyHolders = map[string]string{
	service.ConflictPerson: `SELECT id_hash, id, district, id_hash FROM hq_guards
		WHERE employment_status = 'active' AND id_hash IN (%s)`,
	service.ConflictCertificateNumber: `SELECT certificate_number, id, district, id_hash FROM hq_guards
		WHERE employment_status = 'active' AND certificate_number <> '' AND certificate_number IN (%s)`,
}

// loadKeys fills keys with the active records holding each key and with
// whether hq_conflicts records it. The lookups repeat their partial
// index's WHERE, as conflictKeys' do (plan_test.go).
func (s *Store) loadKeys(ctx context.Context, tx *sql.Tx, keys map[conflictKey]*keyState) error {
	for _, kind := range []string{service.ConflictPerson, service.ConflictCertificateNumber} {
		var all []string
		for k := range keys {
			if k.kind == kind {
				all = append(all, k.key)
			}
		}
		slices.Sort(all)
		rest := all
		for _, n := range chunks(len(all)) {
			args := make([]any, n)
			for i, k := range rest[:n] {
				args[i] = k
			}
			rest = rest[n:]
			in := placeholders(n, 1, true)
			err := s.query(ctx, tx, fmt.Sprintf(keyHolders[kind], in), args, func(rows *sql.Rows) error {
				var key, id, district, idHash string
				if err := rows.Scan(&key, &id, &district, &idHash); err != nil {
					return err
				}
				keys[conflictKey{kind, key}].holders[id] = keyHolder{district: district, holder: holderOf(id, idHash)}
				return nil
			})
			if err != nil {
				return fmt.Errorf("store: %s keys: %w", kind, err)
			}
			err = s.query(ctx, tx, `SELECT key, first_seen_at FROM hq_conflicts WHERE kind = ? AND key IN (`+in+`)`,
				append([]any{kind}, args...), func(rows *sql.Rows) error {
					var key string
					var seen int64
					if err := rows.Scan(&key, &seen); err != nil {
						return err
					}
					ks := keys[conflictKey{kind, key}]
					ks.wasRecorded, ks.recorded, ks.firstSeen = true, true, seen
					return nil
				})
			if err != nil {
				return fmt.Errorf("store: %s conflicts: %w", kind, err)
			}
		}
	}
	return nil
}

// guardUpsert is PutGuardOver's upsert, for %s rows.
const guardUpsert = `INSERT INTO hq_guards
	(id, district, company_id, id_hash, employment_status, hired_on, has_certificate, background_check_status,
	 pre_job_trained, badge_service, volunteer_police, party_member, version, active_since, updated_at,
	 certificate_number, certificate_valid_until, certificate_authority)
	VALUES %s
	ON CONFLICT (id) DO UPDATE SET district = excluded.district, company_id = excluded.company_id,
	id_hash = excluded.id_hash, employment_status = excluded.employment_status, hired_on = excluded.hired_on,
	has_certificate = excluded.has_certificate, background_check_status = excluded.background_check_status,
	pre_job_trained = excluded.pre_job_trained, badge_service = excluded.badge_service,
	volunteer_police = excluded.volunteer_police, party_member = excluded.party_member,
	version = excluded.version, active_since = excluded.active_since, updated_at = excluded.updated_at,
	certificate_number = excluded.certificate_number, certificate_valid_until = excluded.certificate_valid_until,
	certificate_authority = excluded.certificate_authority`

// upsertGuards writes each guard of final (one row each: PostgreSQL
// refuses an upsert that touches a row twice), in id order so that two
// transactions never take rows in opposite orders.
func (s *Store) upsertGuards(ctx context.Context, tx *sql.Tx, final map[string]Guard) error {
	ids := make([]string, 0, len(final))
	for id := range final {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, n := range chunks(len(ids)) {
		args := make([]any, 0, n*18)
		for _, id := range ids[:n] {
			g := final[id]
			args = append(args, g.ID, g.District, g.CompanyID, g.IDHash, g.EmploymentStatus, g.HiredOn, b2i(g.HasCertificate),
				g.BackgroundCheckStatus, b2i(g.PreJobTrained), b2i(g.BadgeService), b2i(g.VolunteerPolice),
				b2i(g.PartyMember), g.Version, nanos(g.ActiveSince), nanos(g.UpdatedAt),
				g.CertificateNumber, g.CertificateValidUntil, g.CertificateAuthority)
		}
		ids = ids[n:]
		if _, err := s.db.ExecTx(ctx, tx, fmt.Sprintf(guardUpsert, placeholders(n, 18, false)), args...); err != nil {
			return fmt.Errorf("store: put guards: %w", err)
		}
	}
	return nil
}

// writeConflicts brings hq_conflicts to what the batch left of each key:
// a key recorded at the end with a first-seen time it did not have before
// (new, or ended and begun again within the batch) is written with it, one
// no longer a conflict is deleted.
func (s *Store) writeConflicts(ctx context.Context, tx *sql.Tx, keys map[conflictKey]*keyState) error {
	var dirty []conflictKey
	for k, ks := range keys {
		if ks.written {
			dirty = append(dirty, k)
		}
	}
	slices.SortFunc(dirty, func(a, b conflictKey) int { return cmpPair(a.kind, a.key, b.kind, b.key) })
	for _, k := range dirty {
		ks := keys[k]
		var err error
		switch {
		case ks.recorded:
			_, err = s.db.ExecTx(ctx, tx, `INSERT INTO hq_conflicts (kind, key, first_seen_at) VALUES (?, ?, ?)
				ON CONFLICT (kind, key) DO UPDATE SET first_seen_at = excluded.first_seen_at`, k.kind, k.key, ks.firstSeen)
		case ks.wasRecorded:
			_, err = s.db.ExecTx(ctx, tx, `DELETE FROM hq_conflicts WHERE kind = ? AND key = ?`, k.kind, k.key)
		}
		if err != nil {
			return fmt.Errorf("store: %s conflict: %w", k.kind, err)
		}
	}
	return nil
}

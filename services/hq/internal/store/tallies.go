package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// Guard tallies (migration 6): the counts of active guards per company and
// district that the summary, the district views and the company list read,
// kept by PutGuardOver from the record it replaces and the one it writes.

// tally is what one company's active guards of one district add up to.
type tally struct {
	active, backgroundChecked, trained, certifiedOpen, badgeService, volunteerPolice, partyMembers int64
}

func (t *tally) add(o tally) {
	t.active += o.active
	t.backgroundChecked += o.backgroundChecked
	t.trained += o.trained
	t.certifiedOpen += o.certifiedOpen
	t.badgeService += o.badgeService
	t.volunteerPolice += o.volunteerPolice
	t.partyMembers += o.partyMembers
}

type companyKey struct{ company, district string }
type endKey struct{ company, district, until string }

// GuardTallies are changes to the guard tallies not yet written: PutGuardOver
// adds each write's to it, and FlushGuardTallies writes them. The projector
// keeps one per consumer transaction, so a replay writes each company's
// tally once per batch rather than once per guard. The zero value is not
// usable: make one with NewGuardTallies.
type GuardTallies struct {
	companies map[companyKey]*tally
	ends      map[endKey]int64
	// day is the newest day (Asia/Shanghai) of the writes added: the flush
	// moves the districts' hq_district_certified to it, so that a read of
	// that day sums no end days ("" when no write said when it was).
	day string
}

// at notes a write applied at t.
func (t *GuardTallies) at(at time.Time) {
	if at.IsZero() {
		return
	}
	if d := service.Today(at); d > t.day {
		t.day = d
	}
}

// NewGuardTallies returns empty GuardTallies.
func NewGuardTallies() *GuardTallies {
	return &GuardTallies{companies: map[companyKey]*tally{}, ends: map[endKey]int64{}}
}

// counted is the part of a guard record the tallies count.
type counted struct {
	district, company, status, backgroundCheck string
	trained, hasCertificate                    bool
	badge, volunteer, party                    bool
	validUntil                                 string
}

func b2n(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// add adds what record r counts, times sign (+1 for the record written,
// -1 for the one it replaces).
func (t *GuardTallies) add(r counted, sign int64) {
	if r.status != service.StatusActive {
		return
	}
	k := companyKey{r.company, r.district}
	c := t.companies[k]
	if c == nil {
		c = &tally{}
		t.companies[k] = c
	}
	c.add(tally{
		active: sign, backgroundChecked: sign * b2n(r.backgroundCheck == "passed"), trained: sign * b2n(r.trained),
		certifiedOpen: sign * b2n(r.hasCertificate && r.validUntil == ""),
		badgeService:  sign * b2n(r.badge), volunteerPolice: sign * b2n(r.volunteer), partyMembers: sign * b2n(r.party),
	})
	if r.hasCertificate && r.validUntil != "" {
		t.ends[endKey{r.company, r.district, r.validUntil}] += sign
	}
}

// FlushGuardTallies writes t's changes in tx and empties it.
func (s *Store) FlushGuardTallies(ctx context.Context, tx *sql.Tx, t *GuardTallies) error {
	// In key order, so two transactions never take the same rows in
	// opposite orders (PostgreSQL would be able to deadlock on it).
	for _, k := range slices.SortedFunc(maps.Keys(t.companies), func(a, b companyKey) int {
		return cmpPair(a.company, a.district, b.company, b.district)
	}) {
		c := t.companies[k]
		if *c == (tally{}) {
			continue
		}
		if _, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_guard_tallies (company_id, district, active, background_checked,
			trained, certified_open, badge_service, volunteer_police, party_members) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (company_id, district) DO UPDATE SET active = hq_guard_tallies.active + excluded.active,
			background_checked = hq_guard_tallies.background_checked + excluded.background_checked,
			trained = hq_guard_tallies.trained + excluded.trained,
			certified_open = hq_guard_tallies.certified_open + excluded.certified_open,
			badge_service = hq_guard_tallies.badge_service + excluded.badge_service,
			volunteer_police = hq_guard_tallies.volunteer_police + excluded.volunteer_police,
			party_members = hq_guard_tallies.party_members + excluded.party_members`,
			k.company, k.district, c.active, c.backgroundChecked, c.trained, c.certifiedOpen, c.badgeService,
			c.volunteerPolice, c.partyMembers); err != nil {
			return fmt.Errorf("store: guard tallies: %w", err)
		}
	}
	districts := map[string]map[string]int64{}
	for _, k := range slices.SortedFunc(maps.Keys(t.ends), func(a, b endKey) int {
		return cmpPair(a.company, a.until+"\x00"+a.district, b.company, b.until+"\x00"+b.district)
	}) {
		n := t.ends[k]
		if n == 0 {
			continue
		}
		m := districts[k.district]
		if m == nil {
			m = map[string]int64{}
			districts[k.district] = m
		}
		m[k.until] += n
		if _, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_guard_certificate_ends (company_id, district, valid_until, active)
			VALUES (?, ?, ?, ?) ON CONFLICT (company_id, valid_until, district) DO UPDATE SET
			active = hq_guard_certificate_ends.active + excluded.active`, k.company, k.district, k.until, n); err != nil {
			return fmt.Errorf("store: certificate ends: %w", err)
		}
	}
	for d, m := range districts {
		maps.DeleteFunc(m, func(_ string, n int64) bool { return n == 0 })
		if len(m) == 0 {
			delete(districts, d)
		}
	}
	// District by district, in order, and in each the row of
	// hq_district_certified before the district's end days (the same order
	// in every transaction).
	for _, d := range slices.Sorted(maps.Keys(districts)) {
		if err := s.flushDistrictEnds(ctx, tx, d, districts[d], t.day); err != nil {
			return err
		}
	}
	t.day = ""
	clear(t.companies)
	clear(t.ends)
	return nil
}

// flushDistrictEnds adds ends (valid_until: active guards) to district's
// hq_district_certificate_ends and keeps its hq_district_certified the sum
// of those from its from_day on, first moving from_day to day ("" keeps it).
func (s *Store) flushDistrictEnds(ctx context.Context, tx *sql.Tx, district string, ends map[string]int64, day string) error {
	// The row, and its lock: on PostgreSQL a concurrent flush of the
	// district waits here for the other to commit, so the next statement's
	// snapshot has the other's end days as well as its from_day.
	if _, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_district_certified (district, from_day, active) VALUES (?, '', 0)
		ON CONFLICT (district) DO UPDATE SET from_day = hq_district_certified.from_day`, district); err != nil {
		return fmt.Errorf("store: district certified: %w", err)
	}
	if day != "" {
		// Over the end days as they were before this flush's.
		if _, err := s.db.ExecTx(ctx, tx, `UPDATE hq_district_certified SET active = active
			- coalesce((SELECT sum(e.active) FROM hq_district_certificate_ends e WHERE e.district = hq_district_certified.district
				AND e.valid_until >= hq_district_certified.from_day AND e.valid_until < ?), 0)
			+ coalesce((SELECT sum(e.active) FROM hq_district_certificate_ends e WHERE e.district = hq_district_certified.district
				AND e.valid_until >= ? AND e.valid_until < hq_district_certified.from_day), 0),
			from_day = ? WHERE district = ? AND from_day <> ?`, day, day, day, district, day); err != nil {
			return fmt.Errorf("store: district certified: %w", err)
		}
	}
	var from int64
	for _, until := range slices.Sorted(maps.Keys(ends)) {
		n := ends[until]
		if _, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_district_certificate_ends (district, valid_until, active)
			VALUES (?, ?, ?) ON CONFLICT (district, valid_until) DO UPDATE SET
			active = hq_district_certificate_ends.active + excluded.active`, district, until, n); err != nil {
			return fmt.Errorf("store: district certificate ends: %w", err)
		}
		if day == "" {
			// from_day unknown here: each end day counts if it is not before it.
			if _, err := s.db.ExecTx(ctx, tx, `UPDATE hq_district_certified SET active = active + ?
				WHERE district = ? AND from_day <= ?`, n, district, until); err != nil {
				return fmt.Errorf("store: district certified: %w", err)
			}
		} else if until >= day {
			from += n
		}
	}
	if day != "" && from != 0 {
		if _, err := s.db.ExecTx(ctx, tx, `UPDATE hq_district_certified SET active = active + ? WHERE district = ?`,
			from, district); err != nil {
			return fmt.Errorf("store: district certified: %w", err)
		}
	}
	return nil
}

func cmpPair(a1, a2, b1, b2 string) int {
	switch {
	case a1 < b1:
		return -1
	case a1 > b1:
		return 1
	case a2 < b2:
		return -1
	case a2 > b2:
		return 1
	}
	return 0
}

// guardCountsByScan is the definition the tallies keep: every active guard
// counted from hq_guards, per district, certified on today. It is what the
// summary read before the tallies, kept for VerifyGuardTallies.
func (s *Store) guardCountsByScan(ctx context.Context, today string) (map[string]service.Counts, error) {
	rows, err := s.db.Querier().Query(ctx, `SELECT district, count(*),
		coalesce(sum(CASE WHEN background_check_status = 'passed' THEN 1 ELSE 0 END), 0), coalesce(sum(pre_job_trained), 0),
		coalesce(sum(CASE WHEN `+certifiedOnDuty("")+` THEN 1 ELSE 0 END), 0), coalesce(sum(badge_service), 0),
		coalesce(sum(volunteer_police), 0), coalesce(sum(party_member), 0)
		FROM hq_guards WHERE employment_status = 'active' GROUP BY district`, today)
	if err != nil {
		return nil, fmt.Errorf("store: guard counts: %w", err)
	}
	defer rows.Close()
	out := map[string]service.Counts{}
	for rows.Next() {
		var d string
		var c service.Counts
		if err := rows.Scan(&d, &c.GuardsActive, &c.GuardsBackgroundChecked, &c.GuardsTrained,
			&c.GuardsCertified, &c.GuardsBadgeService, &c.GuardsVolunteerPolice, &c.GuardsPartyMembers); err != nil {
			return nil, fmt.Errorf("store: guard counts: %w", err)
		}
		out[d] = c
	}
	return out, rows.Err()
}

// guardCounts reads the same figures as guardCountsByScan from the tallies:
// a row per company, and per district its dated certificates from
// hq_district_certified's from_day on, corrected by the end days between
// that day and today (none when the projector last wrote today). One
// statement, so its figures are of one snapshot on PostgreSQL too.
func (s *Store) guardCounts(ctx context.Context, today string) (map[string]service.Counts, error) {
	out := map[string]service.Counts{}
	rows, err := s.db.Querier().Query(ctx, `SELECT d.district, d.a, d.bg, d.tr,
		d.open + coalesce(c.active, 0)
		- coalesce((SELECT sum(e.active) FROM hq_district_certificate_ends e WHERE e.district = d.district
			AND e.valid_until >= c.from_day AND e.valid_until < ?), 0)
		+ coalesce((SELECT sum(e.active) FROM hq_district_certificate_ends e WHERE e.district = d.district
			AND e.valid_until >= ? AND e.valid_until < c.from_day), 0),
		d.badge, d.vol, d.party
		FROM (SELECT district, sum(active) AS a, sum(background_checked) AS bg, sum(trained) AS tr,
			sum(certified_open) AS open, sum(badge_service) AS badge, sum(volunteer_police) AS vol, sum(party_members) AS party
			FROM hq_guard_tallies GROUP BY district HAVING sum(active) > 0) d
		LEFT JOIN hq_district_certified c ON c.district = d.district`, today, today)
	if err != nil {
		return nil, fmt.Errorf("store: guard tallies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var c service.Counts
		if err := rows.Scan(&d, &c.GuardsActive, &c.GuardsBackgroundChecked, &c.GuardsTrained,
			&c.GuardsCertified, &c.GuardsBadgeService, &c.GuardsVolunteerPolice, &c.GuardsPartyMembers); err != nil {
			return nil, fmt.Errorf("store: guard tallies: %w", err)
		}
		out[d] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: guard tallies: %w", err)
	}
	return out, nil
}

// VerifyGuardTallies recounts every district's active guards from hq_guards
// (certified on today) and returns an error naming the first district whose
// kept tallies differ: the check that the projector keeps them exact.
func (s *Store) VerifyGuardTallies(ctx context.Context, today string) error {
	want, err := s.guardCountsByScan(ctx, today)
	if err != nil {
		return err
	}
	got, err := s.guardCounts(ctx, today)
	if err != nil {
		return err
	}
	for _, d := range slices.Sorted(maps.Keys(want)) {
		if guardFields(got[d]) != guardFields(want[d]) {
			return fmt.Errorf("store: district %s: tallies %v, recount %v", d, guardFields(got[d]), guardFields(want[d]))
		}
	}
	for _, d := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[d]; !ok {
			return fmt.Errorf("store: district %s: tallies %v, recount none", d, guardFields(got[d]))
		}
	}
	// The company list's figures: each company's tally against its guards.
	rows, err := s.db.Querier().Query(ctx, `SELECT coalesce(a.company_id, b.company_id), coalesce(a.district, b.district) FROM
		(SELECT company_id, district, count(*) AS active,
			sum(CASE WHEN background_check_status = 'passed' THEN 1 ELSE 0 END) AS bg, sum(pre_job_trained) AS trained,
			sum(CASE WHEN has_certificate != 0 AND certificate_valid_until = '' THEN 1 ELSE 0 END) AS open,
			sum(badge_service) AS badge, sum(volunteer_police) AS vol, sum(party_member) AS party
		 FROM hq_guards WHERE employment_status = 'active' GROUP BY company_id, district) a
		FULL JOIN (SELECT * FROM hq_guard_tallies WHERE active <> 0 OR background_checked <> 0 OR trained <> 0
			OR certified_open <> 0 OR badge_service <> 0 OR volunteer_police <> 0 OR party_members <> 0) b
		ON a.company_id = b.company_id AND a.district = b.district
		WHERE a.active IS DISTINCT FROM b.active OR a.bg IS DISTINCT FROM b.background_checked OR a.trained IS DISTINCT FROM b.trained
		OR a.open IS DISTINCT FROM b.certified_open OR a.badge IS DISTINCT FROM b.badge_service OR a.vol IS DISTINCT FROM b.volunteer_police
		OR a.party IS DISTINCT FROM b.party_members LIMIT 1`)
	if err != nil {
		return fmt.Errorf("store: verify company tallies: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var c, d string
		if err := rows.Scan(&c, &d); err != nil {
			return err
		}
		return fmt.Errorf("store: company %s of %s: tallies differ from a recount", c, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range []string{
		`SELECT count(*) FROM (SELECT company_id, district, certificate_valid_until AS u, count(*) AS n FROM hq_guards
			WHERE employment_status = 'active' AND has_certificate != 0 AND certificate_valid_until <> ''
			GROUP BY 1, 2, 3) a FULL JOIN (SELECT * FROM hq_guard_certificate_ends WHERE active <> 0) b
			ON a.company_id = b.company_id AND a.district = b.district AND a.u = b.valid_until
			WHERE a.n IS DISTINCT FROM b.active`,
		`SELECT count(*) FROM (SELECT district, certificate_valid_until AS u, count(*) AS n FROM hq_guards
			WHERE employment_status = 'active' AND has_certificate != 0 AND certificate_valid_until <> ''
			GROUP BY 1, 2) a FULL JOIN (SELECT * FROM hq_district_certificate_ends WHERE active <> 0) b
			ON a.district = b.district AND a.u = b.valid_until WHERE a.n IS DISTINCT FROM b.active`,
	} {
		var n int
		if err := s.db.Querier().QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("store: verify certificate ends: %w", err)
		}
		if n != 0 {
			return fmt.Errorf("store: %d certificate end tallies differ from a recount", n)
		}
	}
	// Each district's certified from its from_day on, against its end days
	// (themselves held to the recount above), and a row for every district
	// with a dated certificate.
	var n int
	if err := s.db.Querier().QueryRow(ctx, `SELECT count(*) FROM hq_district_certified c
		WHERE c.active <> coalesce((SELECT sum(e.active) FROM hq_district_certificate_ends e
			WHERE e.district = c.district AND e.valid_until >= c.from_day), 0)`).Scan(&n); err != nil {
		return fmt.Errorf("store: verify district certified: %w", err)
	}
	if n != 0 {
		return fmt.Errorf("store: %d districts' certified from their from_day differ from their end days", n)
	}
	if err := s.db.Querier().QueryRow(ctx, `SELECT count(DISTINCT e.district) FROM hq_district_certificate_ends e
		WHERE e.active <> 0 AND NOT EXISTS (SELECT 1 FROM hq_district_certified c WHERE c.district = e.district)`).Scan(&n); err != nil {
		return fmt.Errorf("store: verify district certified: %w", err)
	}
	if n != 0 {
		return fmt.Errorf("store: %d districts with certificate end days have no certified row", n)
	}
	return nil
}

// guardFields are the guard counts of c: active, background checked,
// trained, certified, badge service, volunteer police, party members.
func guardFields(c service.Counts) [7]int64 {
	return [7]int64{c.GuardsActive, c.GuardsBackgroundChecked, c.GuardsTrained, c.GuardsCertified,
		c.GuardsBadgeService, c.GuardsVolunteerPolice, c.GuardsPartyMembers}
}

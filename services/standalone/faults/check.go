package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/guildhall/guildhall/pkg/eventbus"
	_ "modernc.org/sqlite" // the services' SQLite driver, read-only here
)

// openRO opens a SQLite file read-only. The services may still be writing
// (WAL lets a reader in without blocking them).
func openRO(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// queryStrings runs a query returning one text column.
func queryStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// districtTopics returns the topics of a district's services, as the
// relays name them.
func districtTopics(district string, outboxes map[string]string) []string {
	topics := make([]string, 0, len(outboxes))
	for svc := range outboxes {
		topics = append(topics, eventbus.Topic(district, svc))
	}
	sort.Strings(topics)
	return topics
}

// outboxPaths returns the SQLite files of the district's outboxes.
func outboxPaths(t *Topology) []string {
	paths := make([]string, 0, len(t.Outboxes))
	for _, p := range t.Outboxes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// OutboxIDs returns the event ids in the district's outboxes.
func OutboxIDs(ctx context.Context, paths ...string) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, p := range paths {
		db, err := openRO(p)
		if err != nil {
			return nil, err
		}
		got, err := queryStrings(ctx, db, `SELECT event_id FROM eventbus_outbox`)
		_ = db.Close()
		if err != nil {
			return nil, fmt.Errorf("outbox of %s: %w", p, err)
		}
		for _, id := range got {
			ids[id] = true
		}
	}
	return ids, nil
}

// HQInbox returns the ids of the events HQ has applied from the
// district's topics of the services in outboxes.
func HQInbox(ctx context.Context, hqDB, district string, outboxes map[string]string) (map[string]bool, error) {
	db, err := openRO(hqDB)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	topics := districtTopics(district, outboxes)
	args := make([]any, len(topics))
	for i, tp := range topics {
		args[i] = tp
	}
	q := `SELECT event_id FROM eventbus_inbox WHERE consumer = 'hq' AND topic IN (?` + strings.Repeat(", ?", len(topics)-1) + `)`
	got, err := queryStrings(ctx, db, q, args...)
	if err != nil {
		return nil, fmt.Errorf("HQ inbox: %w", err)
	}
	ids := make(map[string]bool, len(got))
	for _, id := range got {
		ids[id] = true
	}
	return ids, nil
}

// Record is one row of a table the checks compare: the fields HQ's read
// model copies from the district.
type Record struct {
	Status  string
	Version int64
	Parent  string // a guard's company
}

// Snapshot is what the district and HQ hold once the processes stopped.
type Snapshot struct {
	// The district's records by id, per kind.
	District map[string]map[string]Record
	// Names maps a kind's names (guard and company names, meeting titles)
	// to the ids that carry them.
	Names map[string]map[string][]string
	// HQ's copy, per kind.
	HQ map[string]map[string]Record
	// Outbox holds the ids of every event the district's services
	// committed (Topology.Outboxes); Inbox those HQ applied; Applied counts
	// HQ's applications of the district's events (its events_applied
	// counter, bumped in the transaction of every apply, of every service's
	// topic).
	Outbox, Inbox map[string]bool
	Applied       int64
}

// TakeSnapshot reads the district's and HQ's databases.
func TakeSnapshot(ctx context.Context, t *Topology) (*Snapshot, error) {
	s := &Snapshot{
		District: map[string]map[string]Record{}, Names: map[string]map[string][]string{},
		HQ: map[string]map[string]Record{},
	}
	type table struct {
		kind, path, q string
	}
	district := []table{
		{KindGuard, t.MembershipDB, `SELECT id, name, employment_status, version, company_id FROM guards`},
		{KindCompany, t.MembershipDB, `SELECT id, name, status, version, '' FROM companies`},
		{KindMeeting, t.MeetingsDB, `SELECT id, title, status, version, '' FROM meetings`},
	}
	for _, tb := range district {
		s.District[tb.kind], s.Names[tb.kind] = map[string]Record{}, map[string][]string{}
		if err := readRecords(ctx, tb.path, tb.q, nil, func(id, name string, r Record) {
			s.District[tb.kind][id] = r
			s.Names[tb.kind][name] = append(s.Names[tb.kind][name], id)
		}); err != nil {
			return nil, err
		}
	}
	hq := []table{
		{KindGuard, t.HQDB, `SELECT id, '', employment_status, version, company_id FROM hq_guards WHERE district = ?`},
		{KindCompany, t.HQDB, `SELECT id, '', status, version, '' FROM hq_companies WHERE district = ?`},
		{KindMeeting, t.HQDB, `SELECT id, '', status, version, '' FROM hq_meetings WHERE district = ?`},
	}
	for _, tb := range hq {
		s.HQ[tb.kind] = map[string]Record{}
		if err := readRecords(ctx, tb.path, tb.q, []any{t.District}, func(id, _ string, r Record) {
			s.HQ[tb.kind][id] = r
		}); err != nil {
			return nil, err
		}
	}
	var err error
	if s.Outbox, err = OutboxIDs(ctx, outboxPaths(t)...); err != nil {
		return nil, err
	}
	if s.Inbox, err = HQInbox(ctx, t.HQDB, t.District, t.Outboxes); err != nil {
		return nil, err
	}
	db, err := openRO(t.HQDB)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT events_applied FROM hq_district_freshness WHERE district = ?`, t.District).Scan(&s.Applied)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("HQ freshness: %w", err)
	}
	return s, nil
}

func readRecords(ctx context.Context, path, q string, args []any, fn func(id, name string, r Record)) error {
	db, err := openRO(path)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, name string
			r        Record
		)
		if err := rows.Scan(&id, &name, &r.Status, &r.Version, &r.Parent); err != nil {
			return err
		}
		fn(id, name, r)
	}
	return rows.Err()
}

// Verdict is the outcome of one fault: the figures of its row and every
// violation found.
type Verdict struct {
	Acked, Refused, Unresolved int
	// DistrictHolds and HQHolds count the records (guards, companies,
	// meetings) in each.
	DistrictHolds, HQHolds int
	// Lost counts acknowledged writes the district or HQ lacks.
	Lost int
	// Duplicated counts records or applications beyond one per write and
	// event: district rows sharing one write's name, and HQ applications
	// beyond one per distinct event.
	Duplicated int
	// Mismatched counts records HQ holds differently from the district
	// (missing, extra, other status, version or company).
	Mismatched int
	// Missing and Phantom count events of the outbox HQ never applied and
	// events HQ applied that the outbox does not hold.
	Missing, Phantom int
	Violations       []string
}

// Verify checks the run's writes against the snapshot.
func Verify(writes []*Write, s *Snapshot) Verdict {
	var v Verdict
	violate := func(format string, args ...any) { v.Violations = append(v.Violations, fmt.Sprintf(format, args...)) }
	var lostExamples []string
	for _, w := range writes {
		switch {
		case w.Acked:
			v.Acked++
			_, inDistrict := s.District[w.Kind][w.ID]
			_, inHQ := s.HQ[w.Kind][w.ID]
			if !inDistrict || !inHQ {
				v.Lost++
				if len(lostExamples) < 3 {
					lostExamples = append(lostExamples, fmt.Sprintf("%s %s (district %v, HQ %v)", w.Kind, w.ID, inDistrict, inHQ))
				}
			}
		case w.Unresolved:
			v.Unresolved++
		default:
			v.Refused++
			if len(s.Names[w.Kind][w.Name]) > 0 {
				violate("%s write %d was refused (%s) yet the district holds it", w.Kind, w.N, w.Refused)
			}
		}
		if ids := s.Names[w.Kind][w.Name]; len(ids) > 1 {
			v.Duplicated += len(ids) - 1
			violate("%s write %d (%s) is held %d times: %s", w.Kind, w.N, w.Name, len(ids), strings.Join(ids, ", "))
		}
		if w.Acked {
			if ids := s.Names[w.Kind][w.Name]; len(ids) == 1 && ids[0] != w.ID {
				violate("%s write %d was acknowledged as %s but the district holds %s", w.Kind, w.N, w.ID, ids[0])
			}
		}
	}
	if v.Lost > 0 {
		violate("%d acknowledged writes lost, e.g. %s", v.Lost, strings.Join(lostExamples, "; "))
	}
	if v.Refused > 0 {
		first := ""
		for _, w := range writes {
			if !w.Acked && !w.Unresolved {
				first = fmt.Sprintf("%s write %d: %s", w.Kind, w.N, w.Refused)
				break
			}
		}
		violate("%d writes refused, first %s", v.Refused, first)
	}
	if v.Unresolved > 0 {
		violate("%d writes never got an answer", v.Unresolved)
	}
	if v.Acked == 0 {
		violate("no write was acknowledged: the load did not run")
	}

	kinds := []string{KindGuard, KindCompany, KindMeeting}
	var mismatch []string
	for _, k := range kinds {
		v.DistrictHolds += len(s.District[k])
		v.HQHolds += len(s.HQ[k])
		for id, r := range s.District[k] {
			if h, ok := s.HQ[k][id]; !ok || h != r {
				v.Mismatched++
				if len(mismatch) < 3 {
					mismatch = append(mismatch, fmt.Sprintf("%s %s district %+v HQ %+v (held %v)", k, id, r, h, ok))
				}
			}
		}
		for id, h := range s.HQ[k] {
			if _, ok := s.District[k][id]; !ok {
				v.Mismatched++
				if len(mismatch) < 3 {
					mismatch = append(mismatch, fmt.Sprintf("%s %s only in HQ %+v", k, id, h))
				}
			}
		}
	}
	if v.Mismatched > 0 {
		violate("HQ differs from the district in %d records, e.g. %s", v.Mismatched, strings.Join(mismatch, "; "))
	}
	for id := range s.Outbox {
		if !s.Inbox[id] {
			v.Missing++
		}
	}
	for id := range s.Inbox {
		if !s.Outbox[id] {
			v.Phantom++
		}
	}
	if v.Missing > 0 {
		violate("HQ never applied %d of the district's %d events", v.Missing, len(s.Outbox))
	}
	if v.Phantom > 0 {
		violate("HQ applied %d events the district's outbox does not hold", v.Phantom)
	}
	if extra := s.Applied - int64(len(s.Inbox)); extra != 0 {
		if extra > 0 {
			v.Duplicated += int(extra)
		}
		violate("HQ counted %d applications of the district's events for %d distinct events", s.Applied, len(s.Inbox))
	}
	sort.Strings(v.Violations)
	return v
}

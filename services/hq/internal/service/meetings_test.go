package service_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// now is 2025-10-01 01:00 in Shanghai, still September 30 in UTC: the
// period and "today" must follow Shanghai.
var now = time.Date(2025, 9, 30, 17, 0, 0, 0, time.UTC)

func TestPeriodAndToday(t *testing.T) {
	t.Parallel()
	sh := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, service.Shanghai) }
	for _, tc := range []struct {
		per        policy.Period
		start, end time.Time
	}{
		{service.PerWeek, sh(2025, 9, 29), sh(2025, 10, 6)}, // 2025-10-01 is a Wednesday
		{service.PerMonth, sh(2025, 10, 1), sh(2025, 11, 1)},
		{service.PerQuarter, sh(2025, 10, 1), sh(2026, 1, 1)},
		{service.PerYear, sh(2025, 1, 1), sh(2026, 1, 1)},
	} {
		start, end := service.Period(tc.per, now)
		if !start.Equal(tc.start) || !end.Equal(tc.end) {
			t.Errorf("Period(%s) = %v..%v, want %v..%v", tc.per, start, end, tc.start, tc.end)
		}
	}
	if start, _ := service.Period(service.PerQuarter, sh(2025, 8, 15)); !start.Equal(sh(2025, 7, 1)) {
		t.Errorf("quarter of August starts %v", start)
	}
	if start, _ := service.Period(service.PerWeek, sh(2025, 10, 5).Add(23*time.Hour)); !start.Equal(sh(2025, 9, 29)) {
		t.Errorf("week of a Sunday night starts %v", start)
	}
	if got := service.Today(now); got != "2025-10-01" {
		t.Errorf("Today = %s, want 2025-10-01", got)
	}
}

type monitor struct{ ids []string }

func (m monitor) Registered() []service.District {
	var out []service.District
	for _, id := range m.ids {
		out = append(out, service.District{ID: id})
	}
	return out
}

func (m monitor) Consumer(string) service.ConsumerState {
	return service.ConsumerState{Running: true, Lag: service.KnownLag(0)}
}

// policies is a fixed convention version and cadences.
type policies struct {
	version  string
	cadences map[string]service.Cadence
}

func (p policies) ConventionVersion() (string, bool) { return p.version, p.version != "" }

func (p policies) Cadence(d string) (service.Cadence, bool) {
	c, ok := p.cadences[d]
	return c, ok
}

func envelope(district, svc, typ, id string, m proto.Message) *eventsv1.Envelope {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return &eventsv1.Envelope{EventId: svc + typ + id, District: district, Service: svc, Type: typ, AggregateId: id,
		OccurredAt: timestamppb.New(now), Payload: b}
}

func companyActive(district, id string) *eventsv1.Envelope {
	return envelope(district, "membership", "CompanyRegistered", id, &eventsv1.CompanyRegistered{Company: &eventsv1.Company{
		Id: id, District: district, Status: "active", Version: 1}})
}

func roundtable(district, id string, starts time.Time, ic, ac, ip, ap int32) *eventsv1.Envelope {
	return envelope(district, "meetings", "MeetingStatusChanged", id, &eventsv1.MeetingStatusChanged{Meeting: &eventsv1.Meeting{
		Id: id, District: district, Type: service.MeetingDistrictRoundtable, Status: "closed", StartsAt: timestamppb.New(starts),
		InvitedCompanies: ic, AttendedCompanies: ac, InvitedPeople: ip, AttendedPeople: ap, Version: 3}, ToStatus: "closed"})
}

func actionItem(district, id, status, due string) *eventsv1.Envelope {
	return envelope(district, "meetings", "ActionItemCreated", id, &eventsv1.ActionItemCreated{Item: &eventsv1.ActionItem{
		Id: id, District: district, Title: id, DueOn: due, Status: status, Version: 1}})
}

func signature(district, id, company, version string, current bool) *eventsv1.Envelope {
	return envelope(district, "meetings", "ConventionSigned", id, &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
		Id: id, District: district, CompanyId: company, ConventionVersion: version, Current: current}})
}

// readModel is a read model holding jingkai's and caidian's meetings.
func readModel(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "hq.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	p := projector.New(st, nil, nil)
	october := time.Date(2025, 10, 1, 0, 30, 0, 0, service.Shanghai) // this month in Shanghai, September in UTC
	september := time.Date(2025, 9, 23, 9, 0, 0, 0, service.Shanghai)
	for _, e := range []*eventsv1.Envelope{
		companyActive("jingkai", "c1"), companyActive("jingkai", "c2"), companyActive("caidian", "c3"),
		roundtable("jingkai", "m1", september, 10, 8, 4, 3),
		roundtable("jingkai", "m2", october, 10, 9, 0, 0),
		roundtable("caidian", "m3", september, 5, 5, 1, 1),
		actionItem("jingkai", "a1", "open", "2025-09-30"), // due yesterday in Shanghai: overdue
		actionItem("jingkai", "a2", "open", "2025-10-01"), // due today: not yet
		actionItem("jingkai", "a3", "done", "2025-09-01"),
		actionItem("caidian", "a4", "accepted", "2025-09-01"),
		signature("jingkai", "s1", "c1", "2025", true),
		signature("jingkai", "s2", "c2", "2024", true), // an old version does not count for 2025
		signature("caidian", "s3", "c3", "2025", false),
	} {
		if err := db.InTx(ctx, func(tx *sql.Tx) error { _, err := p.Apply(ctx, tx, e); return err }); err != nil {
			t.Fatalf("%s %s: %v", e.GetType(), e.GetAggregateId(), err)
		}
	}
	return st
}

func TestMeetingsFigures(t *testing.T) {
	t.Parallel()
	st := readModel(t)
	ctx := context.Background()
	clock := func() time.Time { return now }
	mon := monitor{ids: []string{"caidian", "jingkai"}}
	svc := service.New(st, mon, service.Config{Now: clock, Policies: policies{version: "2025", cadences: map[string]service.Cadence{
		"jingkai": {Per: service.PerMonth, Count: 1},
		"caidian": {Per: service.PerMonth, Count: 2},
	}}})

	t.Run("A district shows attendance, action items, the current convention's signature rate and roundtable timeliness.", func(t *testing.T) {
		v, err := svc.District(ctx, "jingkai")
		if err != nil {
			t.Fatal(err)
		}
		m := v.MeetingStats
		if m.MeetingsHeld[service.MeetingDistrictRoundtable] != 2 || m.MeetingsHeld[service.MeetingCouncil] != 0 ||
			len(m.MeetingsHeld) != len(service.MeetingTypes) {
			t.Errorf("meetings_held = %v", m.MeetingsHeld)
		}
		if !is(m.CompanyAttendanceRate, 17.0/20) || !is(m.PersonAttendanceRate, 0.75) {
			t.Errorf("attendance = %v companies, %v people", m.CompanyAttendanceRate, m.PersonAttendanceRate)
		}
		if m.ActionItemsOpen != 2 || m.ActionItemsOverdue != 1 || m.ActionItemsDone != 1 || m.ActionItemsAccepted != 0 {
			t.Errorf("action items = %+v", m)
		}
		if m.ConventionCurrentVersion == nil || *m.ConventionCurrentVersion != "2025" || m.ConventionSignedCurrent == nil ||
			*m.ConventionSignedCurrent != 1 || *m.ConventionSignatureRate != 0.5 {
			t.Errorf("convention = %v %v %v", m.ConventionCurrentVersion, m.ConventionSignedCurrent, m.ConventionSignatureRate)
		}
		// Only m2 started in October (Shanghai); one a month is expected.
		if r := m.Roundtables; r == nil || r.Held != 1 || r.Expected != 1 || !r.OnTrack || r.Per != "month" ||
			!r.PeriodStart.Equal(time.Date(2025, 10, 1, 0, 0, 0, 0, service.Shanghai)) {
			t.Errorf("roundtables = %+v", r)
		}
	})

	t.Run("A district behind its cadence is not on track; a signature made before its version was current does not count.", func(t *testing.T) {
		v, err := svc.District(ctx, "caidian")
		if err != nil {
			t.Fatal(err)
		}
		if r := v.Roundtables; r == nil || r.Held != 0 || r.Expected != 2 || r.OnTrack {
			t.Errorf("roundtables = %+v", r)
		}
		if *v.ConventionSignedCurrent != 0 || *v.ConventionSignatureRate != 0 {
			t.Errorf("convention = %v, %v", *v.ConventionSignedCurrent, *v.ConventionSignatureRate)
		}
	})

	t.Run("The summary adds the districts up.", func(t *testing.T) {
		s, err := svc.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.MeetingsHeld[service.MeetingDistrictRoundtable] != 3 || s.MeetingCompaniesInvited != 25 ||
			s.MeetingCompaniesAttended != 22 || s.ActionItemsOverdue != 1 || s.ActionItemsAccepted != 1 {
			t.Errorf("summary meetings = %+v", s.MeetingStats)
		}
		if *s.ConventionSignedCurrent != 1 || *s.ConventionSignatureRate != 1.0/3 {
			t.Errorf("summary convention = %v, %v", *s.ConventionSignedCurrent, *s.ConventionSignatureRate)
		}
		if r := s.Roundtables; r == nil || r.Held != 1 || r.Expected != 3 || r.OnTrack ||
			len(r.DistrictsBehind) != 1 || r.DistrictsBehind[0] != "caidian" {
			t.Errorf("summary roundtables = %+v", r)
		}
	})

	t.Run("The overdue filter lists only open items due before today.", func(t *testing.T) {
		p, err := svc.ActionItems(ctx, "jingkai", service.ActionItemFilter{Overdue: true}, kitx.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].ID != "a1" || !p.Items[0].Overdue {
			t.Errorf("overdue = %+v", p.Items)
		}
		p, err = svc.ActionItems(ctx, "jingkai", service.ActionItemFilter{}, kitx.Page{Size: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 2 || p.Items[0].ID != "a1" || p.Items[1].Overdue || p.NextCursor != "a2" {
			t.Errorf("page 1 = %+v next %q", p.Items, p.NextCursor)
		}
		p, err = svc.ActionItems(ctx, "jingkai", service.ActionItemFilter{}, kitx.Page{Size: 2, Cursor: p.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].ID != "a3" || p.Items[0].Overdue || p.NextCursor != "" {
			t.Errorf("page 2 = %+v next %q", p.Items, p.NextCursor)
		}
		if _, err := svc.ActionItems(ctx, "nowhere", service.ActionItemFilter{}, kitx.Page{}); err != service.ErrDistrictNotFound {
			t.Errorf("unknown district = %v", err)
		}
	})

	t.Run("Without policies (no etcd) the convention figures and roundtables are null.", func(t *testing.T) {
		bare := service.New(st, mon, service.Config{Now: clock})
		v, err := bare.District(ctx, "jingkai")
		if err != nil {
			t.Fatal(err)
		}
		if v.ConventionCurrentVersion != nil || v.ConventionSignedCurrent != nil || v.ConventionSignatureRate != nil || v.Roundtables != nil {
			t.Errorf("figures without policies = %+v", v.MeetingStats)
		}
		if v.ActionItemsOverdue != 1 {
			t.Errorf("overdue without policies = %d", v.ActionItemsOverdue)
		}
		s, err := bare.Summary(ctx)
		if err != nil || s.ConventionSignatureRate != nil || s.Roundtables != nil {
			t.Errorf("summary without policies = %+v, %v", s.MeetingStats, err)
		}
	})
}

// is reports whether the rate r is reported and equals want.
func is(r *float64, want float64) bool { return r != nil && *r == want }

func (m monitor) Parked(context.Context) (map[string][]service.ParkedEvents, error) { return nil, nil }

package projector_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

var t0 = time.Date(2025, 9, 23, 9, 0, 0, 0, time.UTC)

func open(t testing.TB) (*storage.DB, *store.Store) {
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
	return db, store.New(db)
}

func env(district, typ, aggID string, seq int64, at time.Time, payload proto.Message) *eventsv1.Envelope {
	b, err := proto.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return &eventsv1.Envelope{
		EventId: typ + "-" + aggID + "-" + time.Duration(seq).String(), District: district, Service: "membership",
		Type: typ, AggregateId: aggID, Sequence: seq, OccurredAt: timestamppb.New(at), SchemaVersion: 1, Payload: b,
	}
}

func company(district, id, status string, v int64, party, union, home bool, conv string) *eventsv1.Envelope {
	c := &eventsv1.Company{Id: id, District: district, Name: "公司" + id, Status: status, PartyOrg: party,
		TradeUnion: union, WorkersHome: home, ConventionVersion: conv, Version: v}
	return env(district, "CompanyUpdated", id, v, t0.Add(time.Duration(v)*time.Minute), &eventsv1.CompanyUpdated{Company: c})
}

type guardOpt func(*eventsv1.Guard)

func guard(district, id, companyID, hash, status string, v int64, opts ...guardOpt) *eventsv1.Envelope {
	g := &eventsv1.Guard{Id: id, District: district, CompanyId: companyID, IdHash: hash, EmploymentStatus: status,
		HiredOn: "2025-01-0" + string(rune('1'+v%9)), Version: v}
	for _, o := range opts {
		o(g)
	}
	typ := "GuardUpdated"
	var m proto.Message = &eventsv1.GuardUpdated{Guard: g}
	if status == "left" {
		typ, m = "GuardLeft", &eventsv1.GuardLeft{Guard: g}
	}
	return env(district, typ, id, v, t0.Add(time.Duration(v)*time.Minute), m)
}

func certified(g *eventsv1.Guard)   { g.HasCertificate = true }
func checked(g *eventsv1.Guard)     { g.BackgroundCheckStatus = "passed" }
func trained(g *eventsv1.Guard)     { g.PreJobTrained = true }
func badge(g *eventsv1.Guard)       { g.BadgeService = true }
func volunteer(g *eventsv1.Guard)   { g.VolunteerPolice = true }
func partyMember(g *eventsv1.Guard) { g.PartyMember = true }

func apply(t *testing.T, db *storage.DB, p *projector.Projector, events ...*eventsv1.Envelope) []error {
	t.Helper()
	var out []error
	for _, e := range events {
		err := db.InTx(context.Background(), func(tx *sql.Tx) error {
			_, err := p.Apply(context.Background(), tx, e)
			return err
		})
		out = append(out, err)
	}
	return out
}

func mustApply(t *testing.T, db *storage.DB, p *projector.Projector, events ...*eventsv1.Envelope) {
	t.Helper()
	for i, err := range apply(t, db, p, events...) {
		if err != nil {
			t.Fatalf("event %d (%s): %v", i, events[i].GetType(), err)
		}
	}
}

func TestProjectorCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events []*eventsv1.Envelope
		want   map[string]service.Counts
	}{
		{
			name: "Snapshots of companies and guards are counted per district and status.",
			events: []*eventsv1.Envelope{
				company("jingkai", "c1", "active", 1, true, true, false, "2025"),
				company("jingkai", "c2", "active", 1, false, true, true, ""),
				company("jingkai", "c3", "applied", 1, true, true, true, "2025"),
				company("caidian", "c4", "suspended", 2, true, false, false, ""),
				guard("jingkai", "g1", "c1", "h1", "active", 1, certified, checked, trained, badge, volunteer, partyMember),
				guard("jingkai", "g2", "c1", "h2", "active", 1, certified, checked),
				guard("jingkai", "g3", "c2", "h3", "active", 1, trained),
				guard("jingkai", "g4", "c2", "h4", "left", 2, certified, checked, trained, badge),
				guard("caidian", "g5", "c4", "h5", "active", 1),
			},
			want: map[string]service.Counts{
				"jingkai": {
					Companies: 3, CompaniesByStatus: map[string]int64{"active": 2, "applied": 1}, CompaniesActive: 2,
					GuardsActive: 3, GuardsBackgroundChecked: 2, GuardsTrained: 2, GuardsCertified: 2,
					GuardsBadgeService: 1, GuardsVolunteerPolice: 1, GuardsPartyMembers: 1,
					PartyOrgCompanies: 1, UnionCompanies: 2, WorkersHomeCompanies: 1, ConventionSigned: 1,
				},
				"caidian": {
					Companies: 1, CompaniesByStatus: map[string]int64{"suspended": 1}, GuardsActive: 1,
				},
			},
		},
		{
			name: "An older version arriving after a newer one is ignored.",
			events: []*eventsv1.Envelope{
				company("jingkai", "c1", "active", 3, true, false, false, ""),
				company("jingkai", "c1", "applied", 1, false, false, false, ""),
				guard("jingkai", "g1", "c1", "h1", "left", 5),
				guard("jingkai", "g1", "c1", "h1", "active", 2, certified),
			},
			want: map[string]service.Counts{
				"jingkai": {
					Companies: 1, CompaniesByStatus: map[string]int64{"active": 1}, CompaniesActive: 1,
					PartyOrgCompanies: 1,
				},
			},
		},
		{
			name: "A newer version replaces the snapshot, whatever the order of aggregates.",
			events: []*eventsv1.Envelope{
				guard("jingkai", "g1", "c1", "h1", "active", 1),
				company("jingkai", "c1", "applied", 1, false, false, false, ""),
				guard("jingkai", "g1", "c1", "h1", "active", 2, certified, badge),
				company("jingkai", "c1", "active", 2, false, false, true, "2025"),
			},
			want: map[string]service.Counts{
				"jingkai": {
					Companies: 1, CompaniesByStatus: map[string]int64{"active": 1}, CompaniesActive: 1,
					GuardsActive: 1, GuardsCertified: 1, GuardsBadgeService: 1,
					WorkersHomeCompanies: 1, ConventionSigned: 1,
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			mustApply(t, db, p, tt.events...)
			got, err := st.Districts(context.Background(), "2025-09-23")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("districts = %v, want %v", keys(got), tt.want)
			}
			for d, want := range tt.want {
				gotC := service.NewStats(got[d].Counts).Counts
				wantC := service.NewStats(want).Counts
				if !equalCounts(gotC, wantC) {
					t.Errorf("%s counts:\n got %+v\nwant %+v", d, gotC, wantC)
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func equalCounts(a, b service.Counts) bool { return reflect.DeepEqual(a, b) }

// is reports whether the rate r is reported and equals want.
func is(r *float64, want float64) bool { return r != nil && *r == want }

func TestProjectorRates(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	mustApply(t, db, p,
		company("jingkai", "c1", "active", 1, true, false, false, "2025"),
		company("jingkai", "c2", "active", 1, false, false, false, ""),
		company("jingkai", "c3", "active", 1, false, false, false, ""),
		company("jingkai", "c4", "active", 1, false, false, false, ""),
		guard("jingkai", "g1", "c1", "h1", "active", 1, certified, checked, trained, badge),
		guard("jingkai", "g2", "c1", "h2", "active", 1, certified, checked, trained),
		guard("jingkai", "g3", "c1", "h3", "active", 1, certified, checked),
		guard("jingkai", "g4", "c1", "h4", "active", 1, certified),
		company("caidian", "c9", "applied", 1, true, true, true, "2025"),
	)
	got, err := st.Districts(context.Background(), "2025-09-23")
	if err != nil {
		t.Fatal(err)
	}
	s := service.NewStats(got["jingkai"].Counts)
	if !is(s.CertifiedRate, 1) || !is(s.BackgroundCheckRate, 0.75) || !is(s.TrainingRate, 0.5) || !is(s.BadgeRate, 0.25) {
		t.Errorf("four rates = %v %v %v %v, want 1 0.75 0.5 0.25", s.CertifiedRate, s.BackgroundCheckRate, s.TrainingRate, s.BadgeRate)
	}
	if !is(s.PartyOrgRate, 0.25) || s.ConventionSigned != 1 || !is(s.UnionRate, 0) {
		t.Errorf("coverage = party %v convention signed %v union %v, want 0.25 1 0", s.PartyOrgRate, s.ConventionSigned, s.UnionRate)
	}
	// No active guards and no active companies: every rate is not
	// reported (nil), neither 0 nor NaN.
	c := service.NewStats(got["caidian"].Counts)
	for name, r := range map[string]*float64{"background_check": c.BackgroundCheckRate, "training": c.TrainingRate,
		"certified": c.CertifiedRate, "badge": c.BadgeRate, "party_org": c.PartyOrgRate, "union": c.UnionRate,
		"workers_home": c.WorkersHomeRate} {
		if r != nil {
			t.Errorf("caidian's %s rate = %v, want nil (nothing to count)", name, *r)
		}
	}
	if c.CompaniesByStatus["applied"] != 1 || c.CompaniesByStatus["active"] != 0 {
		t.Errorf("caidian stats = %+v", c)
	}
	if f := got["jingkai"].Freshness; f.EventsApplied != 8 || !f.LastEventAt.Equal(t0.Add(time.Minute)) || f.LastAppliedAt.IsZero() {
		t.Errorf("jingkai freshness = %+v", f)
	}
}

func TestProjectorConflicts(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	ctx := context.Background()
	mustApply(t, db, p,
		guard("jingkai", "g1", "c1", "same-person", "active", 1),
		guard("jingkai", "g2", "c1", "other", "active", 1),
		// Two records of one person in one district are not a cross-district conflict.
		guard("jingkai", "g3", "c2", "other", "active", 1),
	)
	if c, err := st.Conflicts(ctx); err != nil || len(c) != 0 {
		t.Fatalf("conflicts before = %+v, %v; want none", c, err)
	}
	mustApply(t, db, p, guard("caidian", "g9", "c7", "same-person", "active", 4))
	c, err := st.Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 1 || c[0].IDHash != "same-person" || len(c[0].Districts) != 2 ||
		c[0].Districts[0] != "caidian" || c[0].Districts[1] != "jingkai" || len(c[0].Guards) != 2 {
		t.Fatalf("conflicts = %+v", c)
	}
	// g9 was hired on 2025-01-05 (version 4), g1 on 2025-01-02: the overlap began with g9.
	if want := time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC); !c[0].Since.Equal(want) {
		t.Errorf("since = %v, want %v", c[0].Since, want)
	}
	if c[0].Guards[0].CompanyID != "c7" || c[0].Guards[1].CompanyID != "c1" {
		t.Errorf("guards = %+v", c[0].Guards)
	}
	mustApply(t, db, p, guard("jingkai", "g1", "c1", "same-person", "left", 2))
	if c, err := st.Conflicts(ctx); err != nil || len(c) != 0 {
		t.Fatalf("conflicts after the guard left = %+v, %v; want none", c, err)
	}
}

func TestProjectorRejects(t *testing.T) {
	t.Parallel()
	good := company("jingkai", "c1", "active", 1, false, false, false, "")
	unknown := proto.Clone(good).(*eventsv1.Envelope)
	unknown.Type = "CompanyExploded"
	// A meetings event type under the membership service is unknown there,
	// even with a payload that would decode.
	crossed := proto.Clone(good).(*eventsv1.Envelope)
	crossed.Type = eventsv1.TypeMeetingScheduled
	garbage := proto.Clone(good).(*eventsv1.Envelope)
	garbage.Payload = []byte{0xff, 0xff, 0xff}
	empty := proto.Clone(good).(*eventsv1.Envelope)
	empty.Payload = nil
	wrongService := proto.Clone(good).(*eventsv1.Envelope)
	wrongService.Service = "accounts"
	foreign := company("caidian", "c1", "active", 1, false, false, false, "")
	foreign.District = "jingkai"
	tests := []struct {
		name   string
		env    *eventsv1.Envelope
		reason eventbus.Reason
	}{
		{"An unknown event type is rejected.", unknown, eventbus.ReasonUnknownType},
		{"A meetings event type under the membership service is rejected as unknown.", crossed, eventbus.ReasonUnknownType},
		{"An undecodable payload is rejected.", garbage, eventbus.ReasonBadPayload},
		{"A payload without a snapshot is rejected.", empty, eventbus.ReasonBadPayload},
		{"An event of another service on the membership topic is rejected.", wrongService, eventbus.ReasonWrongService},
		{"A snapshot of another district is rejected.", foreign, eventbus.ReasonDistrictMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			reg := prometheus.NewPedanticRegistry()
			p := projector.New(st, nil, projector.NewMetrics(reg))
			err := apply(t, db, p, tt.env)[0]
			reason, ok := eventbus.IsRejected(err)
			if !ok || reason != tt.reason {
				t.Fatalf("err = %v, want reject %q", err, tt.reason)
			}
			if n := testutil.ToFloat64(p.Metrics().Rejected.WithLabelValues("jingkai", string(tt.reason))); n != 1 {
				t.Errorf("rejected counter = %v, want 1", n)
			}
			got, err := st.Districts(context.Background(), "2025-09-23")
			if err != nil || len(got) != 0 {
				t.Errorf("read model after a rejected event = %+v, %v; want empty", got, err)
			}
		})
	}
}

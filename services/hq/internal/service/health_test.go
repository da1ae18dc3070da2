package service_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/storage"

	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// healthStore is a migrated read model holding hbs as jingkai's
// heartbeats.
func healthStore(t *testing.T, hbs ...service.Heartbeat) *store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "hq.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	for _, hb := range hbs {
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return st.PutHeartbeat(ctx, tx, "jingkai", hb) }); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// beat is a heartbeat of service's instance received ago before now, at a
// 15 s interval, with an empty outbox and a clock in step with HQ's.
func beat(service_, instance string, ago time.Duration) service.Heartbeat {
	at := now.Add(-ago)
	return service.Heartbeat{Service: service_, Instance: instance, Version: "v1", SentAt: at, ReceivedAt: at,
		Interval: 15 * time.Second, Emits: []service.EmittedType{{Type: "GuardHired", SchemaVersion: 1}}}
}

func TestDistrictStatusFollowsFromItsHeartbeats(t *testing.T) {
	t.Parallel()
	caughtUp := service.ConsumerState{Running: true, Lag: service.KnownLag(0), Since: now.Add(-time.Hour)}
	backlogged := beat("membership", "a", time.Second)
	backlogged.OutboxBacklog, backlogged.OldestUnsentAt = 40, backlogged.SentAt.Add(-3*time.Minute)
	young := beat("membership", "a", time.Second)
	young.OutboxBacklog, young.OldestUnsentAt = 2, young.SentAt.Add(-time.Second)
	skewed := beat("membership", "a", time.Second)
	skewed.SentAt = skewed.ReceivedAt.Add(10 * time.Minute)
	unreadable := beat("membership", "a", time.Second)
	unreadable.OutboxBacklog = -1
	for _, tc := range []struct {
		name   string
		beats  []service.Heartbeat
		state  service.ConsumerState
		status string
		stale  bool
		check  func(t *testing.T, v service.DistrictView)
	}{
		{name: "No heartbeat yet is not_reported, not ok.", state: caughtUp, status: service.StatusNotReported},
		{name: "Every service beating, HQ caught up: ok.", state: caughtUp, status: service.StatusOK,
			beats: []service.Heartbeat{beat("membership", "a", time.Second), beat("meetings", "a", 5*time.Second)}},
		{name: "Exactly three intervals since the last heartbeat is still alive.", state: caughtUp, status: service.StatusOK,
			beats: []service.Heartbeat{beat("membership", "a", 45*time.Second)}},
		{name: "A service past three intervals is silent since its last heartbeat, the district stale though HQ is caught up.",
			state: caughtUp, status: service.StatusSilent, stale: true,
			beats: []service.Heartbeat{beat("membership", "a", time.Second), beat("meetings", "a", 46*time.Second)},
			check: func(t *testing.T, v service.DistrictView) {
				m := v.Services[0]
				if m.Service != "meetings" || m.Alive || m.SilentSince == nil || !m.SilentSince.Equal(now.Add(-46*time.Second)) ||
					m.AsOf == nil || !m.AsOf.Equal(*m.SilentSince) || m.Version != "v1" || len(m.Emits) != 1 {
					t.Errorf("the silent service = %+v", m)
				}
				if v.Services[1].Service != "membership" || !v.Services[1].Alive || v.Services[1].SilentSince != nil {
					t.Errorf("the live service = %+v", v.Services[1])
				}
			}},
		{name: "An outbox whose oldest unsent row is older than the stale period is behind, with the node's figures.",
			state: caughtUp, status: service.StatusBehind, beats: []service.Heartbeat{backlogged},
			check: func(t *testing.T, v service.DistrictView) {
				m := v.Services[0]
				if m.OutboxBacklog == nil || *m.OutboxBacklog != 40 || m.OldestUnsentAgeSeconds == nil || *m.OldestUnsentAgeSeconds != 180 {
					t.Errorf("backlog %v, oldest unsent age %v", m.OutboxBacklog, m.OldestUnsentAgeSeconds)
				}
			}},
		{name: "A young backlog is ok.", state: caughtUp, status: service.StatusOK, beats: []service.Heartbeat{young}},
		{name: "HQ's consumers behind for the stale period make a beating district behind.",
			state:  service.ConsumerState{Running: true, Lag: service.KnownLag(5), Since: now.Add(-time.Hour)},
			status: service.StatusBehind, stale: true, beats: []service.Heartbeat{beat("membership", "a", time.Second)}},
		{name: "A clock ten minutes ahead is flagged; its status is still the heartbeats'.", state: caughtUp,
			status: service.StatusOK, beats: []service.Heartbeat{skewed},
			check: func(t *testing.T, v service.DistrictView) {
				if m := v.Services[0]; !m.ClockSkewed || m.ClockOffsetSeconds != 600 {
					t.Errorf("clock offset %v skewed %v", m.ClockOffsetSeconds, m.ClockSkewed)
				}
			}},
		{name: "A node that cannot read its outbox reports its backlog as unknown, never 0.", state: caughtUp,
			status: service.StatusOK, beats: []service.Heartbeat{unreadable},
			check: func(t *testing.T, v service.DistrictView) {
				if m := v.Services[0]; m.OutboxBacklog != nil || m.ClockSkewed {
					t.Errorf("backlog %v skewed %v", m.OutboxBacklog, m.ClockSkewed)
				}
			}},
		{name: "Of two instances, one silent, the service is alive with the live one's figures.", state: caughtUp,
			status: service.StatusOK,
			beats: []service.Heartbeat{
				func() service.Heartbeat { b := beat("membership", "old", time.Hour); b.Version = "v0"; return b }(),
				func() service.Heartbeat { b := beat("membership", "new", time.Second); b.RelayLeader = true; return b }(),
			},
			check: func(t *testing.T, v service.DistrictView) {
				if m := v.Services[0]; !m.Alive || m.Instances != 1 || m.Version != "v1" || !m.RelayLeader {
					t.Errorf("service of two instances = %+v", m)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := healthStore(t, tc.beats...)
			svc := service.New(st, stateMonitor{state: tc.state}, service.Config{StaleAfter: 2 * time.Minute, Now: func() time.Time { return now }})
			v, err := svc.District(context.Background(), "jingkai")
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != tc.status || v.Stale != tc.stale {
				t.Errorf("status %q stale %v, want %q %v (services %+v)", v.Status, v.Stale, tc.status, tc.stale, v.Services)
			}
			if tc.check != nil {
				tc.check(t, v)
			}
			sum, err := svc.Summary(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if silent := len(sum.SilentDistricts) == 1 && sum.SilentDistricts[0] == "jingkai"; silent != (tc.status == service.StatusSilent) {
				t.Errorf("summary's silent districts %v with status %s", sum.SilentDistricts, tc.status)
			}
		})
	}
}

// TestADeregisteredDistrictKeepsItsLastFigures: a district that left the
// registry is deregistered, its services as of their last heartbeat.
func TestADeregisteredDistrictKeepsItsLastFigures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := healthStore(t, beat("membership", "a", time.Hour))
	svc := service.New(st, registryOf{}, service.Config{Now: func() time.Time { return now }})
	v, err := svc.District(ctx, "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	if v.Registered || v.Status != service.StatusDeregistered || v.Stale || len(v.Services) != 1 || v.Services[0].AsOf == nil ||
		!v.Services[0].AsOf.Equal(now.Add(-time.Hour)) {
		t.Errorf("deregistered district = %+v", v)
	}
	views, err := svc.Districts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 0 {
		t.Errorf("the registered districts' views include %+v", views)
	}
}

// registryOf registers nothing.
type registryOf struct{}

func (registryOf) Registered() []service.District        { return nil }
func (registryOf) Consumer(string) service.ConsumerState { return service.ConsumerState{} }

func (registryOf) Parked(context.Context) (map[string][]service.ParkedEvents, error) { return nil, nil }

// TestHQSaysWhatADistrictSendsThatItCannotApply: the types a district's
// heartbeat announces that HQ consumes but cannot apply are listed on its
// service, and what HQ holds parked of it on the district, with counts.
func TestHQSaysWhatADistrictSendsThatItCannotApply(t *testing.T) {
	t.Parallel()
	hb := beat("membership", "a", time.Second)
	hb.Emits = []service.EmittedType{{Type: "GuardHired", SchemaVersion: 1}, {Type: "GuardTransferred", SchemaVersion: 1},
		{Type: "GuardHired", SchemaVersion: 2}}
	other := beat("patrols", "a", time.Second)
	other.Emits = []service.EmittedType{{Type: "PatrolStarted", SchemaVersion: 1}}
	st := healthStore(t, hb, other)
	parked := []service.ParkedEvents{{Service: "membership", Type: "GuardTransferred", SchemaVersion: 1, Reason: "unknown_type",
		Events: 3, FirstParkedAt: now.Add(-time.Minute)}}
	knows := func(svc, typ string, v uint32) (bool, bool) {
		return svc == "membership", typ == "GuardHired" && v == 1
	}
	svc := service.New(st, stateMonitor{state: service.ConsumerState{Running: true, Lag: service.KnownLag(0)},
		parked: map[string][]service.ParkedEvents{"jingkai": parked}},
		service.Config{Now: func() time.Time { return now }, Knows: knows})
	v, err := svc.District(context.Background(), "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Services) != 2 {
		t.Fatalf("services %+v", v.Services)
	}
	m, p := v.Services[0], v.Services[1]
	if want := []service.EmittedType{{Type: "GuardTransferred", SchemaVersion: 1}, {Type: "GuardHired", SchemaVersion: 2}}; !slices.Equal(m.UnknownTypes, want) {
		t.Errorf("membership's unknown types %v, want %v", m.UnknownTypes, want)
	}
	if len(p.UnknownTypes) != 0 {
		t.Errorf("a service HQ does not consume has unknown types %v", p.UnknownTypes)
	}
	if len(v.Parked) != 1 || v.Parked[0] != parked[0] {
		t.Errorf("parked %+v", v.Parked)
	}
}

package service_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// stateMonitor registers jingkai and hannan and reports one consumer state
// for both.
type stateMonitor struct {
	state  service.ConsumerState
	parked map[string][]service.ParkedEvents
}

func (m stateMonitor) Registered() []service.District {
	return []service.District{{ID: "jingkai"}, {ID: "hannan"}}
}

func (m stateMonitor) Consumer(string) service.ConsumerState { return m.state }

func (m stateMonitor) Parked(context.Context) (map[string][]service.ParkedEvents, error) {
	return m.parked, nil
}

func TestStaleFollowsFromTheLagAndItsUnknownState(t *testing.T) {
	t.Parallel()
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
	// jingkai's last event was applied an hour ago; hannan has none.
	p := projector.New(st, nil, nil)
	p.SetClock(func() time.Time { return now.Add(-time.Hour) })
	b, _ := proto.Marshal(&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: "c1", District: "jingkai", Name: "c1",
		Status: "active", Version: 1}})
	env := &eventsv1.Envelope{EventId: "e1", District: "jingkai", Service: "membership", Type: "CompanyRegistered",
		AggregateId: "c1", Sequence: 1, OccurredAt: timestamppb.New(now.Add(-time.Hour)), Payload: b}
	if err := db.InTx(ctx, func(tx *sql.Tx) error { _, err := p.Apply(ctx, tx, env); return err }); err != nil {
		t.Fatal(err)
	}
	long, moment := now.Add(-72*time.Hour), now.Add(-time.Second)
	for _, tc := range []struct {
		name     string
		district string
		state    service.ConsumerState
		behind   *int64 // nil: null
		stale    bool
	}{
		{name: "A consumer that has not read the high watermarks since it started long ago makes the district stale, behind null.",
			district: "jingkai", state: service.ConsumerState{Running: true, Since: long}, stale: true},
		{name: "A consumer that started a moment ago and cannot tell yet is not stale yet, behind null.",
			district: "jingkai", state: service.ConsumerState{Running: true, Since: moment}},
		{name: "A consumer known to be 0 behind is never stale, however old the last event.",
			district: "jingkai", state: service.ConsumerState{Running: true, Lag: service.KnownLag(0), Since: long}, behind: ptr(0)},
		{name: "A consumer known to be behind with nothing applied for the stale period makes the district stale.",
			district: "jingkai", state: service.ConsumerState{Running: true, Lag: service.KnownLag(5), Since: long}, behind: ptr(5), stale: true},
		{name: "A consumer that is not running cannot tell, whatever it last measured.",
			district: "jingkai", state: service.ConsumerState{Running: false, Lag: service.KnownLag(0), Since: long}, stale: true},
		{name: "A district with nothing applied whose consumer cannot tell is stale once the period since the start has passed.",
			district: "hannan", state: service.ConsumerState{Running: true, Since: now.Add(-time.Hour)}, stale: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := service.New(st, stateMonitor{state: tc.state}, service.Config{StaleAfter: 2 * time.Minute, Now: func() time.Time { return now }})
			v, err := svc.District(ctx, tc.district)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.behind == nil && v.EventsBehind != nil:
				t.Errorf("events_behind = %d, want null", *v.EventsBehind)
			case tc.behind != nil && (v.EventsBehind == nil || *v.EventsBehind != *tc.behind):
				t.Errorf("events_behind = %v, want %d", v.EventsBehind, *tc.behind)
			}
			if v.Stale != tc.stale {
				t.Errorf("stale = %v, want %v", v.Stale, tc.stale)
			}
			sum, err := svc.Summary(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listed := false
			for _, d := range sum.StaleDistricts {
				listed = listed || d == tc.district
			}
			if listed != tc.stale {
				t.Errorf("summary stale_districts %v, want %s listed: %v", sum.StaleDistricts, tc.district, tc.stale)
			}
		})
	}
}

func ptr(n int64) *int64 { return &n }

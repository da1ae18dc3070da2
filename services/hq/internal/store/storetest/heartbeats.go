package storetest

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

func heartbeats(t *testing.T, s *store.Store) {
	beat := func(svc, instance string, backlog int64, at time.Time) service.Heartbeat {
		return service.Heartbeat{Service: svc, Instance: instance, Version: "v1", OutboxBacklog: backlog,
			OldestUnsentAt: at.Add(-time.Minute), RelayLeader: instance == "a", SentAt: at.Add(time.Second), ReceivedAt: at,
			Interval: 15 * time.Second, Emits: []service.EmittedType{{Type: "GuardHired", SchemaVersion: 1}}}
	}
	t.Run("The newest heartbeat of each instance replaces the one before; every instance is kept; they read back in every field.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			for _, hb := range []service.Heartbeat{beat("membership", "a", 5, kit.At), beat("membership", "b", -1, kit.At),
				beat("membership", "a", 7, kit.At.Add(15*time.Second)), beat("meetings", "a", 0, kit.At)} {
				if err := s.PutHeartbeat(ctx, tx, "north", hb); err != nil {
					return err
				}
			}
			return s.PutHeartbeat(ctx, tx, "south", beat("membership", "a", 1, kit.At))
		})
		data, err := s.Heartbeats(ctx)
		kit.Must(t, err)
		got := data["north"]
		want := []service.Heartbeat{beat("meetings", "a", 0, kit.At), beat("membership", "a", 7, kit.At.Add(15*time.Second)),
			beat("membership", "b", -1, kit.At)}
		if len(got) != len(want) {
			t.Fatalf("north's heartbeats = %+v", got)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Service != w.Service || g.Instance != w.Instance || g.Version != w.Version || g.OutboxBacklog != w.OutboxBacklog ||
				!g.OldestUnsentAt.Equal(w.OldestUnsentAt) || g.RelayLeader != w.RelayLeader || !g.SentAt.Equal(w.SentAt) ||
				!g.ReceivedAt.Equal(w.ReceivedAt) || g.Interval != w.Interval || !slices.Equal(g.Emits, w.Emits) {
				t.Errorf("heartbeat %d = %+v, want %+v", i, g, w)
			}
		}
		if len(data["south"]) != 1 {
			t.Errorf("south's heartbeats = %+v", data["south"])
		}
		// The counts' read leaves them out: a heartbeat changes no count,
		// and the views keep the counts apart from them (readCache).
		counts, err := s.Districts(ctx, "2026-01-01")
		kit.Must(t, err)
		if hb := counts["north"].Heartbeats; len(hb) != 0 {
			t.Errorf("Districts gave north's heartbeats too: %+v", hb)
		}
	})
}

package hq

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	apitest "github.com/guildhall/guildhall/pkg/testutil"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// staticDistricts is a registry that never changes.
type staticDistricts []config.District

func (s staticDistricts) Watch(ctx context.Context, fn func([]config.District)) error {
	fn(s)
	<-ctx.Done()
	return ctx.Err()
}

// redeliveryRun is one run of an HQ node on a database that outlives it.
type redeliveryRun struct {
	node *Node
	bus  *eventbus.Metrics
	stop func()
}

func startRedeliveryRun(t *testing.T, dbPath, broker, group string) *redeliveryRun {
	t.Helper()
	bus := eventbus.NewMetrics(nil)
	node, err := New(context.Background(), Config{DBPath: dbPath, Storage: storageConfigForTests(),
		Brokers: []string{broker}, GroupID: group},
		Deps{Districts: staticDistricts{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}}, Bus: bus,
			Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	r := &redeliveryRun{node: node, bus: bus}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := node.Close(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(r.stop)
	return r
}

// eventsApplied is jingkai's events_applied in HQ's read model.
func (r *redeliveryRun) eventsApplied(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := r.node.db.QueryRow(`SELECT coalesce(max(events_applied), 0) FROM hq_district_freshness WHERE district = 'jingkai'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// inbox lists HQ's inbox rows, one per applied event id (a repeated id
// would be listed twice).
func (r *redeliveryRun) inbox(t *testing.T) []string {
	t.Helper()
	rows, err := r.node.db.Query(`SELECT event_id FROM eventbus_inbox WHERE consumer = 'hq' ORDER BY event_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// sum adds a consumer counter over both of jingkai's topics.
func (r *redeliveryRun) sum(vec *prometheus.CounterVec) float64 {
	var n float64
	for _, svc := range ConsumedServices {
		n += testutil.ToFloat64(vec.WithLabelValues("jingkai", svc, eventbus.Topic("jingkai", svc), "hq"))
	}
	return n
}

// TestARedeliveredTopicIsAppliedOnlyOnceAtHQ consumes a district's two
// topics, stops HQ, forces the events to be delivered again and starts HQ
// on the same database: nothing is applied twice. The read model's upserts
// would keep the district's counts equal even if it were; what tells is
// events_applied (bumped by every applied event) and the inbox rows.
func TestARedeliveredTopicIsAppliedOnlyOnceAtHQ(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	tests := []struct {
		name string
		// forgetPositions deletes HQ's own record of where it is in each
		// partition, as the operations guide's "make HQ re-read a topic"
		// does; without it the group's reset offsets are overruled by it.
		forgetPositions bool
		// newGroup starts the second run under another group id, whose
		// groups have no committed offsets: as the switch from one group
		// shared by every topic to a group per topic (GroupIDOf), or a
		// changed -hq.group-id.
		newGroup bool
		// redelivered is how many of the first run's events come again.
		redelivered float64
	}{
		{"Group offsets reset to the start are overruled by HQ's own positions: nothing is read again.", false, false, 0},
		{"Group offsets reset and HQ's positions forgotten: every event is read again and none applied twice.", true, false, 7},
		{"A new group id, without committed offsets: HQ's own positions hold, nothing is lost or read again.", false, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			// One partition per topic: once a later event is applied, every
			// redelivered one before it has been settled.
			infra := apitest.NewEnv(t, apitest.WithBroker(devstack.BrokerConfig{Partitions: 1}))
			broker := infra.Broker()
			members, meetings := eventbus.Topic("jingkai", "membership"), eventbus.Topic("jingkai", "meetings")
			infra.CreateTopics(members, meetings)
			infra.Publish(members, registered("jingkai", "c1", "active"), hired("jingkai", "g1", "c1", "p1", true),
				hired("jingkai", "g2", "c1", "p2", false), hired("jingkai", "g3", "c1", "p3", true), registered("jingkai", "c2", "active"))
			infra.Publish(meetings,
				meetingsEvent("jingkai", eventsv1.TypeMeetingScheduled, "m1", &eventsv1.MeetingScheduled{Meeting: &eventsv1.Meeting{
					Id: "m1", District: "jingkai", Type: "district_roundtable", Status: "scheduled", Version: 1}}),
				meetingsEvent("jingkai", eventsv1.TypeConventionSigned, "s1", &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
					Id: "s1", District: "jingkai", CompanyId: "c1", ConventionVersion: "2025", Current: true}}))

			dbPath := filepath.Join(t.TempDir(), "hq.db")
			first := startRedeliveryRun(t, dbPath, broker.Addr, "hq-redelivery")
			apitest.Eventually(t, "the 7 events applied", func() bool { return first.eventsApplied(t) == 7 && first.node.CaughtUp() })
			before := first.inbox(t)
			if len(before) != 7 {
				t.Fatalf("inbox after the first run = %v, want 7 ids", before)
			}
			first.stop()

			group := "hq-redelivery"
			if tc.newGroup {
				group = "hq-renamed"
			} else {
				for _, topic := range []string{members, meetings} {
					if err := broker.ResetGroupOffsets(ctx, GroupIDOf(group, topic), topic); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.forgetPositions {
				db, err := storage.OpenSQLite(ctx, dbPath, storageConfigForTests())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(`DELETE FROM eventbus_consumer_position WHERE consumer = 'hq'`); err != nil {
					t.Fatal(err)
				}
				_ = db.Close()
			}

			second := startRedeliveryRun(t, dbPath, broker.Addr, group)
			// One new event per topic, after the ones that may come again.
			g4 := hired("jingkai", "g4", "c2", "p4", true)
			m2 := meetingsEvent("jingkai", eventsv1.TypeMeetingScheduled, "m2", &eventsv1.MeetingScheduled{
				Meeting: &eventsv1.Meeting{Id: "m2", District: "jingkai", Type: "council", Status: "scheduled", Version: 1}})
			infra.Publish(members, g4)
			infra.Publish(meetings, m2)
			apitest.Eventually(t, "both new events in the inbox, HQ caught up", func() bool {
				ids := second.inbox(t)
				return slices.Contains(ids, g4.GetEventId()) && slices.Contains(ids, m2.GetEventId()) && second.node.CaughtUp()
			})

			if got := second.eventsApplied(t); got != 9 {
				t.Errorf("events_applied = %d after the second run, want 9 (7, then the 2 new ones)", got)
			}
			want := slices.Sorted(slices.Values(append(slices.Clone(before), g4.GetEventId(), m2.GetEventId())))
			if got := second.inbox(t); !slices.Equal(got, want) {
				t.Errorf("inbox after the second run = %v, want %v", got, want)
			}
			if got := second.sum(second.bus.ConsumerApplied); got != 2 {
				t.Errorf("the second run applied %v events, want the 2 new ones", got)
			}
			if got := second.sum(second.bus.ConsumerDuplicates); got != tc.redelivered {
				t.Errorf("the second run skipped %v redelivered events, want %v", got, tc.redelivered)
			}
		})
	}
}

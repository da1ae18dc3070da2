package hq

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
)

// TestANewDistrictLeavesTheOtherDistrictsGroupsAlone runs HQ on jingkai,
// then registers caidian: caidian's six consumers join and apply, and none
// of jingkai's consumers joins its group again or syncs a new generation.
// In one group shared by every topic's consumer, caidian's joins would
// rebalance all of jingkai's (each would join again and sync the next
// generation before caidian's could read anything).
func TestANewDistrictLeavesTheOtherDistrictsGroupsAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	const prefix = "hq-isolation"
	infra := apitest.NewEnv(t, apitest.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	broker := infra.Broker()
	groups := broker.WatchGroups()
	districts := []config.District{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}, {ID: "caidian", Name: "Caidian", NameZH: "蔡甸"}}
	groupsOf := func(district string) []string {
		var ids []string
		for _, svc := range ConsumedServices {
			topic := eventbus.Topic(district, svc)
			infra.CreateTopics(topic)
			ids = append(ids, GroupIDOf(prefix, topic))
		}
		return ids
	}
	jingkai, caidian := groupsOf("jingkai"), groupsOf("caidian")
	// Every member of each group synced a generation: joined and assigned.
	synced := func(ids []string) bool {
		for _, id := range ids {
			ms := groups.Members(id)
			if len(ms) == 0 {
				return false
			}
			for _, m := range ms {
				if m.Generation == 0 {
					return false
				}
			}
		}
		return true
	}
	infra.Publish(eventbus.Topic("jingkai", "membership"), registered("jingkai", "c1", "active"))

	reg := &fakeRegistry{initial: districts[:1], updates: make(chan []config.District)}
	node, err := New(context.Background(), Config{DBPath: infra.Path("hq.db"), Storage: storageConfigForTests(),
		Brokers: []string{broker.Addr}, GroupID: prefix},
		Deps{Districts: reg, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	stop := infra.Background("hq", node.Run)
	t.Cleanup(stop)
	companies := func(district string) int {
		var n int
		if err := node.db.QueryRow(`SELECT count(*) FROM hq_companies WHERE district = ?`, district).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	apitest.Eventually(t, "jingkai's company applied, its consumers in their groups, HQ caught up", func() bool {
		return companies("jingkai") == 1 && synced(jingkai) && node.CaughtUp()
	})
	before := map[string]map[string]devstack.GroupMember{}
	for _, id := range jingkai {
		before[id] = groups.Members(id)
		if len(before[id]) != 1 {
			t.Errorf("group %s has members %v, want jingkai's one consumer of the topic", id, before[id])
		}
	}

	infra.Publish(eventbus.Topic("caidian", "membership"), registered("caidian", "c2", "active"))
	select {
	case reg.updates <- districts:
	case <-time.After(10 * time.Second):
		t.Fatal("HQ did not take the registry's update")
	}
	apitest.Eventually(t, "caidian's company applied, its consumers in their groups, HQ caught up", func() bool {
		return companies("caidian") == 1 && synced(caidian) && node.CaughtUp()
	})
	for _, id := range jingkai {
		if after := groups.Members(id); !maps.Equal(after, before[id]) {
			t.Errorf("group %s went through a rebalance when caidian joined: members %v, were %v", id, after, before[id])
		}
	}
	for _, id := range caidian {
		if ms := groups.Members(id); len(ms) != 1 {
			t.Errorf("group %s has members %v, want caidian's one consumer of the topic", id, ms)
		}
	}
}

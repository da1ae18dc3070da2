package hq

import (
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// TestADistrictNewerThanHQIsParkedNotDeadLettered: jingkai runs a release
// with an event type this HQ lacks (GuardTransferred). HQ parks it and the
// later event of the same guard behind it, applies the other guard's,
// dead-letters nothing, and says so: the district's parked events and, from
// its heartbeat, the type it sends that HQ cannot apply. (That an upgraded
// consumer applies them in order, once, is eventbus's
// TestEventsOfATypeTheConsumerLacksAreParkedAndApplyInOrderAfterTheUpgrade.)
func TestADistrictNewerThanHQIsParkedNotDeadLettered(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded etcd and an in-process Kafka broker; skipped in -short")
	}
	env := apitest.NewEnv(t)
	topic := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(topic, eventbus.NodeTopic("jingkai"))
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai"})
	node := startNode(t, env, Deps{Districts: env.Registry()})

	transferred := apitest.Envelope("jingkai", "membership", "GuardTransferred", "guard", "g1", &eventsv1.GuardUpdated{
		Guard: &eventsv1.Guard{Id: "g1", District: "jingkai", CompanyId: "c2", EmploymentStatus: "active", Version: 2}})
	transferred.Sequence = 2
	updated := hired("jingkai", "g1", "c2", "p1", true)
	updated.Type, updated.Sequence = eventsv1.TypeGuardUpdated, 3
	env.Publish(topic, registered("jingkai", "c1", "active"), hired("jingkai", "g1", "c1", "p1", false), transferred, updated,
		hired("jingkai", "g2", "c1", "p2", true))
	payload, err := proto.Marshal(&eventsv1.Heartbeat{District: "jingkai", Service: "membership", Instance: "node-a", Version: "v2",
		Emits:  []*eventsv1.EmittedType{{Type: eventsv1.TypeGuardHired, SchemaVersion: 1}, {Type: "GuardTransferred", SchemaVersion: 1}},
		SentAt: timestamppb.Now(), IntervalSeconds: 15})
	if err != nil {
		t.Fatal(err)
	}
	env.Publish(eventbus.NodeTopic("jingkai"), &eventsv1.Envelope{EventId: "hb-1", District: "jingkai", Service: eventsv1.ServiceNode,
		Type: eventsv1.TypeHeartbeat, AggregateId: "membership/node-a", OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: payload})

	api := serveAsAdmin(t, node)
	var v service.DistrictView
	apitest.Eventually(t, "jingkai's parked events and its heartbeat at HQ", func() bool {
		api.Must(http.StatusOK, "GET", "/api/v1/hq/districts/jingkai", nil, &v)
		return v.GuardsActive == 2 && len(v.Parked) == 2 && len(v.Services) == 1
	})
	if p := v.Parked; p[0].Type != "GuardTransferred" || p[0].Reason != "unknown_type" || p[0].Events != 1 ||
		p[1].Type != eventsv1.TypeGuardUpdated || p[1].Reason != "behind_parked" || p[1].Events != 1 || p[0].Service != "membership" {
		t.Errorf("parked %+v", p)
	}
	// g1 is as it was before the event HQ cannot apply: not certified.
	if v.GuardsCertified != 1 {
		t.Errorf("certified guards = %d, want 1 (g2; g1's update is parked behind the unknown event)", v.GuardsCertified)
	}
	if u := v.Services[0].UnknownTypes; len(u) != 1 || u[0].Type != "GuardTransferred" {
		t.Errorf("unknown types from the heartbeat: %+v", u)
	}
	if dlq := env.Messages(eventbus.DeadLetterTopic(eventbus.HQNode, topic)); len(dlq) != 0 {
		t.Errorf("%d dead letters, want none", len(dlq))
	}

}

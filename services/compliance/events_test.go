package compliance_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

// TestScoreboardFromTheMembershipTopic runs a node consuming a real
// (in-process) Kafka broker: membership's company and guard events keep
// the scoreboard; a redelivered event id carrying something else is
// dropped by the inbox; a guard of another district is dead-lettered with
// its reason, never counted.
func TestScoreboardFromTheMembershipTopic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	infra := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	topic := eventbus.Topic("jingkai", "membership")
	infra.CreateTopics(topic)
	e := newEnvWith(t, compliance.Config{DBPath: infra.Path("compliance.db"), Brokers: []string{infra.Broker().Addr}}, compliance.Deps{})
	infra.Background("compliance node", e.node.Run)

	company := testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyRegistered, "company", "c1",
		&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: "c1", District: "jingkai", Name: "江城保安", Status: "active", Version: 1}})
	g1 := okGuard("g1", "c1")
	h1 := hired(g1)
	// The same event id again carrying a guard who failed its check: a
	// redelivery the inbox must drop, whatever it carries.
	dup := proto.Clone(h1).(*eventsv1.Envelope)
	bad := proto.Clone(g1).(*guard)
	bad.BackgroundCheckStatus = "failed"
	dup.Payload, _ = proto.Marshal(&eventsv1.GuardHired{Guard: bad})
	other := okGuard("x1", "c1")
	other.District = "caidian"
	g2 := okGuard("g2", "c1")
	g2.BadgeService = false
	infra.Publish(topic, company, h1, dup, hired(other), hired(g2))

	testutil.Eventually(t, "g2 is scored", func() bool {
		var c companyScore
		r := e.Do("GET", "/compliance/companies/c1", nil)
		if r.Status != 200 {
			return false
		}
		r.Decode(t, &c)
		return c.Counts.Active == 2
	})
	c := e.company("c1")
	if c.Counts != (counts{Active: 2, BackgroundChecked: 2, Trained: 0, Certified: 2, BadgeService: 1}) {
		t.Fatalf("c1 %+v", c)
	}
	var named struct {
		Name string `json:"name"`
	}
	e.Must(200, "GET", "/compliance/companies/c1", nil, &named)
	if named.Name != "江城保安" {
		t.Fatalf("name %q", named.Name)
	}
	if gs := e.gaps("criterion=badge"); len(gs) != 1 || gs[0].GuardID != "g2" {
		t.Fatalf("gaps %+v", gs)
	}
	dlq := infra.Messages(eventbus.DLQTopic(topic))
	if len(dlq) != 1 {
		t.Fatalf("%d dead letters, want 1 (caidian's guard)", len(dlq))
	}
	var reason string
	for _, h := range dlq[0].Headers {
		if h.Key == "dlq_reason" {
			reason = string(h.Value)
		}
	}
	if reason != string(eventbus.ReasonDistrictMismatch) {
		t.Fatalf("dead letter reason %q", reason)
	}
}

package patrols_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols"
)

func guardEvent(eventID, typ string, g *eventsv1.Guard) *eventsv1.Envelope {
	var m proto.Message
	switch typ {
	case eventsv1.TypeGuardHired:
		m = &eventsv1.GuardHired{Guard: g}
	case eventsv1.TypeCertificateIssued:
		m = &eventsv1.CertificateIssued{Guard: g}
	default:
		m = &eventsv1.GuardUpdated{Guard: g}
	}
	env := testutil.Envelope("jingkai", "membership", typ, "guard", g.GetId(), m)
	env.EventId, env.Sequence = eventID, g.GetVersion()
	return env
}

// TestGuardsFromTheMembershipTopic runs a patrols node consuming a real
// (in-process) Kafka broker: membership's guard events keep its
// projection, which the roster's gate reads; a redelivered event is
// applied once, an older snapshot arriving late changes nothing, and a
// guard of another district is dead-lettered, never projected.
func TestGuardsFromTheMembershipTopic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	infra := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	topic := eventbus.Topic("jingkai", "membership")
	infra.CreateTopics(topic)
	node, err := patrols.New(context.Background(), patrols.Config{
		District: "jingkai", DBPath: infra.Path("patrols.db"), Storage: storage.Config{Synchronous: "normal"}, Brokers: []string{infra.Broker().Addr},
	}, patrols.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	srv := httptest.NewServer(testutil.ValidatedHandler(t, patrols.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), "jingkai"), slog.New(slog.DiscardHandler))))
	t.Cleanup(srv.Close)
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/jingkai"
	infra.Background("patrols node", node.Run)

	g := func(id string, version int64, cert bool) *eventsv1.Guard {
		return &eventsv1.Guard{Id: id, District: "jingkai", CompanyId: "c1", EmploymentStatus: "active", VolunteerPolice: true,
			HasCertificate: cert, CertificateValidUntil: "2099-12-31", BackgroundCheckStatus: "passed", Version: version}
	}
	hired := guardEvent("ev-1", eventsv1.TypeGuardHired, g("k1", 1, false))
	redelivered := proto.Clone(hired).(*eventsv1.Envelope) // same event id, a newer-looking guard: dropped by the inbox
	redelivered.Payload, _ = proto.Marshal(&eventsv1.GuardHired{Guard: g("k1", 9, true)})
	other := g("x1", 1, true)
	other.District = "caidian"
	infra.Publish(topic,
		hired,
		redelivered,
		guardEvent("ev-2", eventsv1.TypeCertificateIssued, g("k1", 3, true)),
		// k1's version 2 (no certificate) arriving late: older than what is held.
		guardEvent("ev-3", eventsv1.TypeGuardUpdated, g("k1", 2, false)),
		guardEvent("ev-4", eventsv1.TypeGuardHired, other),
		// A company event is not the projection's business: settled as is.
		testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyRegistered, "company", "c1",
			&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: "c1", District: "jingkai", Status: "active", Version: 1}}),
		guardEvent("ev-5", eventsv1.TypeGuardHired, g("k2", 1, true)),
	)
	testutil.Eventually(t, "k2 projected", func() bool { return cl.Do("GET", "/guards/k2/eligibility", nil).Status == http.StatusOK })
	var el struct {
		Eligible bool
		Reasons  []string
	}
	cl.Must(http.StatusOK, "GET", "/guards/k1/eligibility", nil, &el)
	if !el.Eligible {
		t.Fatalf("k1 %+v, want eligible at version 3 (certified), not the redelivered 9 nor the late 2", el)
	}
	var version int64
	if err := node.DB().QueryRow(`SELECT version FROM guards WHERE id = 'k1'`).Scan(&version); err != nil || version != 3 {
		t.Fatalf("k1 version %d %v, want 3", version, err)
	}
	if r := cl.Do("GET", "/guards/x1/eligibility", nil); r.Status != http.StatusNotFound || r.ErrorID() != "team.guard_unknown" {
		t.Fatalf("caidian's guard: %d %s", r.Status, r.Body)
	}
	dlq := infra.Messages(eventbus.DLQTopic(topic))
	if len(dlq) != 1 {
		t.Fatalf("%d dead letters, want 1 (the caidian guard)", len(dlq))
	}
}

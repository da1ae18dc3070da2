package meetings_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/meetings"
)

// companyEvent is the envelope of a jingkai membership company event
// carrying company c; its event id is eventID.
func companyEvent(eventID, typ string, c *eventsv1.Company) *eventsv1.Envelope {
	var m proto.Message
	switch typ {
	case eventsv1.TypeCompanyRegistered:
		m = &eventsv1.CompanyRegistered{Company: c}
	case eventsv1.TypeCompanyUpdated:
		m = &eventsv1.CompanyUpdated{Company: c, Fields: []string{"name"}}
	default:
		m = &eventsv1.CompanyStatusChanged{Company: c, ToStatus: c.GetStatus()}
	}
	env := testutil.Envelope("jingkai", "membership", typ, "company", c.GetId(), m)
	env.EventId, env.Sequence = eventID, c.GetVersion()
	return env
}

// TestCompaniesFromTheMembershipTopic runs a meetings node consuming a
// real (in-process) Kafka broker: membership's company events keep its
// projection of the district's companies, which invitations and the
// convention rate read; a redelivered event is applied once, an older
// snapshot arriving late changes nothing, and a company of another
// district is dead-lettered, never projected.
func TestCompaniesFromTheMembershipTopic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	// One partition: the events arrive in the order they are sent.
	infra := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	topic := eventbus.Topic("jingkai", "membership")
	infra.CreateTopics(topic)
	node, err := meetings.New(context.Background(), meetings.Config{
		District: "jingkai", DBPath: infra.Path("meetings.db"), Storage: storage.Config{Synchronous: "normal"},
		DefaultConvention: testConvention, Brokers: []string{infra.Broker().Addr},
	}, meetings.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	srv := httptest.NewServer(testutil.ValidatedHandler(t, meetings.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), "jingkai"), slog.New(slog.DiscardHandler))))
	t.Cleanup(srv.Close)
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/jingkai"
	infra.Background("meetings node", node.Run)

	co := func(id, name, status string, version int64) *eventsv1.Company {
		return &eventsv1.Company{Id: id, District: "jingkai", Name: name, Status: status, Version: version}
	}
	registered := companyEvent("ev-1", eventsv1.TypeCompanyRegistered, co("k1", "江城保安", "applied", 1))
	// The same event id again, carrying what would be a newer company: a
	// redelivery the inbox must drop, whatever it carries.
	redelivered := proto.Clone(registered).(*eventsv1.Envelope)
	redelivered.Payload, _ = proto.Marshal(&eventsv1.CompanyRegistered{Company: co("k1", "重复投递", "lapsed", 9)})
	other := co("x1", "蔡甸保安", "active", 1)
	// k2 is registered active on 2025-08-01 (its snapshot's updated_at):
	// the visit plan counts it from that day.
	k2 := co("k2", "楚天保安", "active", 1)
	k2.UpdatedAt = timestamppb.New(time.Date(2025, 8, 1, 9, 0, 0, 0, cst))
	other.District = "caidian"
	guard, _ := proto.Marshal(&eventsv1.GuardHired{Guard: &eventsv1.Guard{Id: "g1", District: "jingkai", CompanyId: "k1", Version: 1}})
	infra.Publish(topic,
		registered,
		companyEvent("ev-2", eventsv1.TypeCompanyStatusChanged, co("k1", "江城保安", "active", 2)),
		redelivered,
		// A guard event is not the projection's business: settled as is.
		&eventsv1.Envelope{EventId: "ev-3", District: "jingkai", Service: "membership", Type: eventsv1.TypeGuardHired,
			AggregateType: "guard", AggregateId: "g1", Sequence: 1, SchemaVersion: 1, Payload: guard},
		companyEvent("ev-4", eventsv1.TypeCompanyUpdated, co("k1", "江城保安服务有限公司", "active", 3)),
		// k1's version 2 arriving late (another event id): older than what is held.
		companyEvent("ev-5", eventsv1.TypeCompanyUpdated, co("k1", "旧名", "suspended", 2)),
		// A company of caidian on jingkai's topic.
		companyEvent("ev-6", eventsv1.TypeCompanyRegistered, other),
		// Last: k2, so once k2 is projected every event before it was settled.
		companyEvent("ev-7", eventsv1.TypeCompanyRegistered, k2),
	)

	type rate struct {
		Signed, Companies int
		Rate              *float64
	}
	testutil.Eventually(t, "k2 is projected", func() bool {
		var r rate
		cl.Must(http.StatusOK, "GET", "/convention/rate", nil, &r)
		return r.Companies == 2
	})
	var r rate
	cl.Must(http.StatusOK, "GET", "/convention/rate", nil, &r)
	if r.Signed != 0 || r.Rate == nil || *r.Rate != 0 {
		t.Fatalf("rate %+v, want 0 of 2 (k1 and k2 active, none signed)", r)
	}

	var m struct{ ID string }
	cl.Must(http.StatusCreated, "POST", "/meetings", map[string]any{"type": "council", "title": "理事会", "starts_at": meetingStart,
		"ends_at": meetingStart.Add(2 * time.Hour)}, &m)
	var invs struct{ Items []invitation }
	cl.Must(http.StatusCreated, "POST", "/meetings/"+m.ID+"/invitations", map[string]any{"companies": []map[string]string{{"company_id": "k1"}, {"company_id": "k2"}}}, &invs)
	if len(invs.Items) != 2 || invs.Items[0].CompanyName != "江城保安服务有限公司" || invs.Items[1].CompanyName != "楚天保安" {
		t.Fatalf("invitations %+v, want k1 under its version 3 name and k2", invs.Items)
	}
	if resp := cl.Do("POST", "/meetings/"+m.ID+"/invitations", map[string]any{"companies": []map[string]string{{"company_id": "x1"}}}); resp.Status != http.StatusNotFound || resp.ErrorID() != "company.not_found" {
		t.Fatalf("caidian's company: %d %s, want 404 company.not_found", resp.Status, resp.Body)
	}
	var rows []string
	qr, err := node.DB().Query(`SELECT id || ' ' || name || ' ' || status || ' ' || version FROM companies ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer qr.Close()
	for qr.Next() {
		var s string
		if err := qr.Scan(&s); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, s)
	}
	if want := []string{"k1 江城保安服务有限公司 active 3", "k2 楚天保安 active 1"}; len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("projection %q, want %q", rows, want)
	}
	// k2 became active on its snapshot's updated_at; k1's snapshots carry
	// none, so it counts as active all along.
	var un struct {
		Companies []struct {
			CompanyID   string `json:"company_id"`
			ActiveSince string `json:"active_since"`
		}
	}
	cl.Must(http.StatusOK, "GET", "/field-visits/unvisited", nil, &un)
	if len(un.Companies) != 2 || un.Companies[0].CompanyID != "k1" || un.Companies[0].ActiveSince != "" ||
		un.Companies[1].CompanyID != "k2" || un.Companies[1].ActiveSince != "2025-08-01" {
		t.Fatalf("unvisited %+v, want k1 active all along and k2 since 2025-08-01", un.Companies)
	}
	// caidian's company went to the dead letters with its reason.
	dlq := infra.Messages(eventbus.DLQTopic(topic))
	if len(dlq) != 1 {
		t.Fatalf("%d dead letters, want 1 (the caidian company)", len(dlq))
	}
	var reason string
	for _, h := range dlq[0].Headers {
		if h.Key == "dlq_reason" {
			reason = string(h.Value)
		}
	}
	if reason != string(eventbus.ReasonDistrictMismatch) {
		t.Fatalf("dead letter reason %q, want %s", reason, eventbus.ReasonDistrictMismatch)
	}
}

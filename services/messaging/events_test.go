package messaging_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

// TestEveryMessagingEventMessageHasItsTypeConstant holds the messaging
// type constants (types.go) to the event messages of messaging.proto: its
// top-level messages no other message of the file uses as a field.
func TestEveryMessagingEventMessageHasItsTypeConstant(t *testing.T) {
	file := eventsv1.File_guildhall_events_v1_messaging_proto
	msgs := file.Messages()
	used := map[protoreflect.FullName]bool{}
	for i := range msgs.Len() {
		fs := msgs.Get(i).Fields()
		for j := range fs.Len() {
			if m := fs.Get(j).Message(); m != nil {
				used[m.FullName()] = true
			}
		}
	}
	var want []string
	for i := range msgs.Len() {
		if m := msgs.Get(i); !used[m.FullName()] {
			want = append(want, string(m.Name()))
		}
	}
	got := eventsv1.MessagingTypes()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("type constants %v, event messages %v", got, want)
	}
}

// TestCompaniesComeFromTheMembershipTopic: a district node keeps its
// projection of the district's companies from membership's events (status
// and level), so a notice reaches the district's active companies as
// membership last reported them; an older snapshot never replaces a newer.
func TestCompaniesComeFromTheMembershipTopic(t *testing.T) {
	env := testutil.NewEnv(t)
	topic := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(topic, eventbus.Topic("jingkai", "messaging"), messaging.DirectivesTopic)
	e := newEnvAt(t, env)
	event := func(id, typ string, c *eventsv1.Company) *eventsv1.Envelope {
		var m proto.Message
		switch typ {
		case eventsv1.TypeCompanyRegistered:
			m = &eventsv1.CompanyRegistered{Company: c}
		default:
			m = &eventsv1.CompanyStatusChanged{Company: c}
		}
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return &eventsv1.Envelope{EventId: id, District: "jingkai", Service: "membership", Type: typ, AggregateType: "company",
			AggregateId: c.GetId(), Sequence: c.GetVersion(), OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: b}
	}
	env.Publish(topic,
		event("0190aaaa-0000-7000-8000-0000000000a1", eventsv1.TypeCompanyRegistered, &eventsv1.Company{Id: "m1", District: "jingkai", Name: "新公司", Status: "active", Level: "council", Version: 1}),
		event("0190aaaa-0000-7000-8000-0000000000a2", eventsv1.TypeCompanyRegistered, &eventsv1.Company{Id: "m2", District: "jingkai", Name: "另一公司", Status: "active", Level: "member", Version: 2}),
		// An older snapshot of m2 arrives late: it must not roll m2 back.
		event("0190aaaa-0000-7000-8000-0000000000a3", eventsv1.TypeCompanyStatusChanged, &eventsv1.Company{Id: "m2", District: "jingkai", Name: "另一公司", Status: "lapsed", Level: "member", Version: 1}),
	)
	testutil.Eventually(t, "the membership events to reach the projection", func() bool {
		var n int
		_ = e.node.DB().DB.QueryRow(`SELECT count(*) FROM companies WHERE id IN ('m1','m2')`).Scan(&n)
		return n == 2
	})
	testutil.Eventually(t, "the late event to be settled", func() bool {
		var n int
		_ = e.node.DB().DB.QueryRow(`SELECT count(*) FROM eventbus_inbox WHERE event_id LIKE '0190aaaa-%'`).Scan(&n)
		return n == 3
	})
	b := e.noticeBody()
	b["audience"] = map[string]any{"kind": "companies", "company_ids": []string{"m1", "m2"}}
	e.publish(b)
	b["audience"] = map[string]any{"kind": "role", "role": "council"}
	// The council: c1, c2 of the test register and m1 from the topic.
	if n := e.publish(b); n.Recipients != 3 {
		t.Fatalf("a notice to the council reached %d companies, want 3", n.Recipients)
	}
	var status string
	_ = e.node.DB().DB.QueryRow(`SELECT status FROM companies WHERE id = 'm2'`).Scan(&status)
	if status != "active" {
		t.Fatalf("m2 is %q after an older snapshot, want active", status)
	}
}

// TestGuardsComeFromTheMembershipTopic: the guards an offer is checked
// against are membership's: hired, certified (valid through the window's
// last day), left; an older snapshot never replaces a newer.
func TestGuardsComeFromTheMembershipTopic(t *testing.T) {
	env := testutil.NewEnv(t)
	topic := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(topic, eventbus.Topic("jingkai", "messaging"), messaging.DirectivesTopic)
	e := newEnvAt(t, env)
	n := 0
	event := func(typ string, g *eventsv1.Guard) *eventsv1.Envelope {
		var m proto.Message
		switch typ {
		case eventsv1.TypeGuardHired:
			m = &eventsv1.GuardHired{Guard: g}
		case eventsv1.TypeCertificateIssued:
			m = &eventsv1.CertificateIssued{Guard: g}
		default:
			m = &eventsv1.GuardLeft{Guard: g}
		}
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		n++
		return &eventsv1.Envelope{EventId: fmt.Sprintf("0190bbbb-0000-7000-8000-%012d", n), District: "jingkai", Service: "membership", Type: typ,
			AggregateType: "guard", AggregateId: g.GetId(), Sequence: g.GetVersion(), OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: b}
	}
	g := func(id string, version int64, status string, cert bool, until string) *eventsv1.Guard {
		return &eventsv1.Guard{Id: id, District: "jingkai", CompanyId: "c2", EmploymentStatus: status, HasCertificate: cert,
			CertificateValidUntil: until, Version: version}
	}
	env.Publish(topic,
		event(eventsv1.TypeGuardHired, g("g1", 1, "active", false, "")),
		event(eventsv1.TypeCertificateIssued, g("g1", 2, "active", true, "2030-01-01")),
		event(eventsv1.TypeGuardHired, g("g2", 1, "active", false, "")),
		event(eventsv1.TypeCertificateIssued, g("g2", 2, "active", true, "")),
		event(eventsv1.TypeGuardLeft, g("g2", 3, "left", true, "")),
		// g2's hiring again, late: it must not bring g2 back.
		event(eventsv1.TypeGuardHired, g("g2", 2, "active", true, "")),
		event(eventsv1.TypeCertificateIssued, g("g3", 1, "active", true, "2025-09-23")), // lapses before the event
	)
	testutil.Eventually(t, "the guard events to be settled", func() bool {
		var c int
		_ = e.node.DB().DB.QueryRow(`SELECT count(*) FROM eventbus_inbox WHERE event_id LIKE '0190bbbb-%'`).Scan(&c)
		return c == 7
	})
	var r aidRequest
	e.Must(201, "POST", "/aid/requests", aidBody(e.clock.now()), &r, lead...)
	var av struct{ Qualified int }
	e.Must(200, "GET", "/aid/requests/"+r.ID+"/availability", nil, &av, companyAdmin("c2")...)
	if av.Qualified != 1 {
		t.Fatalf("c2 has %d qualified guards, want g1 alone", av.Qualified)
	}
}

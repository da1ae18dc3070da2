package membership_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership/internal/transport"
)

var signedAt = time.Date(2025, 9, 23, 10, 30, 0, 0, time.UTC)

// signature is the envelope of a ConventionSigned event of jingkai's
// meetings service.
func signature(eventID, sigID, companyID, version string, current bool, at time.Time) *eventsv1.Envelope {
	b, err := proto.Marshal(&eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
		Id: sigID, District: "jingkai", CompanyId: companyID, ConventionVersion: version, SignedBy: "张总",
		SignedAt: timestamppb.New(at), MeetingId: "m1", Current: current,
	}})
	if err != nil {
		panic(err)
	}
	return &eventsv1.Envelope{EventId: eventID, District: "jingkai", Service: transport.MeetingsService,
		Type: eventsv1.TypeConventionSigned, AggregateType: "convention_signature", AggregateId: sigID, Sequence: 1,
		OccurredAt: timestamppb.New(at), SchemaVersion: 1, Payload: b}
}

// TestConventionSignaturesFromTheMeetingsTopic runs a node consuming a
// real (in-process) Kafka broker: a ConventionSigned of the current version
// sets the company's convention_version through a CompanyUpdated in the
// outbox, audited as the meetings events; a signature of a version that was
// not current, one of an unknown company, an older signature arriving late
// and a redelivered event change nothing.
func TestConventionSignaturesFromTheMeetingsTopic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	// One partition: the events below arrive in the order they are sent.
	infra := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	topic := eventbus.Topic("jingkai", transport.MeetingsService)
	infra.CreateTopics(topic)
	e := openEnvBrokers(t, infra.Path("membership.db"), keyring(t, "k1"), []string{infra.Broker().Addr})
	c1, c2 := e.activeCompany(1), e.activeCompany(2)
	seq := e.lastSeq()
	var lastAudit int64
	if rows := e.audits(0); len(rows) > 0 {
		lastAudit = rows[len(rows)-1].ID
	}
	e.runNode()

	meeting, _ := proto.Marshal(&eventsv1.MeetingScheduled{Meeting: &eventsv1.Meeting{Id: "m1", District: "jingkai",
		Type: "district_roundtable", Status: "scheduled", Version: 1}})
	first := signature("ev-1", "s1", c1.ID, "2025", true, signedAt)
	envs := []*eventsv1.Envelope{
		// Another meetings event: not membership's business, settled as is.
		{EventId: "ev-0", District: "jingkai", Service: transport.MeetingsService, Type: eventsv1.TypeMeetingScheduled, AggregateId: "m1",
			Sequence: 1, OccurredAt: timestamppb.New(signedAt), Payload: meeting},
		first,
		// The same event delivered again.
		proto.Clone(first).(*eventsv1.Envelope),
		// c2 signed a version that was not the current one.
		signature("ev-2", "s2", c2.ID, "2026-draft", false, signedAt),
		// A company this district does not know.
		signature("ev-3", "s3", "no-such-company", "2025", true, signedAt),
		// c1's older signature of the previous version, arriving late.
		signature("ev-4", "s4", c1.ID, "2024", true, signedAt.Add(-365*24*time.Hour)),
		// Last: c2 signs the current version, so once c2 shows it every
		// event before it (one key, one partition, in order) was settled.
		signature("ev-5", "s5", c2.ID, "2025", true, signedAt.Add(time.Hour)),
	}
	// The registrations above woke the relay (nobody runs one here);
	// from now on only an applied ConventionSigned may.
	wake := e.node.Outbox().Wake()
	select {
	case <-wake:
	default:
	}
	infra.Publish(topic, envs...)

	getCompany := func(id string) company {
		var c company
		e.Must(http.StatusOK, "GET", "/companies/"+id, nil, &c)
		return c
	}
	deadline := time.Now().Add(30 * time.Second)
	for getCompany(c2.ID).ConventionVersion != "2025" {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for c2's signature to be applied")
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for an outcome
	}

	// The CompanyUpdated events were appended in the consumer's own
	// transaction, which the outbox cannot see: the relay must be woken
	// once it committed, by the event type's constant.
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("applying ConventionSigned never woke the relay")
	}

	got1 := getCompany(c1.ID)
	if got1.ConventionVersion != "2025" || got1.Version != c1.Version+1 {
		t.Errorf("c1 = version %d convention %q, want %d and 2025 (applied once, the late 2024 signature ignored)",
			got1.Version, got1.ConventionVersion, c1.Version+1)
	}
	if got2 := getCompany(c2.ID); got2.Version != c2.Version+1 {
		t.Errorf("c2 version = %d, want %d (only the current signature changed it)", got2.Version, c2.Version+1)
	}

	evs := e.events(seq)
	if len(evs) != 2 {
		t.Fatalf("%d events in the outbox after the signatures, want 2 CompanyUpdated", len(evs))
	}
	for i, want := range []company{c1, c2} {
		var u eventsv1.CompanyUpdated
		if evs[i].Type != "CompanyUpdated" || evs[i].Envelope.GetService() != "membership" {
			t.Fatalf("event %d = %s of %s", i, evs[i].Type, evs[i].Envelope.GetService())
		}
		if err := proto.Unmarshal(evs[i].Envelope.GetPayload(), &u); err != nil {
			t.Fatal(err)
		}
		if u.GetCompany().GetId() != want.ID || u.GetCompany().GetConventionVersion() != "2025" ||
			!slices.Equal(u.GetFields(), []string{"convention_version"}) || evs[i].Envelope.GetSequence() != want.Version+1 {
			t.Errorf("event %d = %v fields %v seq %d", i, u.GetCompany(), u.GetFields(), evs[i].Envelope.GetSequence())
		}
	}

	rows := e.audits(lastAudit)
	if len(rows) != 2 {
		t.Fatalf("audit rows = %+v, want 2", rows)
	}
	for i, want := range []string{c1.ID, c2.ID} {
		r := rows[i]
		if r.Subject != "system:meetings-events" || r.ResourceID != want || r.Resource != "company" ||
			!slices.Equal(r.FieldsChanged, []string{"convention_version"}) {
			t.Errorf("audit row %d = %+v", i, r)
		}
	}
}

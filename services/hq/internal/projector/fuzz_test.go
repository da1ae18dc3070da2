package projector_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/hq/internal/projector"
)

// fuzzTypes are the event types HQ applies, and one it does not know.
var fuzzTypes = []string{
	"membership.CompanyRegistered", "membership.CompanyStatusChanged", "membership.CompanyUpdated",
	"membership.GuardHired", "membership.GuardUpdated", "membership.GuardLeft", "membership.TrainingRecorded",
	"membership.BackgroundCheckRecorded", "membership.CertificateIssued",
	"membership.CouncilMemberAppointed", "membership.CouncilMemberUpdated",
	"meetings.MeetingScheduled", "meetings.MeetingUpdated", "meetings.MeetingStatusChanged",
	"meetings.AttendanceRecorded", "meetings.MinutesPublished", "meetings.ActionItemCreated",
	"meetings.ActionItemStatusChanged", "meetings.ActionItemReminder", "meetings.ResolutionAdopted",
	"meetings.ConventionSigned", "membership.NoSuchEvent",
}

// FuzzApplyEnvelope decodes arbitrary bytes as an event envelope, as the
// consumer does, and applies it; and applies an envelope of every known
// type around an arbitrary payload. Whatever arrives, Apply never panics
// and fails only with a rejection (eventbus.Reject): a transient error for a poison event
// would have the consumer retry it forever instead of dead-lettering it.
func FuzzApplyEnvelope(f *testing.F) {
	db, st := open(f)
	p := projector.New(st, nil, nil)
	good, _ := proto.Marshal(guard("jingkai", "g1", "c1", "h1", "active", 1))
	f.Add(good, uint8(3), []byte{}, "jingkai", int64(1))
	companyEv, _ := proto.Marshal(company("jingkai", "c1", "active", 1, true, false, true, "2025-1"))
	f.Add(companyEv, uint8(0), []byte{0x0a, 0x02, 0x08, 0x01}, "caidian", int64(-1))
	f.Add([]byte{0xff, 0xff}, uint8(20), []byte{0x0a, 0x80}, "", int64(1<<62))
	ctx := context.Background()
	apply := func(t *testing.T, env *eventsv1.Envelope) {
		t.Helper()
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := p.Apply(ctx, tx, env)
			return err
		})
		if _, reject := eventbus.IsRejected(err); err != nil && !reject {
			t.Fatalf("%s.%s: a transient error for an event that can never apply: %v", env.GetService(), env.GetType(), err)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, typ uint8, payload []byte, district string, seq int64) {
		env := &eventsv1.Envelope{}
		if err := proto.Unmarshal(raw, env); err == nil {
			apply(t, env)
		}
		svc, name := splitType(fuzzTypes[int(typ)%len(fuzzTypes)])
		apply(t, &eventsv1.Envelope{EventId: "fuzz", District: district, Service: svc, Type: name, AggregateId: "a1",
			Sequence: seq, OccurredAt: timestamppb.New(time.Unix(seq%(1<<40), 0)), SchemaVersion: 1, Payload: payload})
	})
}

func splitType(s string) (string, string) {
	for i := range len(s) {
		if s[i] == '.' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

package projector_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// menv is an envelope of district's meetings service.
func menv(district, typ, aggID string, at time.Time, payload proto.Message) *eventsv1.Envelope {
	e := env(district, typ, aggID, 0, at, payload)
	e.Service = "meetings"
	e.EventId = "m-" + typ + "-" + aggID + "-" + at.Format(time.RFC3339Nano)
	return e
}

// meeting is a meeting snapshot of version v, updated v minutes after t0.
func meeting(district, id, typ, status string, v int64, ic, ac, ip, ap int32) *eventsv1.Meeting {
	return &eventsv1.Meeting{Id: id, District: district, Type: typ, Title: "会议" + id, Status: status,
		StartsAt: timestamppb.New(t0), InvitedCompanies: ic, AttendedCompanies: ac, InvitedPeople: ip, AttendedPeople: ap,
		Version: v, UpdatedAt: timestamppb.New(t0.Add(time.Duration(v) * time.Minute))}
}

func item(district, id, status, due string, v int64) *eventsv1.ActionItem {
	return &eventsv1.ActionItem{Id: id, District: district, ResolutionId: "r1", MeetingId: "m1", Title: "部署" + id,
		OwnerKind: "company", OwnerCompanyId: "c1", DueOn: due, Status: status, Version: v,
		UpdatedAt: timestamppb.New(t0.Add(time.Duration(v) * time.Minute))}
}

func signed(district, id, company, version string, current bool) *eventsv1.Envelope {
	return menv(district, "ConventionSigned", id, t0, &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
		Id: id, District: district, CompanyId: company, ConventionVersion: version, Current: current,
		SignedAt: timestamppb.New(t0), MeetingId: "m1"}})
}

// TestMeetingsEvents applies each meetings event type (and older or
// repeated snapshots) and checks the district's tallies: every meetings
// event carries a snapshot, so the newest version wins in any order.
func TestMeetingsEvents(t *testing.T) {
	t.Parallel()
	const today = "2025-10-01"
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	held := func(kv ...any) map[string]int64 {
		m := map[string]int64{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = int64(kv[i+1].(int))
		}
		return m
	}
	rt := service.MeetingDistrictRoundtable
	tests := []struct {
		name   string
		events []*eventsv1.Envelope
		want   service.MeetingCounts
	}{
		{"A scheduled meeting is not held yet.", []*eventsv1.Envelope{
			menv("jingkai", "MeetingScheduled", "m1", at(1), &eventsv1.MeetingScheduled{Meeting: meeting("jingkai", "m1", rt, "scheduled", 1, 10, 0, 3, 0)}),
		}, service.MeetingCounts{Held: held()}},
		{"A closed meeting counts by type with its attendance.", []*eventsv1.Envelope{
			menv("jingkai", "MeetingScheduled", "m1", at(1), &eventsv1.MeetingScheduled{Meeting: meeting("jingkai", "m1", rt, "scheduled", 1, 10, 0, 3, 0)}),
			menv("jingkai", "AttendanceRecorded", "m1", at(2), &eventsv1.AttendanceRecorded{Meeting: meeting("jingkai", "m1", rt, "in_progress", 2, 10, 8, 3, 2)}),
			menv("jingkai", "MeetingStatusChanged", "m1", at(3), &eventsv1.MeetingStatusChanged{Meeting: meeting("jingkai", "m1", rt, "closed", 3, 10, 8, 3, 2), ToStatus: "closed"}),
			menv("jingkai", "MeetingUpdated", "m2", at(3), &eventsv1.MeetingUpdated{Meeting: meeting("jingkai", "m2", service.MeetingCouncil, "closed", 1, 4, 4, 0, 0)}),
		}, service.MeetingCounts{Held: held(rt, 1, service.MeetingCouncil, 1), InvitedCompanies: 14, AttendedCompanies: 12, InvitedPeople: 3, AttendedPeople: 2}},
		{"Minutes published carry the closed snapshot.", []*eventsv1.Envelope{
			menv("jingkai", "MinutesPublished", "m1", at(4), &eventsv1.MinutesPublished{Meeting: meeting("jingkai", "m1", service.MeetingDistrictWorking, "closed", 4, 2, 1, 0, 0), MinutesVersion: 1}),
		}, service.MeetingCounts{Held: held(service.MeetingDistrictWorking, 1), InvitedCompanies: 2, AttendedCompanies: 1}},
		{"An older meeting snapshot after a newer one is ignored.", []*eventsv1.Envelope{
			menv("jingkai", "MeetingStatusChanged", "m1", at(3), &eventsv1.MeetingStatusChanged{Meeting: meeting("jingkai", "m1", rt, "closed", 3, 10, 8, 3, 2)}),
			menv("jingkai", "AttendanceRecorded", "m1", at(2), &eventsv1.AttendanceRecorded{Meeting: meeting("jingkai", "m1", rt, "in_progress", 2, 10, 5, 3, 1)}),
		}, service.MeetingCounts{Held: held(rt, 1), InvitedCompanies: 10, AttendedCompanies: 8, InvitedPeople: 3, AttendedPeople: 2}},
		{"Attendance of the same meeting version updated later replaces the tallies.", []*eventsv1.Envelope{
			menv("jingkai", "AttendanceRecorded", "m1", at(2), &eventsv1.AttendanceRecorded{Meeting: func() *eventsv1.Meeting {
				m := meeting("jingkai", "m1", rt, "closed", 3, 10, 7, 3, 2)
				m.UpdatedAt = timestamppb.New(at(9))
				return m
			}()}),
			menv("jingkai", "MeetingStatusChanged", "m1", at(3), &eventsv1.MeetingStatusChanged{Meeting: meeting("jingkai", "m1", rt, "closed", 3, 10, 6, 3, 2)}),
		}, service.MeetingCounts{Held: held(rt, 1), InvitedCompanies: 10, AttendedCompanies: 7, InvitedPeople: 3, AttendedPeople: 2}},
		{"Action items count by status; open ones due before today are overdue.", []*eventsv1.Envelope{
			menv("jingkai", "ActionItemCreated", "a1", at(1), &eventsv1.ActionItemCreated{Item: item("jingkai", "a1", "open", "2025-09-30", 1)}),
			menv("jingkai", "ActionItemCreated", "a2", at(1), &eventsv1.ActionItemCreated{Item: item("jingkai", "a2", "open", today, 1)}),
			menv("jingkai", "ActionItemCreated", "a3", at(1), &eventsv1.ActionItemCreated{Item: item("jingkai", "a3", "open", "2025-09-01", 1)}),
			menv("jingkai", "ActionItemStatusChanged", "a3", at(2), &eventsv1.ActionItemStatusChanged{Item: item("jingkai", "a3", "done", "2025-09-01", 2)}),
			menv("jingkai", "ActionItemCreated", "a4", at(1), &eventsv1.ActionItemCreated{Item: item("jingkai", "a4", "open", "2025-09-01", 1)}),
			menv("jingkai", "ActionItemStatusChanged", "a4", at(3), &eventsv1.ActionItemStatusChanged{Item: item("jingkai", "a4", "accepted", "2025-09-01", 3)}),
			menv("jingkai", "ActionItemReminder", "a1", at(4), &eventsv1.ActionItemReminder{Item: item("jingkai", "a1", "open", "2025-09-30", 1), Overdue: true, Days: 1}),
		}, service.MeetingCounts{Held: held(), ActionItemsOpen: 2, ActionItemsOverdue: 1, ActionItemsDone: 1, ActionItemsAccepted: 1}},
		{"An older action item snapshot (a late reminder) does not reopen it.", []*eventsv1.Envelope{
			menv("jingkai", "ActionItemStatusChanged", "a1", at(2), &eventsv1.ActionItemStatusChanged{Item: item("jingkai", "a1", "done", "2025-09-01", 2)}),
			menv("jingkai", "ActionItemReminder", "a1", at(1), &eventsv1.ActionItemReminder{Item: item("jingkai", "a1", "open", "2025-09-01", 1), Overdue: true}),
		}, service.MeetingCounts{Held: held(), ActionItemsDone: 1}},
		{"A resolution is counted once however often it arrives.", []*eventsv1.Envelope{
			menv("jingkai", "ResolutionAdopted", "r1", at(1), &eventsv1.ResolutionAdopted{Id: "r1", District: "jingkai", MeetingId: "m1", Title: "四个部署", ActionItems: 4}),
			menv("jingkai", "ResolutionAdopted", "r1", at(2), &eventsv1.ResolutionAdopted{Id: "r1", District: "jingkai", MeetingId: "m1", Title: "四个部署", ActionItems: 4}),
		}, service.MeetingCounts{Held: held(), Resolutions: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			mustApply(t, db, p, tt.events...)
			got, err := st.Meetings(context.Background(), today)
			if err != nil {
				t.Fatal(err)
			}
			g := got["jingkai"]
			if g.Held == nil {
				g.Held = map[string]int64{}
			}
			if !reflect.DeepEqual(g, tt.want) {
				t.Errorf("jingkai = %+v\nwant      %+v", g, tt.want)
			}
		})
	}
}

// TestConventionSigners checks which signatures count for a version: only
// active companies', only signatures made while the version was current,
// each company once.
func TestConventionSigners(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	mustApply(t, db, p,
		company("jingkai", "c1", "active", 1, false, false, false, ""),
		company("jingkai", "c2", "active", 1, false, false, false, ""),
		company("jingkai", "c3", "active", 1, false, false, false, ""),
		company("jingkai", "c4", "suspended", 1, false, false, false, ""),
		company("caidian", "c5", "active", 1, false, false, false, ""),
		signed("jingkai", "s1", "c1", "2025", true),
		signed("jingkai", "s1b", "c1", "2025", true), // signed twice: counts once
		signed("jingkai", "s2", "c2", "2024", true),  // an old version
		signed("jingkai", "s3", "c3", "2025", false), // signed before 2025 was current
		signed("jingkai", "s4", "c4", "2025", true),  // not active
		signed("caidian", "s5", "c5", "2025", true),
	)
	got, err := st.ConventionSigners(context.Background(), "2025")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"jingkai": 1, "caidian": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("signers of 2025 = %v, want %v", got, want)
	}
	got, err = st.ConventionSigners(context.Background(), "2024")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"jingkai": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("signers of 2024 = %v, want %v", got, want)
	}
}

func TestMeetingsRejects(t *testing.T) {
	t.Parallel()
	foreign := menv("jingkai", "MeetingScheduled", "m1", t0, &eventsv1.MeetingScheduled{Meeting: meeting("caidian", "m1", "council", "scheduled", 1, 0, 0, 0, 0)})
	noItem := menv("jingkai", "ActionItemCreated", "a1", t0, &eventsv1.ActionItemCreated{})
	noSig := menv("jingkai", "ConventionSigned", "s1", t0, &eventsv1.ConventionSigned{})
	unknown := menv("jingkai", "MeetingExploded", "m1", t0, &eventsv1.MeetingScheduled{})
	// A membership event type under the meetings service is unknown there.
	crossed := menv("jingkai", "CompanyUpdated", "c1", t0, &eventsv1.CompanyUpdated{})
	for _, tc := range []struct {
		env    *eventsv1.Envelope
		reason eventbus.Reason
	}{
		{foreign, eventbus.ReasonDistrictMismatch},
		{noItem, eventbus.ReasonBadPayload},
		{noSig, eventbus.ReasonBadPayload},
		{unknown, eventbus.ReasonUnknownType},
		{crossed, eventbus.ReasonUnknownType},
	} {
		db, st := open(t)
		p := projector.New(st, nil, nil)
		if reason, ok := eventbus.IsRejected(apply(t, db, p, tc.env)[0]); !ok || reason != tc.reason {
			t.Errorf("%s: reject %q %v, want %q", tc.env.GetType(), reason, ok, tc.reason)
		}
	}
}

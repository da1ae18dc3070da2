package hq

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

func meetingsEvent(district, typ, id string, m proto.Message) *eventsv1.Envelope {
	return apitest.Envelope(district, "meetings", typ, "", id, m)
}

// TestIntegrationMeetings runs HQ against a real embedded etcd and an
// in-process Kafka broker: a district's meetings events and its membership
// events, on their two topics, make the district view's attendance,
// overdue action items, convention signature rate (against the current
// version in etcd) and roundtable timeliness (against the cadence in etcd),
// and a new convention version published in etcd applies without restart.
func TestIntegrationMeetings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded etcd and an in-process Kafka broker; skipped in -short")
	}
	env := apitest.NewEnv(t)
	members, meetings := eventbus.Topic("jingkai", "membership"), eventbus.Topic("jingkai", "meetings")
	env.CreateTopics(members, meetings)
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai", NameZH: "经开"})
	env.Put(ConventionKey, `{"version":"2025","title":"武汉市保安行业自律公约","text":"……","published_at":"2025-09-01T00:00:00+08:00"}`)
	env.Put(CadenceKey("jingkai"), `{"per":"month","count":1}`)

	reg := prometheus.NewPedanticRegistry()
	node := startNode(t, env, Deps{Districts: env.Registry(), Bus: eventbus.NewMetrics(reg), Registerer: reg, Etcd: env.Etcd().Client})
	env.Publish(members, registered("jingkai", "c1", "active"), registered("jingkai", "c2", "active"))
	// The roundtable started at the start of this month (Shanghai), so it
	// is in the current period whenever the test runs.
	monthStart, _ := service.Period(service.PerMonth, time.Now())
	started := timestamppb.New(monthStart)
	yesterday := time.Now().In(service.Shanghai).AddDate(0, 0, -1).Format(time.DateOnly)
	env.Publish(meetings,
		meetingsEvent("jingkai", "MeetingStatusChanged", "m1", &eventsv1.MeetingStatusChanged{Meeting: &eventsv1.Meeting{
			Id: "m1", District: "jingkai", Type: "district_roundtable", Title: "片区行业圆桌会", Status: "closed",
			StartsAt: started, InvitedCompanies: 4, AttendedCompanies: 3, InvitedPeople: 2, AttendedPeople: 2, Version: 4},
			FromStatus: "in_progress", ToStatus: "closed"}),
		meetingsEvent("jingkai", "ActionItemCreated", "a1", &eventsv1.ActionItemCreated{Item: &eventsv1.ActionItem{
			Id: "a1", District: "jingkai", ResolutionId: "r1", MeetingId: "m1", Title: "岗位责任清单", OwnerKind: "company",
			OwnerCompanyId: "c1", DueOn: yesterday, Status: "open", Version: 1}}),
		meetingsEvent("jingkai", "ActionItemCreated", "a2", &eventsv1.ActionItemCreated{Item: &eventsv1.ActionItem{
			Id: "a2", District: "jingkai", ResolutionId: "r1", MeetingId: "m1", Title: "义警队伍", OwnerKind: "district",
			DueOn: "2099-12-31", Status: "open", Version: 1}}),
		meetingsEvent("jingkai", "ConventionSigned", "s1", &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
			Id: "s1", District: "jingkai", CompanyId: "c1", ConventionVersion: "2025", Current: true}}),
		meetingsEvent("jingkai", "ConventionSigned", "s2", &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
			Id: "s2", District: "jingkai", CompanyId: "c2", ConventionVersion: "2024", Current: true}}),
	)

	getJSON := serveAsAdmin(t, node).Object
	apitest.Eventually(t, "jingkai's meetings at HQ", func() bool {
		d := getJSON("/api/v1/hq/districts/jingkai")
		rt, _ := d["roundtables"].(map[string]any)
		return d["companies_active"] == 2.0 && d["company_attendance_rate"] == 0.75 && d["action_items_overdue"] == 1.0 &&
			d["convention_signature_rate"] == 0.5 && rt != nil && rt["held"] == 1.0
	})
	d := getJSON("/api/v1/hq/districts/jingkai")
	rt := d["roundtables"].(map[string]any)
	if d["person_attendance_rate"] != 1.0 || d["action_items_open"] != 2.0 || d["convention_current_version"] != "2025" ||
		rt["expected"] != 1.0 || rt["on_track"] != true || rt["per"] != "month" {
		t.Errorf("jingkai = %v", d)
	}
	items := getJSON("/api/v1/hq/districts/jingkai/action-items?overdue=true")
	if list, _ := items["items"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != "a1" {
		t.Errorf("overdue action items = %v", items)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP guildhall_hq_district_action_items_overdue Open action items of the district due before today (Asia/Shanghai).
# TYPE guildhall_hq_district_action_items_overdue gauge
guildhall_hq_district_action_items_overdue{district="jingkai"} 1
# HELP guildhall_hq_district_convention_signature_rate Active companies of the district that signed the current convention version, 0..1; absent when the current version is unknown.
# TYPE guildhall_hq_district_convention_signature_rate gauge
guildhall_hq_district_convention_signature_rate{district="jingkai"} 0.5
# HELP guildhall_hq_district_roundtables_on_track 1 when the district held its expected roundtables in the current period; absent without a cadence.
# TYPE guildhall_hq_district_roundtables_on_track gauge
guildhall_hq_district_roundtables_on_track{district="jingkai"} 1
`), "guildhall_hq_district_action_items_overdue", "guildhall_hq_district_convention_signature_rate",
		"guildhall_hq_district_roundtables_on_track"); err != nil {
		t.Error(err)
	}

	// A new convention version: nobody has signed it yet. A stricter
	// cadence: one roundtable is no longer enough.
	env.Put(ConventionKey, `{"version":"2026","title":"武汉市保安行业自律公约（修订）","text":"……","published_at":"2026-01-01T00:00:00+08:00"}`)
	env.Put(CadenceKey("jingkai"), `{"per":"month","count":2}`)
	apitest.Eventually(t, "the new policy applied", func() bool {
		d := getJSON("/api/v1/hq/districts/jingkai")
		rt, _ := d["roundtables"].(map[string]any)
		return d["convention_current_version"] == "2026" && d["convention_signature_rate"] == 0.0 &&
			rt != nil && rt["on_track"] == false && rt["expected"] == 2.0
	})
	s := getJSON("/api/v1/hq/summary")
	if s["action_items_overdue"] != 1.0 || s["convention_signature_rate"] != 0.0 || s["company_attendance_rate"] != 0.75 {
		t.Errorf("summary = %v", s)
	}
	apitest.Eventually(t, "HQ caught up on both topics", node.CaughtUp)
}

// TestIntegrationAttendanceMovesAsCheckInsHappen: a meeting's check-ins
// (AttendanceRecorded, each carrying the meeting's tallies) move HQ's
// attendance figures while the meeting is in progress, before it closes;
// the meeting counts as held only once closed.
func TestIntegrationAttendanceMovesAsCheckInsHappen(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded etcd and an in-process Kafka broker; skipped in -short")
	}
	env := apitest.NewEnv(t)
	meetings := eventbus.Topic("jingkai", "meetings")
	env.CreateTopics(eventbus.Topic("jingkai", "membership"), meetings)
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai", NameZH: "经开"})
	node := startNode(t, env, Deps{Districts: env.Registry(), Etcd: env.Etcd().Client})
	getJSON := serveAsAdmin(t, node).Object

	meeting := func(status string, attended int32, version int64) *eventsv1.Meeting {
		return &eventsv1.Meeting{Id: "m1", District: "jingkai", Type: "district_working", Title: "片区工作会议", Status: status,
			InvitedCompanies: 3, AttendedCompanies: attended, InvitedPeople: 1, Version: version}
	}
	checkIn := func(eventID, invitee string, attended int32, version int64) *eventsv1.Envelope {
		e := meetingsEvent("jingkai", "AttendanceRecorded", invitee, &eventsv1.AttendanceRecorded{Meeting: meeting("in_progress", attended, version),
			Attendance: &eventsv1.Attendance{MeetingId: "m1", InviteeId: invitee, Kind: "company", CompanyId: "c-" + invitee, Status: "present"}})
		e.EventId = eventID
		return e
	}
	figures := func() string {
		d := getJSON("/api/v1/hq/districts/jingkai")
		held, _ := d["meetings_held"].(map[string]any)
		return fmt.Sprintf("invited %v attended %v held %v", d["meeting_companies_invited"], d["meeting_companies_attended"], held["district_working"])
	}
	waitFor := func(want string) {
		t.Helper()
		apitest.Eventually(t, want, func() bool { return figures() == want })
	}
	env.Publish(meetings, meetingsEvent("jingkai", "MeetingStatusChanged", "m1", &eventsv1.MeetingStatusChanged{
		Meeting: meeting("in_progress", 0, 3), FromStatus: "scheduled", ToStatus: "in_progress"}))
	waitFor("invited 3 attended 0 held 0")
	env.Publish(meetings, checkIn("ev-i1", "i1", 1, 4))
	waitFor("invited 3 attended 1 held 0")
	env.Publish(meetings, checkIn("ev-i2", "i2", 2, 5))
	waitFor("invited 3 attended 2 held 0")
	env.Publish(meetings, meetingsEvent("jingkai", "MeetingStatusChanged", "m1-closed", &eventsv1.MeetingStatusChanged{
		Meeting: meeting("closed", 2, 6), FromStatus: "in_progress", ToStatus: "closed"}))
	waitFor("invited 3 attended 2 held 1")
}

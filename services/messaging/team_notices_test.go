package messaging_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

// guard is the test header of a guard of c2 in jingkai.
func guard(id string) []string {
	return []string{testutil.SubjectHeader, "u-" + id, testutil.RoleHeader, "guard", testutil.DistrictsHeader, "jingkai",
		testutil.CompanyHeader, "c2", testutil.GuardHeader, id}
}

type teamNotice struct {
	ID             string   `json:"id"`
	GuardID        string   `json:"guard_id"`
	Kind           string   `json:"kind"`
	Title          string   `json:"title"`
	Body           string   `json:"body"`
	TeamID         string   `json:"team_id"`
	SubjectGuardID string   `json:"subject_guard_id"`
	DispatchID     string   `json:"dispatch_id"`
	Reasons        []string `json:"reasons"`
	EventID        string   `json:"event_id"`
	Status         string   `json:"status"`
}

// patrolsEvent is an envelope of jingkai's patrols topic.
func patrolsEvent(t *testing.T, n int, typ string, m proto.Message) *eventsv1.Envelope {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return &eventsv1.Envelope{EventId: fmt.Sprintf("0190cccc-0000-7000-8000-%012d", n), District: "jingkai", Service: "patrols", Type: typ,
		AggregateType: "volunteer_team", AggregateId: "team-1", Sequence: int64(n), OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: b}
}

var team1 = &eventsv1.VolunteerTeam{Id: "team-1", District: "jingkai", Name: "经开江城义警一队", LeaderGuardId: "g-lead", Version: 3}

func suspended(t *testing.T, n int, leader string) *eventsv1.Envelope {
	return patrolsEvent(t, n, eventsv1.TypeTeamMemberSuspended, &eventsv1.TeamMemberSuspended{Team: team1, GuardId: "g-7",
		Reasons: []string{"team.guard_certificate_expired"}, NotifyGuardId: leader, ShiftsDropped: 2})
}

// TestTheLeaderIsToldOfASuspensionFromThePatrolsTopicOnce: a member
// suspended automatically (TeamMemberSuspended naming the leader) and a
// double booking resolved reach the leader as team notices, through the
// district's patrols topic; the event delivered twice makes one notice.
// The leader and the district lead see them; another guard, the member's
// company, the police and HQ do not; only the leader reads one.
func TestTheLeaderIsToldOfASuspensionFromThePatrolsTopicOnce(t *testing.T) {
	env := testutil.NewEnv(t)
	topic := eventbus.Topic("jingkai", "patrols")
	env.CreateTopics(topic, eventbus.Topic("jingkai", "membership"), eventbus.Topic("jingkai", "messaging"), messaging.DirectivesTopic)
	e := newEnvAt(t, env)
	sus := suspended(t, 1, "g-lead")
	double := patrolsEvent(t, 2, eventsv1.TypeDoubleBookingResolved, &eventsv1.DoubleBookingResolved{Id: "db-1", District: "jingkai",
		Shift: &eventsv1.PatrolShift{Id: "sh-1"}, GuardId: "g-8", Outcome: "withdrawn", OtherDistrict: "caidian", NotifyGuardId: "g-lead"})
	unled := suspended(t, 3, "") // a team without a leader to tell
	other := patrolsEvent(t, 4, eventsv1.TypeTeamCreated, &eventsv1.TeamCreated{Team: team1})
	env.Publish(topic, sus, double, unled, other, sus) // sus again: a redelivery
	testutil.Eventually(t, "the patrols events to be settled", func() bool {
		var n int
		_ = e.node.DB().DB.QueryRow(`SELECT count(*) FROM eventbus_inbox WHERE event_id LIKE '0190cccc-%'`).Scan(&n)
		return n == 4
	})
	var list struct{ Items []teamNotice }
	e.Must(200, "GET", "/messaging/guards/g-lead/team-notices", nil, &list, guard("g-lead")...)
	if len(list.Items) != 2 {
		t.Fatalf("the leader has %d team notices, want 2 (one per event, none for the team without a leader): %+v", len(list.Items), list.Items)
	}
	n := list.Items[0]
	if n.Kind != "member_suspended" || n.SubjectGuardID != "g-7" || n.TeamID != "team-1" || n.EventID != sus.GetEventId() ||
		n.Status != "delivered" || len(n.Reasons) != 1 || n.Title == "" || n.Body == "" {
		t.Fatalf("the suspension's notice: %+v", n)
	}
	if d := list.Items[1]; d.Kind != "double_booking_resolved" || d.SubjectGuardID != "g-8" {
		t.Fatalf("the double booking's notice: %+v", d)
	}
	e.Must(200, "GET", "/messaging/guards/g-lead/team-notices", nil, &list, lead...)
	if len(list.Items) != 2 {
		t.Fatalf("the district lead sees %d of the leader's notices, want 2", len(list.Items))
	}
	e.Must(200, "GET", "/messaging/team-notices", nil, &list, lead...)
	if len(list.Items) != 2 {
		t.Fatalf("the district lead's list has %d notices, want 2", len(list.Items))
	}
	for name, hdr := range map[string][]string{
		"another guard": guard("g-7"), "the member's company": companyAdmin("c2"), "the police": police,
		"HQ": {testutil.SubjectHeader, "hq", testutil.RoleHeader, "hq-admin"},
	} {
		if r := e.Do("GET", "/messaging/guards/g-lead/team-notices", nil, hdr...); r.Status != 403 {
			t.Errorf("%s lists the leader's notices: %d, want 403", name, r.Status)
		}
	}
	if r := e.Do("GET", "/messaging/team-notices", nil, guard("g-lead")...); r.Status != 403 {
		t.Errorf("a leader lists every leader's notices: %d, want 403", r.Status)
	}
	read := "/messaging/guards/g-lead/team-notices/" + n.ID + "/read"
	before := e.counts()
	for name, hdr := range map[string][]string{"another guard": guard("g-7"), "the district lead": lead} {
		if r := e.Do("POST", read, nil, hdr...); r.Status != 403 {
			t.Errorf("%s reads for the leader: %d, want 403", name, r.Status)
		}
	}
	if r := e.Do("POST", "/messaging/guards/g-7/team-notices/"+n.ID+"/read", nil, guard("g-7")...); r.Status != 404 {
		t.Errorf("a guard reads another's notice under its own path: %d, want 404", r.Status)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused reads changed %v to %v", before, after)
	}
	var got teamNotice
	e.Must(200, "POST", read, nil, &got, guard("g-lead")...)
	if got.Status != "read" {
		t.Fatalf("after the leader's read: %+v", got)
	}
	e.Must(200, "POST", read, nil, &got, guard("g-lead")...)
	e.Must(200, "GET", "/messaging/guards/g-lead/team-notices", nil, &list, guard("g-lead")...)
	if list.Items[0].Status != "read" || list.Items[1].Status != "delivered" {
		t.Fatalf("after one read: %+v", list.Items)
	}
}

// TestARepeatedPatrolsEventDeliversNoSecondTeamNotice: without the inbox
// (a reset consumer group, a second inbox name), the notice's (event,
// leader) key makes a redelivered event deliver nothing twice.
func TestARepeatedPatrolsEventDeliversNoSecondTeamNotice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := suspended(t, 1, "g-lead")
	for range 2 {
		if err := e.node.ApplyPatrolsEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var notices, audits int
	_ = e.node.DB().DB.QueryRow(`SELECT count(*) FROM team_notices`).Scan(&notices)
	_ = e.node.DB().DB.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'team_notice.deliver'`).Scan(&audits)
	if notices != 1 || audits != 1 {
		t.Fatalf("one event applied twice made %d notices and %d audit entries, want 1 and 1", notices, audits)
	}
	wrong := suspended(t, 2, "g-lead")
	wrong.Service = "membership"
	if _, rejected := eventbus.IsRejected(e.node.ApplyPatrolsEvent(ctx, wrong)); !rejected {
		t.Fatal("an event of another service on the patrols topic was not rejected")
	}
}

// TestTheLeaderIsToldOfADispatchOfferedToTheTeam: each DispatchOffered on
// the patrols topic (警保联动: a police request offered to a team on duty)
// is a team notice to the leader it names, with the dispatch to accept;
// the second team's offer says the first did not accept; a redelivery
// makes no second notice; an offer without its dispatch is dead-lettered
// and one of another district rejected, neither delivering anything.
func TestTheLeaderIsToldOfADispatchOfferedToTheTeam(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	offer := func(n int, leader, team string, no int32, dispatch *eventsv1.Dispatch) *eventsv1.Envelope {
		return patrolsEvent(t, n, eventsv1.TypeDispatchOffered, &eventsv1.DispatchOffered{Dispatch: dispatch, TeamId: team,
			NotifyGuardId: leader, DistanceM: 312.4, Offer: no})
	}
	d1 := &eventsv1.Dispatch{Id: "dp-1", District: "jingkai", Kind: "纠纷", Urgency: "urgent", Status: "offered", OfferedTeamId: "team-1"}
	first, second := offer(1, "g-lead", "team-1", 1, d1), offer(2, "g-lead2", "team-2", 2, d1)
	for _, ev := range []*eventsv1.Envelope{first, second, first} {
		if err := e.node.ApplyPatrolsEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var list struct{ Items []teamNotice }
	e.Must(200, "GET", "/messaging/guards/g-lead/team-notices", nil, &list, guard("g-lead")...)
	if len(list.Items) != 1 {
		t.Fatalf("the first team's leader has %d notices, want 1 (the offer, redelivered once): %+v", len(list.Items), list.Items)
	}
	n := list.Items[0]
	if n.Kind != "dispatch_offered" || n.DispatchID != "dp-1" || n.TeamID != "team-1" || n.EventID != first.GetEventId() ||
		!strings.Contains(n.Title, "紧急") || !strings.Contains(n.Title, "纠纷") || !strings.Contains(n.Body, "312 米") ||
		strings.Contains(n.Body, "第") {
		t.Fatalf("the first offer's notice: %+v", n)
	}
	e.Must(200, "GET", "/messaging/guards/g-lead2/team-notices", nil, &list, guard("g-lead2")...)
	if len(list.Items) != 1 || list.Items[0].DispatchID != "dp-1" || !strings.Contains(list.Items[0].Body, "第 2 次派单") {
		t.Fatalf("the second team's leader's notices: %+v", list.Items)
	}

	before := e.counts()
	if _, rejected := eventbus.IsRejected(e.node.ApplyPatrolsEvent(ctx, offer(3, "g-lead", "team-1", 1, &eventsv1.Dispatch{District: "jingkai"}))); !rejected {
		t.Error("an offer without its dispatch id was not rejected")
	}
	if _, rejected := eventbus.IsRejected(e.node.ApplyPatrolsEvent(ctx, offer(4, "g-lead", "team-1", 1,
		&eventsv1.Dispatch{Id: "dp-9", District: "caidian", Kind: "巡查", Urgency: "routine"}))); !rejected {
		t.Error("an offer of another district's dispatch was not rejected")
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("rejected offers changed %v to %v", before, after)
	}
}

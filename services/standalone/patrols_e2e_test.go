package standalone_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// patrolsEvents reads every envelope on district's patrols topic.
func patrolsEvents(ctx context.Context, t *testing.T, addrs []string, district string) []*eventsv1.Envelope {
	t.Helper()
	topic := eventbus.Topic(district, patrols.ServiceName)
	cli := &kafka.Client{Addr: kafka.TCP(addrs...)}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.Envelope
	for _, tp := range md.Topics {
		if tp.Error != nil {
			continue // not created yet: nothing published
		}
		for _, p := range tp.Partitions {
			resp, err := cli.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: p.ID, Offset: 0, MaxBytes: 10 << 20})
			if err != nil {
				t.Fatal(err)
			}
			for {
				r, err := resp.Records.ReadRecord()
				if err != nil {
					break
				}
				v, _ := kafka.ReadAll(r.Value)
				var env eventsv1.Envelope
				if err := proto.Unmarshal(v, &env); err != nil {
					t.Fatal(err)
				}
				out = append(out, &env)
			}
		}
	}
	return out
}

// TestAVolunteerHiredInMembershipLeadsATeamInPatrols runs the running
// city's real path: a certified volunteer guard hired over membership's
// HTTP API, background-checked, reaches the district's patrols service
// through Kafka (GuardHired, BackgroundCheckRecorded on
// gh.jingkai.membership.v1, its consumer's projection); the guard then
// leads a team created over patrols' HTTP API, whose TeamCreated is
// published on gh.jingkai.patrols.v1 by the patrols relay. The guard
// leaving (membership again) suspends them in patrols, and that
// TeamMemberSuspended, naming the leader to notify, is on the topic too.
func TestAVolunteerHiredInMembershipLeadsATeamInPatrols(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	d := "/api/v1/districts/jingkai"
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 70)
	if err != nil {
		t.Fatal(err)
	}
	var guard struct{ ID string }
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/companies/"+co+"/guards", map[string]any{
		"name": "江城义警甲", "id_number": citytest.ResidentID(7070), "volunteer_police": true,
		"certificate_number": "鄂保2024000070", "certificate_issued_on": "2024-01-02", "certificate_valid_until": "2099-12-31",
	}, &guard); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusOK, "POST", d+"/guards/"+guard.ID+"/background-checks",
		map[string]any{"status": "passed", "checked_on": "2024-01-01"}, nil); err != nil {
		t.Fatal(err)
	}
	// Patrols learns the guard only from membership's events.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var el struct {
			Eligible bool     `json:"eligible"`
			Reasons  []string `json:"reasons"`
		}
		status, _, err := c.Do(ctx, "GET", d+"/guards/"+guard.ID+"/eligibility", nil, &el)
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusOK && el.Eligible {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("patrols never saw the guard eligible: %d %+v", status, el)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
	var team struct {
		ID            string `json:"id"`
		LeaderGuardID string `json:"leader_guard_id"`
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/teams", map[string]any{"name": "经开江城义警一队", "leader_guard_id": guard.ID}, &team); err != nil {
		t.Fatal(err)
	}
	find := func(typ string) *eventsv1.Envelope {
		for _, env := range patrolsEvents(ctx, t, city.BrokerAddrs(), "jingkai") {
			if env.GetType() == typ && env.GetAggregateId() == team.ID {
				return env
			}
		}
		return nil
	}
	var created *eventsv1.Envelope
	for deadline = time.Now().Add(30 * time.Second); created == nil; time.Sleep(20 * time.Millisecond) {
		if created = find(eventsv1.TypeTeamCreated); created == nil && time.Now().After(deadline) {
			t.Fatal("TeamCreated never reached gh.jingkai.patrols.v1")
		}
	}
	var tc eventsv1.TeamCreated
	if err := proto.Unmarshal(created.GetPayload(), &tc); err != nil || created.GetDistrict() != "jingkai" || created.GetService() != "patrols" ||
		tc.GetTeam().GetLeaderGuardId() != guard.ID || tc.GetTeam().GetActiveMembers() != 1 {
		t.Fatalf("TeamCreated %+v %+v %v", created, &tc, err)
	}
	// The guard leaves their company: suspended in patrols, the leader told.
	if err := c.Must(ctx, http.StatusOK, "POST", d+"/guards/"+guard.ID+"/leave", nil, nil); err != nil {
		t.Fatal(err)
	}
	var suspended *eventsv1.Envelope
	for deadline = time.Now().Add(30 * time.Second); suspended == nil; time.Sleep(20 * time.Millisecond) {
		if suspended = find(eventsv1.TypeTeamMemberSuspended); suspended == nil && time.Now().After(deadline) {
			t.Fatal("TeamMemberSuspended never reached gh.jingkai.patrols.v1")
		}
	}
	var sm eventsv1.TeamMemberSuspended
	if err := proto.Unmarshal(suspended.GetPayload(), &sm); err != nil || sm.GetGuardId() != guard.ID || sm.GetNotifyGuardId() != guard.ID ||
		len(sm.GetReasons()) != 1 || sm.GetReasons()[0] != "team.guard_not_active" {
		t.Fatalf("TeamMemberSuspended %+v %v", &sm, err)
	}
}

package standalone_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
	"github.com/guildhall/guildhall/services/standalone/internal/demo"
)

// meetingsTopicEvents reads every envelope on district's meetings topic.
func meetingsTopicEvents(ctx context.Context, t *testing.T, addrs []string, district string) []*eventsv1.Envelope {
	t.Helper()
	topic := eventbus.Topic(district, meetings.ServiceName)
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

// TestFieldVisitsAndTheServicePlanThroughTheCity runs issue 17's field
// visits and practical-services plan through a running city: companies
// registered over membership's API reach meetings' projection through
// Kafka; a district lead's visit opens a follow-up the company's own
// company-admin marks done, and the company-admin answers its feedback on
// a plan item. Every change is published on gh.jingkai.meetings.v1 by the
// meetings relay, and no event names who went on the visit.
func TestFieldVisitsAndTheServicePlanThroughTheCity(t *testing.T) {
	city, admin := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	own, err := admin.RegisterActiveCompany(ctx, "jingkai", 170)
	if err != nil {
		t.Fatal(err)
	}
	other, err := admin.RegisterActiveCompany(ctx, "jingkai", 171)
	if err != nil {
		t.Fatal(err)
	}
	const base = "/api/v1/districts/jingkai"
	// Meetings learns the companies from membership's events.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var un struct {
			ActiveCompanies int `json:"active_companies"`
		}
		if err := admin.Must(ctx, http.StatusOK, "GET", base+"/field-visits/unvisited", nil, &un); err != nil {
			t.Fatal(err)
		}
		if un.ActiveCompanies == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("meetings never projected the two active companies: %d", un.ActiveCompanies)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
	// An account's company must be one HQ knows (from the same events).
	if _, err := admin.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.Companies == 2 }); err != nil {
		t.Fatal(err)
	}
	if err := admin.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-fieldwork",
		"password": "ca-fieldwork right password", "role": "company-admin", "districts": []string{"jingkai"}, "company": own}, nil); err != nil {
		t.Fatal(err)
	}
	ca := citytest.New(admin.Base)
	if err := ca.Login(ctx, "ca-fieldwork", "ca-fieldwork right password"); err != nil {
		t.Fatal(err)
	}

	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	due := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	const visitor = "片区负责人王五"
	var visit struct {
		ID        string
		FollowUps []struct{ ID string } `json:"follow_ups"`
	}
	if err := admin.Must(ctx, http.StatusCreated, "POST", base+"/field-visits", map[string]any{
		"company_id": own, "visited_on": today, "visited_by": []map[string]string{{"name": visitor, "role": "副会长"}},
		"findings": "工会未建立", "points": []map[string]any{{"area": "party_union", "rating": "poor", "flagged": true}},
		"follow_ups": []map[string]string{{"title": "建立工会", "due_on": due}},
	}, &visit); err != nil {
		t.Fatal(err)
	}
	if err := admin.Must(ctx, http.StatusCreated, "POST", base+"/field-visits", map[string]any{
		"company_id": other, "visited_on": today, "visited_by": []map[string]string{{"name": visitor}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	// The company-admin reads its own visit and none of the other's.
	var mine struct{ Items []struct{ ID string } }
	if err := ca.Must(ctx, http.StatusOK, "GET", base+"/field-visits?company_id="+own, nil, &mine); err != nil || len(mine.Items) != 1 || mine.Items[0].ID != visit.ID {
		t.Fatalf("the company-admin's visits: %+v %v", mine, err)
	}
	if status, _, err := ca.Do(ctx, "GET", base+"/field-visits?company_id="+other, nil, nil); err != nil || status != http.StatusForbidden {
		t.Fatalf("another company's visits: %d %v", status, err)
	}
	if err := ca.Must(ctx, http.StatusOK, "POST", base+"/action-items/"+visit.FollowUps[0].ID+"/status", map[string]string{"status": "done"}, nil); err != nil {
		t.Fatal(err)
	}

	var item struct{ ID string }
	if err := admin.Must(ctx, http.StatusCreated, "POST", base+"/service-plan/items", map[string]any{"term": "2025-2028", "kind": "insurance",
		"title": "统一购买保安员意外险", "owner": "秘书处", "target_unit": "companies", "target_count": 2}, &item); err != nil {
		t.Fatal(err)
	}
	if err := admin.Must(ctx, http.StatusOK, "POST", base+"/service-plan/items/"+item.ID+"/beneficiaries", map[string]any{"company_id": own}, nil); err != nil {
		t.Fatal(err)
	}
	if status, _, err := admin.Do(ctx, "POST", base+"/service-plan/items/"+item.ID+"/feedback", map[string]any{"company_id": own, "rating": 1}, nil); err != nil || status != http.StatusForbidden {
		t.Fatalf("HQ answering for the company: %d %v", status, err)
	}
	if err := ca.Must(ctx, http.StatusOK, "POST", base+"/service-plan/items/"+item.ID+"/feedback", map[string]any{"company_id": own, "rating": 4, "comment": "保费实惠"}, nil); err != nil {
		t.Fatal(err)
	}

	// Every change reaches the district's meetings topic.
	deadline = time.Now().Add(45 * time.Second)
	for {
		want := map[string]bool{}
		for _, env := range meetingsTopicEvents(ctx, t, city.BrokerAddrs(), "jingkai") {
			if strings.Contains(string(env.GetPayload()), visitor) {
				t.Fatalf("%s names who went on the visit", env.GetType())
			}
			switch env.GetType() {
			case eventsv1.TypeFieldVisitRecorded:
				var m eventsv1.FieldVisitRecorded
				if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
					t.Fatal(err)
				}
				if m.GetVisit().GetId() == visit.ID && m.GetVisit().GetVisitors() == 1 && m.GetVisit().GetFollowUps() == 1 && m.GetVisit().GetCompanyId() == own {
					want["visit"] = true
				}
			case eventsv1.TypeActionItemCreated:
				var m eventsv1.ActionItemCreated
				_ = proto.Unmarshal(env.GetPayload(), &m)
				if m.GetItem().GetVisitId() == visit.ID && m.GetItem().GetOwnerCompanyId() == own {
					want["follow-up"] = true
				}
			case eventsv1.TypeActionItemStatusChanged:
				var m eventsv1.ActionItemStatusChanged
				_ = proto.Unmarshal(env.GetPayload(), &m)
				if m.GetItem().GetVisitId() == visit.ID && m.GetToStatus() == "done" {
					want["done"] = true
				}
			case eventsv1.TypeServicePlanItemCreated:
				want["item"] = true
			case eventsv1.TypeServiceBeneficiaryAdded:
				var m eventsv1.ServiceBeneficiaryAdded
				_ = proto.Unmarshal(env.GetPayload(), &m)
				if m.GetItem().GetBeneficiaries() == 1 && m.GetBeneficiary().GetCompanyId() == own {
					want["beneficiary"] = true
				}
			case eventsv1.TypeServiceFeedbackGiven:
				var m eventsv1.ServiceFeedbackGiven
				_ = proto.Unmarshal(env.GetPayload(), &m)
				if m.GetBeneficiary().GetRating() == 4 && m.GetBeneficiary().GetCompanyId() == own && m.GetBeneficiary().GetItemId() == item.ID {
					want["feedback"] = true
				}
			}
		}
		if len(want) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the meetings topic carries only %v of visit, follow-up, done, item, beneficiary, feedback", want)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not a wait for an outcome
	}

	// The district's reports count them.
	var plan struct {
		Periods []struct{ Companies, Planned, Held, Visited int }
	}
	if err := admin.Must(ctx, http.StatusOK, "GET", base+"/field-visits/plan?periods=1", nil, &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.Periods) != 1 || plan.Periods[0].Companies != 2 || plan.Periods[0].Held != 2 || plan.Periods[0].Visited != 2 || plan.Periods[0].Planned != 1 {
		t.Fatalf("plan %+v", plan)
	}
	var prog struct {
		CompaniesServed int      `json:"companies_served"`
		AverageRating   *float64 `json:"average_rating"`
	}
	if err := admin.Must(ctx, http.StatusOK, "GET", base+"/service-plan/progress", nil, &prog); err != nil || prog.CompaniesServed != 1 || prog.AverageRating == nil || *prog.AverageRating != 4 {
		t.Fatalf("progress %+v %v", prog, err)
	}
}

// TestTheDemoCityShowsTheFieldworkDemo starts a city with the demo data
// (what `make run` does on an empty data dir) and reads the field-work demo
// back over HTTP once the demo loader has entered it: a visit with its
// follow-up, and two plan items whose feedback the companies' own admins
// gave.
func TestTheDemoCityShowsTheFieldworkDemo(t *testing.T) {
	_, admin := startCity(t, t.TempDir(), "-demo")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const base = "/api/v1/districts/jingkai"
	var visits struct {
		Items []struct {
			FollowUps []struct {
				Status string
			} `json:"follow_ups"`
		}
	}
	for len(visits.Items) == 0 {
		if err := admin.Must(ctx, http.StatusOK, "GET", base+"/field-visits", nil, &visits); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatal("the demo's field visit never appeared")
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
	if len(visits.Items) != 1 || len(visits.Items[0].FollowUps) != 1 {
		t.Fatalf("visits %+v", visits)
	}
	// The plan items follow the visit in the loader: wait for their feedback.
	var prog struct {
		ItemCount     int      `json:"item_count"`
		Feedbacks     int      `json:"feedbacks"`
		AverageRating *float64 `json:"average_rating"`
	}
	for prog.Feedbacks < 3 {
		if err := admin.Must(ctx, http.StatusOK, "GET", base+"/service-plan/progress?term="+demo.FieldworkTerm, nil, &prog); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the demo's plan feedback never appeared: %+v", prog)
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
	if prog.ItemCount != 2 || prog.Feedbacks != 3 || prog.AverageRating == nil {
		t.Fatalf("progress %+v", prog)
	}
}

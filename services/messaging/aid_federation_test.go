package messaging_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

func leadOf(d string) []string {
	return []string{testutil.SubjectHeader, "lead-" + d, testutil.RoleHeader, "district-admin", testutil.DistrictsHeader, d}
}

func companyOf(d, c string) []string {
	return []string{testutil.SubjectHeader, "ca-" + c, testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, d, testutil.CompanyHeader, c}
}

func outboxOf(t *testing.T, n *messaging.Node, aggregate string) int {
	t.Helper()
	var c int
	if err := n.DB().DB.QueryRow(`SELECT count(*) FROM eventbus_outbox WHERE aggregate_id = ?`, aggregate).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAnAidRequestCrossesDistrictsThroughHQAndSurvivesAnOfflineNode: a
// request of jingkai's reaches caidian through HQ's relay; a caidian
// company offers while jingkai's node is stopped, and jingkai's node gets
// the offer, once, when it is back; jingkai accepts part of it and
// caidian's node sees its offer accepted; HQ's city statistics follow.
func TestAnAidRequestCrossesDistrictsThroughHQAndSurvivesAnOfflineNode(t *testing.T) {
	f := newFederation(t, "jingkai", "caidian")
	jk := f.start("jingkai", 2)
	cd := f.start("caidian", 2)
	guards(t, cd.node, "caidian-c0", 5, 5, "")

	var r aidRequest
	jk.cl.Must(201, "POST", "/aid/requests", aidBody(time.Now()), &r, leadOf("jingkai")...)
	testutil.Eventually(t, "caidian to see jingkai's request", func() bool {
		return cd.cl.Do("GET", "/aid/requests/"+r.ID, nil, companyOf("caidian", "caidian-c0")...).Status == 200
	})
	if got := cd.cl.Do("POST", "/aid/requests/"+r.ID+"/close", map[string]any{"outcome": "cancelled"}, leadOf("caidian")...); got.ErrorID() != "aid.not_local" {
		t.Fatalf("caidian closing jingkai's request: %d %s", got.Status, got.Body)
	}

	jk.stop()
	var o aidOffer
	cd.cl.Must(201, "POST", "/aid/requests/"+r.ID+"/offers", map[string]any{"headcount": 3, "note": "可派持证保安3名"}, &o, companyOf("caidian", "caidian-c0")...)
	if o.District != "caidian" || o.Status != "offered" {
		t.Fatalf("offer %+v", o)
	}
	testutil.Eventually(t, "HQ to relay the offer on the directives topic", func() bool { return outboxOf(t, f.hqN, o.ID) == 1 })

	jk = f.start("jingkai", 2)
	var offers struct{ Items []aidOffer }
	testutil.Eventually(t, "jingkai to receive caidian's offer after its restart", func() bool {
		jk.cl.Must(200, "GET", "/aid/requests/"+r.ID+"/offers", nil, &offers, leadOf("jingkai")...)
		return len(offers.Items) == 1
	})
	if offers.Items[0].CompanyID != "caidian-c0" || offers.Items[0].Headcount != 3 {
		t.Fatalf("jingkai's offers %+v", offers.Items)
	}
	// The offer delivered again under a new event id: still one, 3 offered.
	var again *eventsv1.Envelope
	for _, m := range f.env.Messages(messaging.DirectivesTopic) {
		var env eventsv1.Envelope
		if err := proto.Unmarshal(m.Value, &env); err != nil {
			t.Fatal(err)
		}
		if env.GetAggregateId() == o.ID {
			again = proto.Clone(&env).(*eventsv1.Envelope)
		}
	}
	if again == nil {
		t.Fatal("no relayed offer on the directives topic")
	}
	again.EventId = "0190aaaa-0000-7000-8000-0000000000a1"
	f.env.Publish(messaging.DirectivesTopic, again)
	marker := f.issue(directiveBody()) // after the replay on the topic: once jingkai has it, it read the replay
	testutil.Eventually(t, "jingkai to read past the replay", func() bool { return materialised(t, jk, marker) == 1 })

	var a aidOffer
	jk.cl.Must(200, "POST", "/aid/requests/"+r.ID+"/offers/"+o.ID+"/accept", map[string]any{"headcount": 2}, &a, leadOf("jingkai")...)
	testutil.Eventually(t, "caidian to see its offer accepted", func() bool {
		var mine struct{ Items []aidOffer }
		cd.cl.Must(200, "GET", "/aid/requests/"+r.ID+"/offers", nil, &mine, companyOf("caidian", "caidian-c0")...)
		return len(mine.Items) == 1 && mine.Items[0].Status == "accepted" && mine.Items[0].AcceptedHeadcount == 2
	})
	var copyAt aidRequest
	cd.cl.Must(200, "GET", "/aid/requests/"+r.ID, nil, &copyAt, companyOf("caidian", "caidian-c0")...)
	if copyAt.Accepted != 2 || copyAt.Status != "open" {
		t.Fatalf("caidian's copy %+v, want 2 accepted, open", copyAt)
	}
	// The replay changed nothing.
	var got aidRequest
	jk.cl.Must(200, "GET", "/aid/requests/"+r.ID, nil, &got, leadOf("jingkai")...)
	if got.Offered != 3 {
		t.Fatalf("jingkai's request %+v: offered %d, want 3 (the replay counted once)", got, got.Offered)
	}
	// The committed guards at caidian: 2 accepted of the 5.
	var av struct{ Committed, Available int }
	cd.cl.Must(200, "GET", "/aid/requests/"+r.ID+"/availability", nil, &av, companyOf("caidian", "caidian-c0")...)
	if av.Committed != 2 || av.Available != 3 {
		t.Fatalf("caidian-c0's availability %+v, want 2 committed, 3 available", av)
	}
	testutil.Eventually(t, "HQ's city statistics to show jingkai's request", func() bool {
		var st struct {
			Rows []struct {
				District                string   `json:"district"`
				Accepted                int      `json:"accepted"`
				Needed                  int      `json:"needed"`
				MeanSecondsToFirstOffer *float64 `json:"mean_seconds_to_first_offer"`
			} `json:"rows"`
		}
		f.hq.Must(200, "GET", "/api/v1/hq/aid/stats", nil, &st)
		return len(st.Rows) == 1 && st.Rows[0].District == "jingkai" && st.Rows[0].Accepted == 2 && st.Rows[0].Needed == 4 &&
			st.Rows[0].MeanSecondsToFirstOffer != nil
	})
}

// TestAnAidRequestKeptInItsDistrictIsNotRelayed: with aid_visibility
// own_district, HQ records the request for the city's statistics but puts
// nothing on the directives topic, and another district never sees it.
func TestAnAidRequestKeptInItsDistrictIsNotRelayed(t *testing.T) {
	f := newFederation(t, "jingkai", "caidian")
	f.deps = func(_ string, d *messaging.Deps) { d.Etcd = f.env.Etcd().Client }
	raw, err := policy.EncodeMessaging(policy.Messaging{RemindBeforeHours: 72, ReminderIntervalHours: 24, AidVisibility: policy.AidOwnDistrict})
	if err != nil {
		t.Fatal(err)
	}
	f.env.Put(policy.MessagingKey, string(raw))
	jk := f.start("jingkai", 1)
	cd := f.start("caidian", 1)
	testutil.Eventually(t, "jingkai to load the policy", func() bool { return jk.node.Policy().AidVisibility == policy.AidOwnDistrict })
	var r aidRequest
	jk.cl.Must(201, "POST", "/aid/requests", aidBody(time.Now()), &r, leadOf("jingkai")...)
	if fmt.Sprint(r.VisibleTo) != "[jingkai]" {
		t.Fatalf("visible_to %v, want jingkai alone", r.VisibleTo)
	}
	testutil.Eventually(t, "HQ to record the request", func() bool {
		var n int
		_ = f.hqN.DB().DB.QueryRow(`SELECT count(*) FROM aid_requests WHERE id = ?`, r.ID).Scan(&n)
		return n == 1
	})
	if n := outboxOf(t, f.hqN, r.ID); n != 0 {
		t.Fatalf("HQ relayed a request kept in its district (%d events)", n)
	}
	if got := cd.cl.Do("GET", "/aid/requests/"+r.ID, nil, leadOf("caidian")...); got.Status != 404 || got.ErrorID() != "aid.request_not_found" {
		t.Fatalf("caidian reading it: %d %s", got.Status, got.Body)
	}
}

// TestAnAidRequestToListedDistrictsReachesOnlyThem: with aid_visibility
// listed_districts [caidian], HQ relays jingkai's request (another district
// sees it); caidian keeps a copy, hannan, which reads the same relay,
// does not.
func TestAnAidRequestToListedDistrictsReachesOnlyThem(t *testing.T) {
	f := newFederation(t, "jingkai", "caidian", "hannan")
	f.deps = func(_ string, d *messaging.Deps) { d.Etcd = f.env.Etcd().Client }
	raw, err := policy.EncodeMessaging(policy.Messaging{RemindBeforeHours: 72, ReminderIntervalHours: 24,
		AidVisibility: policy.AidListedDistricts, AidDistricts: []string{"caidian"}})
	if err != nil {
		t.Fatal(err)
	}
	f.env.Put(policy.MessagingKey, string(raw))
	jk := f.start("jingkai", 1)
	cd := f.start("caidian", 1)
	hn := f.start("hannan", 1)
	testutil.Eventually(t, "jingkai to load the policy", func() bool { return jk.node.Policy().AidVisibility == policy.AidListedDistricts })
	var r aidRequest
	jk.cl.Must(201, "POST", "/aid/requests", aidBody(time.Now()), &r, leadOf("jingkai")...)
	if fmt.Sprint(r.VisibleTo) != "[jingkai caidian]" {
		t.Fatalf("visible_to %v", r.VisibleTo)
	}
	testutil.Eventually(t, "caidian to see the request", func() bool {
		return cd.cl.Do("GET", "/aid/requests/"+r.ID, nil, leadOf("caidian")...).Status == 200
	})
	marker := f.issue(directiveBody()) // after the relay on the topic: once hannan has it, it read the relay
	testutil.Eventually(t, "hannan to read past the relay", func() bool { return materialised(t, hn, marker) == 1 })
	if got := hn.cl.Do("GET", "/aid/requests/"+r.ID, nil, leadOf("hannan")...); got.Status != 404 {
		t.Fatalf("hannan reading a request listed for caidian: %d %s", got.Status, got.Body)
	}
	var n int
	if err := hn.node.DB().DB.QueryRow(`SELECT count(*) FROM aid_requests`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("hannan keeps %d aid requests (%v), want none", n, err)
	}
}

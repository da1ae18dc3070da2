package meetings_test

// Issue 17: field visits (片区负责人下沉调研) and the practical-services plan
// (为会员单位办实事).

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/meetings"
)

type fieldVisit struct {
	ID          string
	CompanyID   string                        `json:"company_id"`
	CompanyName string                        `json:"company_name"`
	VisitedOn   string                        `json:"visited_on"`
	VisitedBy   []struct{ Name, Role string } `json:"visited_by"`
	Points      []struct {
		Area, Rating string
		Flagged      bool
	}
	FollowUps []struct {
		ID             string
		VisitID        string `json:"visit_id"`
		ResolutionID   string `json:"resolution_id"`
		OwnerKind      string `json:"owner_kind"`
		OwnerCompanyID string `json:"owner_company_id"`
		DueOn          string `json:"due_on"`
		Status         string
		Overdue        bool
	} `json:"follow_ups"`
}

// as returns the headers of a caller of role for company (jingkai).
func as(role auth.Role, company string) []string {
	p := auth.Principal{Role: role, Districts: []string{"jingkai"}, Company: company}
	return testutil.PrincipalHeaders(p, string(role)+"-"+company)
}

func (e *env) fieldCounts() map[string]int {
	e.t.Helper()
	return testutil.Counts(e.t, e.node.DB().DB, "field_visits", "action_items", "service_items", "service_beneficiaries",
		"idempotency_keys", "eventbus_outbox", "audit_log")
}

// visitBody is a valid visit of company to change with over.
func visitBody(company string, over map[string]any) map[string]any {
	b := map[string]any{
		"company_id": company, "visited_on": "2025-09-22",
		"visited_by": []map[string]string{{"name": "罗灯亮", "role": "片区负责人"}, {"name": "张三", "role": "秘书处"}},
		"findings":   "队伍稳定，培训台账齐全；工会尚未建立。",
		"points": []map[string]any{
			{"area": "staffing", "rating": "good"}, {"area": "training", "rating": "fair", "note": "复训未满"},
			{"area": "party_union", "rating": "poor", "flagged": true, "note": "未建工会"}, {"area": "risks", "rating": "good"},
		},
		"follow_ups": []map[string]string{{"title": "建立工会组织", "due_on": "2025-10-31"}, {"title": "补齐复训", "due_on": "2025-09-25"}},
	}
	for k, v := range over {
		b[k] = v
	}
	return b
}

// TestFieldVisitOpensFollowUpsOwnedByTheCompany: a visit's follow-ups are
// action items of the company (open, due, overdue, reminded, marked done by
// the company and accepted by the lead), linked back to the visit; the
// visit's event carries how many went, never their names.
func TestFieldVisitOpensFollowUpsOwnedByTheCompany(t *testing.T) {
	e := newEnv(t)
	seq := e.lastSeq()
	var v fieldVisit
	r := e.Must(http.StatusCreated, "POST", "/field-visits", visitBody("c1", nil), &v)
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/field-visits/"+v.ID) {
		t.Fatalf("Location %q", loc)
	}
	if v.CompanyName != "公司c1" || len(v.VisitedBy) != 2 || len(v.Points) != 4 || !v.Points[2].Flagged || len(v.FollowUps) != 2 {
		t.Fatalf("visit %+v", v)
	}
	for _, f := range v.FollowUps {
		if f.VisitID != v.ID || f.ResolutionID != "" || f.OwnerKind != "company" || f.OwnerCompanyID != "c1" || f.Status != "open" {
			t.Fatalf("follow-up %+v", f)
		}
	}
	evs := e.events(seq)
	if len(evs) != 3 || evs[0].Type != eventsv1.TypeFieldVisitRecorded || evs[1].Type != eventsv1.TypeActionItemCreated || evs[2].Type != eventsv1.TypeActionItemCreated {
		t.Fatalf("events %v", evs)
	}
	p := testutil.Payload(t, evs[0], &eventsv1.FieldVisitRecorded{})
	if p.GetVisit().GetVisitors() != 2 || p.GetVisit().GetFollowUps() != 2 || len(p.GetVisit().GetPoints()) != 4 || p.GetVisit().GetCompanyId() != "c1" {
		t.Fatalf("payload %v", p)
	}
	if strings.Contains(string(evs[0].Raw), "罗灯亮") || strings.Contains(string(evs[0].Raw), "片区负责人") {
		t.Fatal("the visit's event carries who went")
	}
	if item := testutil.Payload(t, evs[1], &eventsv1.ActionItemCreated{}); item.GetItem().GetVisitId() != v.ID || item.GetItem().GetOwnerCompanyId() != "c1" {
		t.Fatalf("follow-up event %v", item)
	}

	// The follow-ups are the action items of the visit.
	var list struct{ Items []actionItem }
	e.Must(200, "GET", "/action-items?visit_id="+v.ID, nil, &list)
	if len(list.Items) != 2 {
		t.Fatalf("visit's items %+v", list.Items)
	}
	// 2025-09-27: the one due 09-25 is overdue and reminded.
	e.clock.set(time.Date(2025, 9, 27, 10, 0, 0, 0, cst))
	e.Must(200, "GET", "/action-items?overdue=true&visit_id="+v.ID, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != v.FollowUps[1].ID {
		t.Fatalf("overdue %+v", list.Items)
	}
	if n, err := e.node.SendReminders(context.Background()); err != nil || n != 1 {
		t.Fatalf("reminders %d, %v", n, err)
	}
	// The company marks it done; the lead accepts it.
	e.Must(200, "POST", "/action-items/"+v.FollowUps[1].ID+"/status", map[string]string{"status": "done"}, nil, as(auth.RoleCompanyAdmin, "c1")...)
	e.Must(200, "POST", "/action-items/"+v.FollowUps[1].ID+"/status", map[string]string{"status": "accepted"}, nil)
	var got fieldVisit
	e.Must(200, "GET", "/field-visits/"+v.ID, nil, &got)
	if got.FollowUps[1].Status != "accepted" || got.FollowUps[0].Status != "open" {
		t.Fatalf("visit after %+v", got.FollowUps)
	}
}

// TestCompanyAdminsSeeOnlyTheirOwnVisits: a company-admin reads its own
// company's visits and follow-ups, never another's, and must say which
// company it lists; police read, never write.
func TestCompanyAdminsSeeOnlyTheirOwnVisits(t *testing.T) {
	e := newEnv(t)
	var v1, v2 fieldVisit
	e.Must(201, "POST", "/field-visits", visitBody("c1", nil), &v1)
	e.Must(201, "POST", "/field-visits", visitBody("c2", nil), &v2)
	c1 := as(auth.RoleCompanyAdmin, "c1")
	var list struct{ Items []fieldVisit }
	e.Must(200, "GET", "/field-visits?company_id=c1", nil, &list, c1...)
	if len(list.Items) != 1 || list.Items[0].ID != v1.ID {
		t.Fatalf("c1's list %+v", list.Items)
	}
	for _, tc := range []struct{ name, method, path string }{
		{"Another company's visit is 403.", "GET", "/field-visits/" + v2.ID},
		{"An unknown visit is the same 403.", "GET", "/field-visits/nope"},
		{"A list of every company's visits is 403.", "GET", "/field-visits"},
		{"A list of another company's visits is 403.", "GET", "/field-visits?company_id=c2"},
		{"Another company's follow-up is 403.", "GET", "/action-items/" + v2.FollowUps[0].ID},
		{"Recording a visit is 403.", "POST", "/field-visits"},
		{"The plan report is 403.", "GET", "/field-visits/plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == "POST" {
				body = visitBody("c1", nil)
			}
			if r := e.Do(tc.method, tc.path, body, c1...); r.Status != 403 || r.ErrorID() != "auth.forbidden" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	police := testutil.PrincipalHeaders(auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}, "police")
	e.Must(200, "GET", "/field-visits", nil, &list, police...)
	if len(list.Items) != 2 {
		t.Fatalf("police list %+v", list.Items)
	}
	if r := e.Do("POST", "/field-visits", visitBody("c1", nil), police...); r.Status != 403 {
		t.Fatalf("police record: %d", r.Status)
	}
}

// TestVisitPlanAndUnvisitedCompanies: held against planned per quarter
// (the default plan: every company every 6 months), counting companies
// from the day they became active; and the companies whose visit is due.
func TestVisitPlanAndUnvisitedCompanies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	put := func(id, status string, version int64, since time.Time) {
		t.Helper()
		if err := e.node.PutCompany(ctx, meetings.Company{ID: id, Name: "公司" + id, Status: status, Version: version, ActiveSince: since}); err != nil {
			t.Fatal(err)
		}
	}
	// c6 became active in August: it counts in Q3, not in Q2.
	put("c6", "active", 1, time.Date(2025, 8, 1, 10, 0, 0, 0, cst))
	// c7 has been active since January and was never visited: due since July.
	put("c7", "active", 1, time.Date(2025, 1, 10, 10, 0, 0, 0, cst))
	// c8 was visited in 2024, then lapsed, and rejoined in June: its clock
	// starts again in June, so it is not due. An update while active does
	// not restart the clock.
	put("c8", "active", 1, time.Time{})
	e.Must(201, "POST", "/field-visits", visitBody("c8", map[string]any{"visited_on": "2024-01-05", "follow_ups": nil}), nil)
	put("c8", "lapsed", 2, time.Time{})
	put("c8", "active", 3, time.Date(2025, 6, 1, 9, 0, 0, 0, cst))
	put("c8", "active", 4, time.Date(2025, 9, 1, 9, 0, 0, 0, cst))
	for _, v := range []struct{ company, on string }{{"c1", "2025-05-10"}, {"c1", "2025-09-22"}, {"c2", "2025-09-01"}, {"c3", "2025-07-05"}} {
		e.Must(201, "POST", "/field-visits", visitBody(v.company, map[string]any{"visited_on": v.on, "follow_ups": nil}), nil)
	}
	var plan struct {
		EveryMonths int `json:"every_months"`
		Per         string
		Periods     []struct {
			Period                            string
			Companies, Planned, Held, Visited int
			OnTrack                           bool `json:"on_track"`
		}
	}
	e.Must(200, "GET", "/field-visits/plan?periods=2", nil, &plan)
	if plan.EveryMonths != 6 || plan.Per != "quarter" || len(plan.Periods) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	// Q2: c1–c4, c7, c8 active (c8 since June 1st) = 6, planned 3, held 1.
	// Q3: and c6 = 7, planned 4 (3.5 up), held 3 visits of 3 companies.
	q2, q3 := plan.Periods[0], plan.Periods[1]
	if q2.Period != "2025-Q2" || q2.Companies != 6 || q2.Planned != 3 || q2.Held != 1 || q2.Visited != 1 || q2.OnTrack {
		t.Fatalf("Q2 %+v", q2)
	}
	if q3.Period != "2025-Q3" || q3.Companies != 7 || q3.Planned != 4 || q3.Held != 3 || q3.Visited != 3 || q3.OnTrack {
		t.Fatalf("Q3 %+v", q3)
	}
	var un struct {
		ActiveCompanies int `json:"active_companies"`
		Companies       []struct {
			CompanyID     string `json:"company_id"`
			ActiveSince   string `json:"active_since"`
			LastVisitedOn string `json:"last_visited_on"`
			DueOn         string `json:"due_on"`
		}
	}
	e.Must(200, "GET", "/field-visits/unvisited", nil, &un)
	// c4: active all along, never visited (no due date, first); c7 due
	// since 2025-07-10. c5 is suspended; c6 and c8 are not due yet.
	if un.ActiveCompanies != 7 || len(un.Companies) != 2 || un.Companies[0].CompanyID != "c4" || un.Companies[0].DueOn != "" ||
		un.Companies[1].CompanyID != "c7" || un.Companies[1].DueOn != "2025-07-10" || un.Companies[1].ActiveSince != "2025-01-10" {
		t.Fatalf("unvisited %+v", un)
	}
	// Six months after c3's visit, c3 is due too.
	e.clock.set(time.Date(2026, 1, 6, 9, 0, 0, 0, cst))
	e.Must(200, "GET", "/field-visits/unvisited", nil, &un)
	ids := []string{}
	for _, c := range un.Companies {
		ids = append(ids, c.CompanyID+"@"+c.DueOn)
	}
	// c8's clock started when it rejoined (2025-06-01), not at its 2024 visit.
	if fmt.Sprint(ids) != "[c4@ c7@2025-07-10 c8@2025-12-01 c3@2026-01-05]" {
		t.Fatalf("unvisited in January %v", ids)
	}
}

type serviceItem struct {
	ID            string
	Achieved      int
	Beneficiaries int
	Progress      float64
	Feedbacks     int
	AverageRating *float64 `json:"average_rating"`
	Version       int64
	Milestones    []struct {
		Title  string
		DueOn  string `json:"due_on"`
		DoneOn string `json:"done_on"`
	}
}

func serviceItemBody(over map[string]any) map[string]any {
	b := map[string]any{"term": "2025-2028", "kind": "training", "title": "保安员联合培训", "owner": "秘书处", "target_unit": "sessions", "target_count": 2,
		"milestones": []map[string]string{{"title": "第一期", "due_on": "2025-10-30"}, {"title": "第二期", "due_on": "2025-12-15"}}}
	for k, v := range over {
		b[k] = v
	}
	return b
}

// TestServicePlanProgressAndFeedback: progress per item (milestones done
// for a target in sessions, companies served for one in companies), the
// beneficiaries' feedback (one per company per item, changed only by that
// company's own company-admin), and the district's totals with "not
// reported" (null) distinct from 0.
func TestServicePlanProgressAndFeedback(t *testing.T) {
	e := newEnv(t)
	var training, legal serviceItem
	e.Must(201, "POST", "/service-plan/items", serviceItemBody(nil), &training)
	e.Must(201, "POST", "/service-plan/items", serviceItemBody(map[string]any{"kind": "legal", "title": "法律咨询进企业", "target_unit": "companies", "target_count": 3, "milestones": nil}), &legal)
	var prog struct {
		ItemCount       int `json:"item_count"`
		ItemsDone       int `json:"items_done"`
		CompaniesServed int `json:"companies_served"`
		ActiveCompanies int `json:"active_companies"`
		Feedbacks       int
		AverageRating   *float64 `json:"average_rating"`
		Items           []serviceItem
	}
	r := e.Must(200, "GET", "/service-plan/progress?term=2025-2028", nil, &prog)
	if prog.ItemCount != 2 || prog.AverageRating != nil || !strings.Contains(string(r.Body), `"average_rating":null`) || prog.ActiveCompanies != 4 {
		t.Fatalf("progress before anything %s", r.Body)
	}

	seq := e.lastSeq()
	e.Must(200, "POST", "/service-plan/items/"+training.ID+"/milestones", map[string]any{"milestone": 1, "done_on": "2025-09-20"}, &training)
	if training.Achieved != 1 || training.Progress != 0.5 || training.Milestones[0].DoneOn != "2025-09-20" || training.Version != 2 {
		t.Fatalf("after milestone 1 %+v", training)
	}
	if r := e.Do("POST", "/service-plan/items/"+training.ID+"/milestones", map[string]any{"milestone": 1}); r.Status != 409 || r.ErrorID() != "service_item.milestone_done" {
		t.Fatalf("milestone twice: %d %s", r.Status, r.Body)
	}
	for _, c := range []string{"c1", "c2"} {
		e.Must(200, "POST", "/service-plan/items/"+legal.ID+"/beneficiaries", map[string]any{"company_id": c, "served_on": "2025-09-10"}, nil)
	}
	if r := e.Do("POST", "/service-plan/items/"+legal.ID+"/beneficiaries", map[string]any{"company_id": "c1"}); r.Status != 409 || r.ErrorID() != "service_beneficiary.duplicate" {
		t.Fatalf("beneficiary twice: %d %s", r.Status, r.Body)
	}
	evs := e.events(seq)
	if len(evs) != 3 || evs[0].Type != eventsv1.TypeServicePlanMilestoneDone || evs[2].Type != eventsv1.TypeServiceBeneficiaryAdded {
		t.Fatalf("events %v", evs)
	}
	if p := testutil.Payload(t, evs[0], &eventsv1.ServicePlanMilestoneDone{}); p.GetMilestone() != 1 || p.GetItem().GetAchieved() != 1 || p.GetItem().GetVersion() != 2 {
		t.Fatalf("milestone payload %v", p)
	}
	if p := testutil.Payload(t, evs[2], &eventsv1.ServiceBeneficiaryAdded{}); p.GetItem().GetBeneficiaries() != 2 || p.GetBeneficiary().GetCompanyId() != "c2" {
		t.Fatalf("beneficiary payload %v", p)
	}

	// Feedback: the company's own company-admin only, once per item, changeable.
	c1 := as(auth.RoleCompanyAdmin, "c1")
	seq = e.lastSeq()
	e.Must(200, "POST", "/service-plan/items/"+legal.ID+"/feedback", map[string]any{"company_id": "c1", "rating": 3, "comment": "及时"}, nil, c1...)
	e.Must(200, "POST", "/service-plan/items/"+legal.ID+"/feedback", map[string]any{"company_id": "c1", "rating": 5, "comment": "非常及时"}, nil, c1...)
	evs = e.events(seq)
	if len(evs) != 2 {
		t.Fatalf("feedback events %v", evs)
	}
	if p := testutil.Payload(t, evs[1], &eventsv1.ServiceFeedbackGiven{}); !p.GetChanged() || p.GetBeneficiary().GetRating() != 5 || p.GetBeneficiary().GetVersion() != 3 {
		t.Fatalf("changed feedback payload %v", p)
	}
	// The same rating with another comment is a change; the same answer
	// again is none.
	seq = e.lastSeq()
	e.Must(200, "POST", "/service-plan/items/"+legal.ID+"/feedback", map[string]any{"company_id": "c1", "rating": 5, "comment": "非常及时！"}, nil, c1...)
	e.Must(200, "POST", "/service-plan/items/"+legal.ID+"/feedback", map[string]any{"company_id": "c1", "rating": 5, "comment": "非常及时"}, nil, c1...)
	e.Must(200, "POST", "/service-plan/items/"+legal.ID+"/feedback", map[string]any{"company_id": "c1", "rating": 5, "comment": "非常及时"}, nil, c1...)
	if evs = e.events(seq); len(evs) != 2 {
		t.Fatalf("events of a comment changed and back, then repeated: %v", evs)
	}
	for _, tc := range []struct {
		name   string
		hdr    []string
		body   map[string]any
		status int
		id     string
	}{
		{"HQ cannot answer for a company.", nil, map[string]any{"company_id": "c1", "rating": 1}, 403, "auth.forbidden"},
		{"The district lead cannot either.", testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}, "da"), map[string]any{"company_id": "c1", "rating": 1}, 403, "auth.forbidden"},
		{"Another company's admin cannot answer for c1.", as(auth.RoleCompanyAdmin, "c2"), map[string]any{"company_id": "c1", "rating": 1}, 403, "auth.forbidden"},
		{"A company the item did not serve has nothing to answer.", as(auth.RoleCompanyAdmin, "c3"), map[string]any{"company_id": "c3", "rating": 4}, 409, "service_feedback.not_beneficiary"},
		{"A rating of 6 is refused.", c1, map[string]any{"company_id": "c1", "rating": 6}, 400, "service_feedback.rating_invalid"},
		{"A rating of 0 is refused.", c1, map[string]any{"company_id": "c1", "rating": 0}, 400, "service_feedback.rating_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.fieldCounts()
			if r := e.Do("POST", "/service-plan/items/"+legal.ID+"/feedback", tc.body, tc.hdr...); r.Status != tc.status || r.ErrorID() != tc.id {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if after := e.fieldCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("refused feedback wrote: %v → %v", before, after)
			}
		})
	}
	// c1 sees its own record only.
	var bs struct {
		Items []struct {
			CompanyID string `json:"company_id"`
			Rating    int
			Comment   string
		}
	}
	e.Must(200, "GET", "/service-plan/items/"+legal.ID+"/beneficiaries?company_id=c1", nil, &bs, c1...)
	if len(bs.Items) != 1 || bs.Items[0].Rating != 5 || bs.Items[0].Comment != "非常及时" {
		t.Fatalf("c1's record %+v", bs.Items)
	}
	if r := e.Do("GET", "/service-plan/items/"+legal.ID+"/beneficiaries", nil, c1...); r.Status != 403 {
		t.Fatalf("c1 lists every beneficiary: %d", r.Status)
	}

	e.Must(200, "POST", "/service-plan/items/"+training.ID+"/milestones", map[string]any{"milestone": 2}, nil)
	e.Must(200, "GET", "/service-plan/progress", nil, &prog)
	// training: 2 of 2 sessions (done); legal: 2 of 3 companies, one
	// feedback of 5.
	if prog.ItemCount != 2 || prog.ItemsDone != 1 || prog.CompaniesServed != 2 || prog.Feedbacks != 1 || prog.AverageRating == nil || *prog.AverageRating != 5 {
		t.Fatalf("progress %+v", prog)
	}
	if it := prog.Items[1]; it.ID != legal.ID || it.Achieved != 2 || it.Beneficiaries != 2 || it.Progress < 0.66 || it.Progress > 0.67 || it.Feedbacks != 1 {
		t.Fatalf("legal item %+v", it)
	}
	if it := prog.Items[0]; it.Achieved != 2 || it.Progress != 1 || it.AverageRating != nil {
		t.Fatalf("training item %+v", it)
	}
}

// TestFieldworkBadInputWritesNothing: every refused request names its
// stable id and field, and writes nothing.
func TestFieldworkBadInputWritesNothing(t *testing.T) {
	e := newEnv(t)
	var item serviceItem
	e.Must(201, "POST", "/service-plan/items", serviceItemBody(nil), &item)
	items := "/service-plan/items/" + item.ID
	visit := func(over map[string]any) map[string]any { return visitBody("c1", over) }
	svc := serviceItemBody
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		id, field          string
	}{
		{"A visit without a company is refused.", "POST", "/field-visits", visit(map[string]any{"company_id": " "}), 400, "field_visit.company_id_required", "company_id"},
		{"A visit of a company meetings does not know is company.not_found.", "POST", "/field-visits", visit(map[string]any{"company_id": "nope"}), 404, "company.not_found", "company_id"},
		{"A visit tomorrow is refused.", "POST", "/field-visits", visit(map[string]any{"visited_on": "2025-09-23"}), 400, "field_visit.visited_on_invalid", "visited_on"},
		{"A visit in 1999 is refused.", "POST", "/field-visits", visit(map[string]any{"visited_on": "1999-12-31"}), 400, "field_visit.visited_on_invalid", "visited_on"},
		{"A visit date that is no date is refused.", "POST", "/field-visits", visit(map[string]any{"visited_on": "2025-02-30"}), 400, "field_visit.visited_on_invalid", "visited_on"},
		{"A visit nobody went on is refused.", "POST", "/field-visits", visit(map[string]any{"visited_by": []map[string]string{}}), 400, "field_visit.visited_by_invalid", "visited_by"},
		{"A visitor without a name is refused.", "POST", "/field-visits", visit(map[string]any{"visited_by": []map[string]string{{"name": " ", "role": "x"}}}), 400, "field_visit.visited_by_invalid", "visited_by"},
		{"A line break in a visitor's name names its path.", "POST", "/field-visits", visit(map[string]any{"visited_by": []map[string]string{{"name": "罗\n灯亮"}}}), 400, "request.control_character", "visited_by[0].name"},
		{"Findings over 20000 characters are refused.", "POST", "/field-visits", visit(map[string]any{"findings": strings.Repeat("查", 20001)}), 400, "field_visit.findings_too_long", "findings"},
		{"A point of an unknown area is refused.", "POST", "/field-visits", visit(map[string]any{"points": []map[string]any{{"area": "canteen", "rating": "good"}}}), 400, "field_visit.points_invalid", "points"},
		{"A point of an unknown rating is refused.", "POST", "/field-visits", visit(map[string]any{"points": []map[string]any{{"area": "risks", "rating": "awful"}}}), 400, "field_visit.points_invalid", "points"},
		{"A follow-up without a title is refused.", "POST", "/field-visits", visit(map[string]any{"follow_ups": []map[string]string{{"title": "", "due_on": "2025-10-01"}}}), 400, "field_visit.follow_ups_invalid", "follow_ups"},
		{"A follow-up due in 9999 is refused.", "POST", "/field-visits", visit(map[string]any{"follow_ups": []map[string]string{{"title": "t", "due_on": "9999-01-01"}}}), 400, "field_visit.follow_up_due_on_invalid", "follow_ups[0].due_on"},
		{"A follow-up's bad due date names its row.", "POST", "/field-visits", visit(map[string]any{"follow_ups": []map[string]string{{"title": "t", "due_on": "2025-10-01"}, {"title": "u", "due_on": "2025-13-01"}}}), 400, "field_visit.follow_up_due_on_invalid", "follow_ups[1].due_on"},
		{"A visit with an unknown field is refused.", "POST", "/field-visits", visit(map[string]any{"weather": "rain"}), 400, "request.unknown_field", "weather"},
		{"An unknown visit is 404.", "GET", "/field-visits/nope", nil, 404, "field_visit.not_found", ""},
		{"A plan of 0 periods is refused.", "GET", "/field-visits/plan?periods=0", nil, 400, "field_visit.periods_invalid", "periods"},
		{"A plan of 37 periods is refused.", "GET", "/field-visits/plan?periods=37", nil, 400, "field_visit.periods_invalid", "periods"},
		{"An item without a term is refused.", "POST", "/service-plan/items", svc(map[string]any{"term": ""}), 400, "service_item.term_invalid", "term"},
		{"An item of an unknown kind is refused.", "POST", "/service-plan/items", svc(map[string]any{"kind": "party"}), 400, "service_item.kind_invalid", "kind"},
		{"An item without a title is refused.", "POST", "/service-plan/items", svc(map[string]any{"title": " "}), 400, "service_item.title_required", "title"},
		{"An item without an owner is refused.", "POST", "/service-plan/items", svc(map[string]any{"owner": ""}), 400, "service_item.owner_required", "owner"},
		{"A description over 5000 characters is refused.", "POST", "/service-plan/items", svc(map[string]any{"description": strings.Repeat("述", 5001)}), 400, "service_item.description_too_long", "description"},
		{"A target in hours is refused.", "POST", "/service-plan/items", svc(map[string]any{"target_unit": "hours"}), 400, "service_item.target_unit_invalid", "target_unit"},
		{"A target of 0 is refused.", "POST", "/service-plan/items", svc(map[string]any{"target_count": 0}), 400, "service_item.target_count_invalid", "target_count"},
		{"A target over 10000 is refused.", "POST", "/service-plan/items", svc(map[string]any{"target_count": 10001}), 400, "service_item.target_count_invalid", "target_count"},
		{"A milestone without a date is refused.", "POST", "/service-plan/items", svc(map[string]any{"milestones": []map[string]string{{"title": "t", "due_on": ""}}}), 400, "service_item.milestones_invalid", "milestones"},
		{"A term filter over 20 characters is refused.", "GET", "/service-plan/items?term=" + strings.Repeat("x", 21), nil, 400, "service_item.term_invalid", "term"},
		{"An unknown item is 404.", "GET", "/service-plan/items/nope", nil, 404, "service_item.not_found", ""},
		{"Milestone 0 is refused.", "POST", items + "/milestones", map[string]any{"milestone": 0}, 400, "service_item.milestone_invalid", "milestone"},
		{"Milestone 3 of 2 is refused.", "POST", items + "/milestones", map[string]any{"milestone": 3}, 400, "service_item.milestone_invalid", "milestone"},
		{"A milestone done tomorrow is refused.", "POST", items + "/milestones", map[string]any{"milestone": 1, "done_on": "2025-09-23"}, 400, "service_item.done_on_invalid", "done_on"},
		{"A milestone of an unknown item is 404.", "POST", "/service-plan/items/nope/milestones", map[string]any{"milestone": 1}, 404, "service_item.not_found", ""},
		{"A beneficiary without a company is refused.", "POST", items + "/beneficiaries", map[string]any{"company_id": ""}, 400, "service_beneficiary.company_id_required", "company_id"},
		{"A beneficiary meetings does not know is company.not_found.", "POST", items + "/beneficiaries", map[string]any{"company_id": "nope"}, 404, "company.not_found", "company_id"},
		{"A company served tomorrow is refused.", "POST", items + "/beneficiaries", map[string]any{"company_id": "c1", "served_on": "2025-09-23"}, 400, "service_beneficiary.served_on_invalid", "served_on"},
		{"A note over 500 characters is refused.", "POST", items + "/beneficiaries", map[string]any{"company_id": "c1", "note": strings.Repeat("注", 501)}, 400, "service_beneficiary.note_too_long", "note"},
		{"A beneficiary of an unknown item is 404.", "POST", "/service-plan/items/nope/beneficiaries", map[string]any{"company_id": "c1"}, 404, "service_item.not_found", ""},
		{"The beneficiaries of an unknown item are 404.", "GET", "/service-plan/items/nope/beneficiaries", nil, 404, "service_item.not_found", ""},
		{"A progress term over 20 characters is refused.", "GET", "/service-plan/progress?term=" + strings.Repeat("x", 21), nil, 400, "service_item.term_invalid", "term"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.fieldCounts()
			r := e.Do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s (field %q)", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
			if after := e.fieldCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("refused request wrote: %v → %v", before, after)
			}
		})
	}
	// Feedback's own bad input, as the beneficiary's admin.
	e.Must(200, "POST", items+"/beneficiaries", map[string]any{"company_id": "c1"}, nil)
	c1 := as(auth.RoleCompanyAdmin, "c1")
	for _, tc := range []struct {
		name      string
		body      map[string]any
		path      string
		status    int
		id, field string
	}{
		{"A comment over 2000 characters is refused.", map[string]any{"company_id": "c1", "rating": 4, "comment": strings.Repeat("评", 2001)}, items, 400, "service_feedback.comment_too_long", "comment"},
		{"Feedback on an unknown item is 404.", map[string]any{"company_id": "c1", "rating": 4}, "/service-plan/items/nope", 404, "service_item.not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.fieldCounts()
			r := e.Do("POST", tc.path+"/feedback", tc.body, c1...)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s (field %q)", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
			if after := e.fieldCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("refused request wrote: %v → %v", before, after)
			}
		})
	}
}

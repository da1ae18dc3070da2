package messaging_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/messaging"
)

// aidBody is a valid request: 4 certified guards for a cultural-tourism
// event the day after now, 08:00–20:00.
func aidBody(now time.Time) map[string]any {
	day := time.Date(now.Year(), now.Month(), now.Day()+1, 8, 0, 0, 0, cst)
	return map[string]any{"kind": "cultural_tourism", "title": "国庆文旅活动安保支援", "headcount": 4, "qualification": "certified",
		"starts_at": day, "ends_at": day.Add(12 * time.Hour), "place": "沌口体育中心", "contact_role": "现场负责人"}
}

type aidRequest struct {
	ID        string   `json:"id"`
	District  string   `json:"district"`
	Status    string   `json:"status"`
	Headcount int      `json:"headcount"`
	Offered   int      `json:"offered"`
	Accepted  int      `json:"accepted"`
	VisibleTo []string `json:"visible_to"`
}

type aidOffer struct {
	ID                string `json:"id"`
	CompanyID         string `json:"company_id"`
	District          string `json:"district"`
	Headcount         int    `json:"headcount"`
	Status            string `json:"status"`
	AcceptedHeadcount int    `json:"accepted_headcount"`
}

// guards puts n active guards of company into node's projection, the
// first certified ones valid until validUntil ("" no end).
func guards(t *testing.T, n *messaging.Node, company string, active, certified int, validUntil string) {
	t.Helper()
	for i := range active {
		if err := n.PutGuard(context.Background(), messaging.Guard{ID: fmt.Sprintf("%s-g%d-%s", company, i, validUntil), CompanyID: company,
			Active: true, Certified: i < certified, ValidUntil: validUntil, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) aidCounts() map[string]int {
	return map[string]int{"aid": e.count("aid_requests"), "offers": e.count("aid_offers"), "outbox": e.count("eventbus_outbox"), "audit": e.count("audit_log")}
}

func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.node.DB().DB.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestAnOfferIsCheckedAgainstTheCompanysCertifiedHeadcount: a company can
// offer its active guards certified through the window's last day, less
// what it offered for overlapping open requests; never more than the
// request still needs; never for its own request.
func TestAnOfferIsCheckedAgainstTheCompanysCertifiedHeadcount(t *testing.T) {
	e := newEnv(t)
	tomorrow := e.clock.now().AddDate(0, 0, 1).Format(time.DateOnly)
	guards(t, e.node, "c2", 3, 3, "")                                                                                    // three certified, no end date
	guards(t, e.node, "c2", 2, 2, "2025-09-23")                                                                          // certificates that lapse before the event
	guards(t, e.node, "c2", 2, 0, "")                                                                                    // active, not certified
	guards(t, e.node, "c3", 2, 2, tomorrow)                                                                              // valid through the event's day
	_ = e.node.PutGuard(context.Background(), messaging.Guard{ID: "left", CompanyID: "c2", Certified: true, Version: 1}) // left
	var r aidRequest
	e.Must(201, "POST", "/aid/requests", aidBody(e.clock.now()), &r, companyAdmin("c1")...)
	if r.Status != "open" || r.District != "jingkai" || len(r.VisibleTo) != 0 {
		t.Fatalf("request %+v, want open, jingkai's, city-wide by the default policy", r)
	}
	var av struct{ Qualified, Committed, Available int }
	e.Must(200, "GET", "/aid/requests/"+r.ID+"/availability", nil, &av, companyAdmin("c2")...)
	if av.Qualified != 3 || av.Available != 3 {
		t.Fatalf("availability %+v, want the 3 certified through the window", av)
	}
	before := e.aidCounts()
	for _, tc := range []struct {
		company string
		n       int
		status  int
		id      string
	}{
		{"c2", 4, 422, "aid.offer_exceeds_available"},
		{"c2", 5, 422, "aid.offer_exceeds_need"},
		{"c1", 1, 422, "aid.own_request"},
		{"c2", 0, 400, "aid.offer_headcount_invalid"},
	} {
		if got := e.Do("POST", "/aid/requests/"+r.ID+"/offers", map[string]any{"headcount": tc.n}, companyAdmin(tc.company)...); got.Status != tc.status || got.ErrorID() != tc.id {
			t.Fatalf("offer of %d by %s: %d %s, want %d %s", tc.n, tc.company, got.Status, got.Body, tc.status, tc.id)
		}
	}
	if after := e.aidCounts(); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused offers wrote: %v → %v", before, after)
	}
	var o2, o3 aidOffer
	e.Must(201, "POST", "/aid/requests/"+r.ID+"/offers", map[string]any{"headcount": 3}, &o2, companyAdmin("c2")...)
	e.Must(201, "POST", "/aid/requests/"+r.ID+"/offers", map[string]any{"headcount": 2}, &o3, companyAdmin("c3")...)
	// An overlapping request: c2's three are committed.
	var r2 aidRequest
	e.Must(201, "POST", "/aid/requests", aidBody(e.clock.now()), &r2, lead...)
	e.Must(200, "GET", "/aid/requests/"+r2.ID+"/availability", nil, &av, companyAdmin("c2")...)
	if av.Committed != 3 || av.Available != 0 {
		t.Fatalf("availability for an overlapping request %+v, want 3 committed, 0 available", av)
	}
	if got := e.Do("POST", "/aid/requests/"+r2.ID+"/offers", map[string]any{"headcount": 1}, companyAdmin("c2")...); got.ErrorID() != "aid.offer_exceeds_available" {
		t.Fatalf("offer of committed guards: %d %s", got.Status, got.Body)
	}
	// A request of the week after does not overlap.
	later := aidBody(e.clock.now().AddDate(0, 0, 7))
	var r3 aidRequest
	e.Must(201, "POST", "/aid/requests", later, &r3, lead...)
	e.Must(200, "GET", "/aid/requests/"+r3.ID+"/availability", nil, &av, companyAdmin("c2")...)
	if av.Committed != 0 || av.Available != 3 {
		t.Fatalf("availability for a later request %+v, want 3", av)
	}
	// Cancelling the first request frees c2's offered guards.
	e.Must(200, "POST", "/aid/requests/"+r.ID+"/close", map[string]any{"outcome": "cancelled", "reason": "活动延期"}, nil, companyAdmin("c1")...)
	e.Must(200, "GET", "/aid/requests/"+r2.ID+"/availability", nil, &av, companyAdmin("c2")...)
	if av.Committed != 0 || av.Available != 3 {
		t.Fatalf("availability after the cancellation %+v, want 3", av)
	}
}

// TestAnAidRequestsStateMachine: open → (partial acceptances) → fulfilled
// when the accepted guards reach the headcount; the requester decides,
// nobody else; a closed request takes no more offers, acceptances or
// closures; expiry closes an open request after its window.
func TestAnAidRequestsStateMachine(t *testing.T) {
	e := newEnv(t)
	guards(t, e.node, "c2", 5, 5, "")
	guards(t, e.node, "c3", 5, 5, "")
	var r aidRequest
	e.Must(201, "POST", "/aid/requests", aidBody(e.clock.now()), &r, companyAdmin("c1")...)
	var o2, o3 aidOffer
	e.Must(201, "POST", "/aid/requests/"+r.ID+"/offers", map[string]any{"headcount": 3}, &o2, companyAdmin("c2")...)
	e.Must(201, "POST", "/aid/requests/"+r.ID+"/offers", map[string]any{"headcount": 3}, &o3, companyAdmin("c3")...)
	if got := e.Do("POST", "/aid/requests/"+r.ID+"/offers/"+o2.ID+"/accept", map[string]any{}, companyAdmin("c2")...); got.ErrorID() != "aid.requester_only" {
		t.Fatalf("an offering company accepting: %d %s", got.Status, got.Body)
	}
	if got := e.Do("POST", "/aid/requests/"+r.ID+"/offers/"+o2.ID+"/accept", map[string]any{"headcount": 4}, companyAdmin("c1")...); got.ErrorID() != "aid.accept_headcount_invalid" {
		t.Fatalf("accepting more than offered: %d %s", got.Status, got.Body)
	}
	if got := e.Do("POST", "/aid/requests/"+r.ID+"/close", map[string]any{"outcome": "fulfilled"}, companyAdmin("c1")...); got.ErrorID() != "aid.nothing_accepted" {
		t.Fatalf("fulfilled with nothing accepted: %d %s", got.Status, got.Body)
	}
	var a aidOffer
	e.Must(200, "POST", "/aid/requests/"+r.ID+"/offers/"+o2.ID+"/accept", map[string]any{"headcount": 2}, &a, companyAdmin("c1")...)
	if a.Status != "accepted" || a.AcceptedHeadcount != 2 {
		t.Fatalf("partial acceptance %+v", a)
	}
	if got := e.Do("POST", "/aid/requests/"+r.ID+"/offers/"+o2.ID+"/accept", nil, companyAdmin("c1")...); got.ErrorID() != "aid.offer_already_accepted" {
		t.Fatalf("accepting twice: %d %s", got.Status, got.Body)
	}
	if got := e.Do("POST", "/aid/requests/"+r.ID+"/offers/"+o3.ID+"/accept", map[string]any{"headcount": 3}, lead...); got.ErrorID() != "aid.accept_exceeds_need" {
		t.Fatalf("accepting past the need: %d %s", got.Status, got.Body)
	}
	// The lead accepts the rest: 2 of c3's 3, by default up to the need.
	e.Must(200, "POST", "/aid/requests/"+r.ID+"/offers/"+o3.ID+"/accept", nil, &a, lead...)
	if a.AcceptedHeadcount != 2 {
		t.Fatalf("default acceptance %+v, want the 2 still needed", a)
	}
	var got aidRequest
	e.Must(200, "GET", "/aid/requests/"+r.ID, nil, &got, companyAdmin("c3")...)
	if got.Status != "fulfilled" || got.Accepted != 4 || got.Offered != 6 {
		t.Fatalf("request %+v, want fulfilled with 4 accepted of 6 offered", got)
	}
	for _, call := range []struct{ path, company string }{{"/offers", "c2"}, {"/close", "c1"}} {
		body := map[string]any{"headcount": 1}
		if call.path == "/close" {
			body = map[string]any{"outcome": "cancelled"}
		}
		if r := e.Do("POST", "/aid/requests/"+r.ID+call.path, body, companyAdmin(call.company)...); r.ErrorID() != "aid.not_open" {
			t.Fatalf("%s on a fulfilled request: %d %s", call.path, r.Status, r.Body)
		}
	}
	var closed int
	if err := e.node.DB().DB.QueryRow(`SELECT count(*) FROM eventbus_outbox WHERE event_type = 'AidRequestClosed'`).Scan(&closed); err != nil {
		t.Fatal(err)
	}
	if closed != 1 {
		t.Fatalf("%d AidRequestClosed events, want 1", closed)
	}
	// Expiry: a request whose window ended closes as expired, once.
	var r2 aidRequest
	e.Must(201, "POST", "/aid/requests", aidBody(e.clock.now()), &r2, lead...)
	if n, err := e.node.ExpireAidRequests(context.Background()); err != nil || n != 0 {
		t.Fatalf("expiry before the window: %d %v", n, err)
	}
	e.clock.add(3 * 24 * time.Hour)
	if n, err := e.node.ExpireAidRequests(context.Background()); err != nil || n != 1 {
		t.Fatalf("expiry after the window: %d %v, want 1", n, err)
	}
	if n, _ := e.node.ExpireAidRequests(context.Background()); n != 0 {
		t.Fatalf("a second expiry pass closed %d", n)
	}
	e.Must(200, "GET", "/aid/requests/"+r2.ID, nil, &got, lead...)
	if got.Status != "expired" {
		t.Fatalf("request %+v, want expired", got)
	}
	var st struct {
		Rows []struct {
			Kind                    string   `json:"kind"`
			Requests                int      `json:"requests"`
			Fulfilled               int      `json:"fulfilled"`
			Expired                 int      `json:"expired"`
			FillRate                *float64 `json:"fill_rate"`
			MeanSecondsToFirstOffer *float64 `json:"mean_seconds_to_first_offer"`
		} `json:"rows"`
	}
	e.Must(200, "GET", "/aid/stats", nil, &st, lead...)
	if len(st.Rows) != 1 || st.Rows[0].Requests != 2 || st.Rows[0].Fulfilled != 1 || st.Rows[0].Expired != 1 ||
		st.Rows[0].FillRate == nil || *st.Rows[0].FillRate != 0.5 || st.Rows[0].MeanSecondsToFirstOffer == nil {
		t.Fatalf("stats %+v, want 2 requests, 1 fulfilled, 1 expired, fill rate 4/8", st)
	}
}

// TestBadAidRequestsAreRefusedWithTheirIDAndField: each bad field has its
// id and field; nothing is written.
func TestBadAidRequestsAreRefusedWithTheirIDAndField(t *testing.T) {
	e := newEnv(t)
	with := func(k string, v any) map[string]any {
		b := aidBody(e.clock.now())
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	st := aidBody(e.clock.now())["starts_at"].(time.Time)
	for _, tc := range []struct {
		name      string
		body      map[string]any
		id, field string
	}{
		{"An unknown kind.", with("kind", "sports"), "aid.kind_invalid", "kind"},
		{"No title.", with("title", " "), "aid.title_required", "title"},
		{"No guards.", with("headcount", 0), "aid.headcount_invalid", "headcount"},
		{"Too many guards.", with("headcount", 1001), "aid.headcount_invalid", "headcount"},
		{"An unknown qualification.", with("qualification", "armed"), "aid.qualification_invalid", "qualification"},
		{"No start.", with("starts_at", nil), "aid.starts_at_invalid", "starts_at"},
		{"An end before the start.", with("ends_at", st.Add(-time.Hour)), "aid.ends_at_invalid", "ends_at"},
		{"A window over 31 days.", with("ends_at", st.Add(32*24*time.Hour)), "aid.ends_at_invalid", "ends_at"},
		{"An end in the past.", with("ends_at", start.Add(-time.Minute)), "aid.ends_at_invalid", "ends_at"},
		{"No place.", with("place", ""), "aid.place_required", "place"},
		{"No contact role.", with("contact_role", nil), "aid.contact_role_required", "contact_role"},
		{"A description over 5000 characters.", with("description", strings.Repeat("援", 5001)), "aid.description_too_long", "description"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.aidCounts()
			r := e.Do("POST", "/aid/requests", tc.body, lead...)
			if r.Status != 400 || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want 400 %s (field %s)", r.Status, r.Body, tc.id, tc.field)
			}
			if after := e.aidCounts(); !reflect.DeepEqual(before, after) {
				t.Fatalf("wrote %v → %v", before, after)
			}
		})
	}
	if r := e.Do("GET", "/aid/requests?status=closed", nil, lead...); r.ErrorID() != "aid.status_invalid" || r.ErrorField() != "status" {
		t.Fatalf("bad status filter: %d %s", r.Status, r.Body)
	}
}

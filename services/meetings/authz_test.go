package meetings_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/meetings"
)

// TestAuthzMatrix calls every route as every kind of caller and checks the
// answer against the policy table: allowed callers never get 403, everyone
// else gets 403 auth.forbidden (cross-district included).
func TestAuthzMatrix(t *testing.T) {
	e := newEnv(t)
	e.clock.set(meetingStart.Add(-30 * time.Minute))
	m := e.heldMeeting()
	invs := e.invite(m.ID, "c1", "c2")
	res := e.resolution(m.ID)
	item := res.ActionItems[1] // owned by c1
	var ent entry
	e.Must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "s", "kind": "speech", "text": "t"}, &ent)
	// A visit of c1 and a plan item that served c1 (issue 17).
	var visit struct{ ID string }
	e.Must(201, "POST", "/field-visits", map[string]any{"company_id": "c1", "visited_on": "2025-09-22", "visited_by": []map[string]string{{"name": "罗灯亮"}}}, &visit)
	var svcItem struct{ ID string }
	e.Must(201, "POST", "/service-plan/items", map[string]any{"term": "2025-2028", "kind": "training", "title": "联合培训", "owner": "秘书处",
		"target_unit": "sessions", "target_count": 2, "milestones": []map[string]string{{"title": "第一期", "due_on": "2025-10-30"}}}, &svcItem)
	e.Must(200, "POST", "/service-plan/items/"+svcItem.ID+"/beneficiaries", map[string]any{"company_id": "c1"}, nil)

	callers := []struct {
		label string
		p     auth.Principal
	}{
		{"hq", auth.Principal{Role: auth.RoleHQAdmin}},
		{"da-own", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}},
		{"da-other", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}}},
		{"ca-own", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"}},
		{"ca-othercompany", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c2"}},
		{"ca-otherdistrict", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"caidian"}, Company: "c1"}},
		{"police-city", auth.Principal{Role: auth.RolePolice}},
		{"police-own", auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}},
		{"police-other", auth.Principal{Role: auth.RolePolice, Districts: []string{"caidian"}}},
		{"guard", auth.Principal{Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"}},
		{"ops", auth.Principal{Role: auth.RoleOps}},
	}
	// Each route as a concrete request acting on company c1's things.
	type call struct {
		path string
		body any
	}
	calls := map[string]call{
		"create_meeting":            {"/meetings", map[string]any{"type": "council", "title": "t", "starts_at": meetingStart, "ends_at": meetingStart.Add(time.Hour)}},
		"list_meetings":             {"/meetings", nil},
		"get_meeting":               {"/meetings/" + m.ID, nil},
		"update_meeting":            {"/meetings/" + m.ID, map[string]any{}},
		"change_meeting_status":     {"/meetings/" + m.ID + "/status", map[string]any{"status": "scheduled"}},
		"add_agenda_item":           {"/meetings/" + m.ID + "/agenda", map[string]any{"kind": "remarks", "title": "t"}},
		"list_agenda":               {"/meetings/" + m.ID + "/agenda", nil},
		"reorder_agenda":            {"/meetings/" + m.ID + "/agenda/order", map[string]any{"item_ids": []string{}}},
		"invite":                    {"/meetings/" + m.ID + "/invitations", map[string]any{"people": []map[string]string{{"name": "x", "role": "guest"}}}},
		"list_invitations":          {"/meetings/" + m.ID + "/invitations", nil},
		"record_attendance":         {"/meetings/" + m.ID + "/invitations/" + invs[2].ID + "/attendance", map[string]any{"status": "present"}},
		"check_in":                  {"/meetings/" + m.ID + "/check-in", map[string]any{"code": invs[0].CheckInCode}},
		"meeting_attendance":        {"/meetings/" + m.ID + "/attendance", nil},
		"export_attendance":         {"/meetings/" + m.ID + "/attendance/export", nil},
		"company_attendance":        {"/attendance/companies/c1", nil},
		"add_minute_entry":          {"/meetings/" + m.ID + "/minutes/entries", map[string]any{"speaker": "s", "kind": "speech", "text": "t"}},
		"update_minute_entry":       {"/meetings/" + m.ID + "/minutes/entries/" + ent.ID, map[string]any{}},
		"delete_minute_entry":       {"/meetings/" + m.ID + "/minutes/entries/nope", nil},
		"publish_minutes":           {"/meetings/" + m.ID + "/minutes/publish", nil},
		"get_minutes":               {"/meetings/" + m.ID + "/minutes?version=draft", nil},
		"adopt_resolution":          {"/meetings/" + m.ID + "/resolutions", map[string]any{"title": "r"}},
		"list_resolutions":          {"/resolutions", nil},
		"get_resolution":            {"/resolutions/" + res.ID, nil},
		"list_action_items":         {"/action-items?owner_company_id=c1", nil},
		"export_action_items":       {"/action-items/export?owner_company_id=c1&format=csv", nil},
		"get_action_item":           {"/action-items/" + item.ID, nil},
		"change_action_item_status": {"/action-items/" + item.ID + "/status", map[string]any{"status": "accepted"}},
		"get_convention":            {"/convention", nil},
		"sign_convention":           {"/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "x", "convention_version": "old"}},
		"list_signatures":           {"/convention/signatures", nil},
		"signature_rate":            {"/convention/rate", nil},
		"roundtable_cadence":        {"/roundtables/cadence", nil},
		"list_audit":                {"/meetings/audit", nil},
		"record_field_visit":        {"/field-visits", map[string]any{"company_id": "c1", "visited_on": "2025-09-22", "visited_by": []map[string]string{{"name": "x"}}}},
		"list_field_visits":         {"/field-visits?company_id=c1", nil},
		"get_field_visit":           {"/field-visits/" + visit.ID, nil},
		"field_visit_plan":          {"/field-visits/plan", nil},
		"unvisited_companies":       {"/field-visits/unvisited", nil},
		"create_service_item":       {"/service-plan/items", map[string]any{"term": "2025-2028", "kind": "legal", "title": "t", "owner": "o", "target_unit": "companies", "target_count": 1}},
		"list_service_items":        {"/service-plan/items", nil},
		"get_service_item":          {"/service-plan/items/" + svcItem.ID, nil},
		"complete_milestone":        {"/service-plan/items/" + svcItem.ID + "/milestones", map[string]any{"milestone": 9}},
		"add_beneficiary":           {"/service-plan/items/" + svcItem.ID + "/beneficiaries", map[string]any{"company_id": "c2"}},
		"list_beneficiaries":        {"/service-plan/items/" + svcItem.ID + "/beneficiaries?company_id=c1", nil},
		"give_feedback":             {"/service-plan/items/" + svcItem.ID + "/feedback", map[string]any{"company_id": "c1", "rating": 4}},
		"service_plan_progress":     {"/service-plan/progress", nil},
	}
	policy := meetings.Policy()
	companyRoutes := map[string]bool{"check_in": true, "company_attendance": true, "list_action_items": true, "get_action_item": true,
		"change_action_item_status": true, "sign_convention": true,
		"export_action_items": true, "list_field_visits": true, "get_field_visit": true, "list_beneficiaries": true, "give_feedback": true}
	for _, rt := range meetings.Routes() {
		name := strings.TrimPrefix(rt.Endpoint, meetings.EndpointPrefix)
		c, ok := calls[name]
		if !ok {
			t.Errorf("route %s has no matrix call", name)
			continue
		}
		if _, ok := policy[rt.Endpoint]; !ok {
			t.Errorf("route %s has no policy row", name)
		}
		for _, cl := range callers {
			target := auth.Target{District: "jingkai"}
			if companyRoutes[name] {
				target.Company = "c1"
			}
			allowed := policy.Decide(cl.p, rt.Endpoint, target) == nil
			r := e.Do(rt.Method, c.path, c.body, testutil.PrincipalHeaders(cl.p, cl.label)...)
			if allowed && (r.Status == 403 || r.Status == 401) {
				t.Errorf("%s %s as %s: %d %s, want allowed", rt.Method, name, cl.label, r.Status, r.Body)
			}
			if !allowed && (r.Status != 403 || r.ErrorID() != "auth.forbidden") {
				t.Errorf("%s %s as %s: %d %s, want 403", rt.Method, name, cl.label, r.Status, r.Body)
			}
		}
	}
	if len(calls) != len(meetings.Routes()) {
		t.Errorf("%d matrix calls for %d routes", len(calls), len(meetings.Routes()))
	}
	// Guard and ops are allowed nowhere.
	for ep, rule := range policy {
		for _, r := range []auth.Role{auth.RoleGuard, auth.RoleOps} {
			if rule.Roles[r] != auth.ScopeDeny {
				t.Errorf("%s allows %s", ep, r)
			}
		}
	}
}

// TestAnonymousRequestsAreRefusedBeforeTheyAreRead sends every route an
// anonymous, otherwise malformed request: 401, never a 400 that describes
// the body.
func TestAnonymousRequestsAreRefusedBeforeTheyAreRead(t *testing.T) {
	node, err := meetings.New(context.Background(), meetings.Config{
		District: "jingkai", DBPath: filepath.Join(t.TempDir(), "meetings.db"),
	}, meetings.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	routes := meetings.Routes()
	testutil.CheckAuthenticatesFirst(t, node.Handler(), routes, "jingkai")
}

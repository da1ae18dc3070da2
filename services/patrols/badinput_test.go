package patrols_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/patrols"
)

// TestBadInputChangesNothing sends each route input it must refuse: the
// answer names the stable id and the field at fault, and nothing is
// written (no row, no outbox event).
func TestBadInputChangesNothing(t *testing.T) {
	e, w := scanWorld(t)
	e.clock.set(nationalDay.Add(90 * time.Minute))
	tm := e.team("g1")
	poly := []map[string]float64{{"lat": 30.5, "lng": 114.2}, {"lat": 30.5, "lng": 114.21}}
	ok := item(w.cp1.TagValue, 99, nationalDay.Add(90*time.Minute), cp1At)
	scan := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"guard_id": "g1", "device_id": "phone"}
		for k, v := range ok {
			m[k] = v
		}
		change(m)
		return m
	}
	batch := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"guard_id": "g1", "device_id": "phone", "device_time": nationalDay, "scans": []map[string]any{ok}}
		change(m)
		return m
	}
	g1 := as(guardP("g1"))
	for _, tc := range []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		id, field          string
	}{
		{"A team without a name.", "POST", "/teams", map[string]any{"name": " ", "leader_guard_id": "g1"}, nil, 400, "team.name_required", "name"},
		{"A team name with a line break.", "POST", "/teams", map[string]any{"name": "a\nb", "leader_guard_id": "g1"}, nil, 400, "request.control_character", "name"},
		{"A team without a leader.", "POST", "/teams", map[string]any{"name": "x"}, nil, 400, "team.leader_required", "leader_guard_id"},
		{"A team with an unknown field.", "POST", "/teams", map[string]any{"name": "x", "leader_guard_id": "g1", "members": 3}, nil, 400, "request.unknown_field", "members"},
		{"A join without a guard.", "POST", "/teams/" + tm.ID + "/members", map[string]any{}, nil, 400, "team.guard_id_required", "guard_id"},
		{"A join of an unknown team.", "POST", "/teams/nope/members", map[string]any{"guard_id": "g2"}, nil, 404, "team.not_found", ""},
		{"An area of an unknown shape.", "POST", "/areas", map[string]any{"name": "x", "shape": "square"}, nil, 400, "area.shape_invalid", "shape"},
		{"A polygon of two points.", "POST", "/areas", map[string]any{"name": "x", "shape": "polygon", "polygon": poly}, nil, 400, "area.polygon_invalid", "polygon"},
		{"A circle without a centre.", "POST", "/areas", map[string]any{"name": "x", "shape": "circle", "radius_m": 100}, nil, 400, "area.center_invalid", "center"},
		{"A circle of 5 m.", "POST", "/areas", map[string]any{"name": "x", "shape": "circle", "center": areaCenter, "radius_m": 5}, nil, 400, "area.radius_invalid", "radius_m"},
		{"A latitude of 91.", "POST", "/areas", map[string]any{"name": "x", "shape": "circle", "center": map[string]float64{"lat": 91, "lng": 114}, "radius_m": 100}, nil, 400, "area.center_invalid", "center"},
		{"An unknown coordinate system.", "POST", "/areas", map[string]any{"name": "x", "shape": "circle", "crs": "bd09", "center": areaCenter, "radius_m": 100}, nil, 400, "geo.crs_invalid", "crs"},
		{"A checkpoint tag of 4 characters.", "POST", "/areas/" + w.areaID + "/checkpoints", map[string]any{"name": "x", "tag_kind": "qr", "tag_value": "abcd", "location": cp1At}, nil, 400, "checkpoint.tag_value_invalid", "tag_value"},
		{"A checkpoint of an unknown tag kind.", "POST", "/areas/" + w.areaID + "/checkpoints", map[string]any{"name": "x", "tag_kind": "rfid", "tag_value": "abcdefgh", "location": cp1At}, nil, 400, "checkpoint.tag_kind_invalid", "tag_kind"},
		{"A checkpoint outside its area.", "POST", "/areas/" + w.areaID + "/checkpoints", map[string]any{"name": "x", "tag_kind": "qr", "tag_value": "abcdefgh", "location": north(cp1At, 900)}, nil, 422, "checkpoint.outside_area", "location"},
		{"A checkpoint with another's tag.", "POST", "/areas/" + w.areaID + "/checkpoints", map[string]any{"name": "x", "tag_kind": "qr", "tag_value": w.cp1.TagValue, "location": cp1At}, nil, 409, "checkpoint.tag_duplicate", "tag_value"},
		{"A plan of an unknown area.", "POST", "/plans", map[string]any{"name": "x", "area_id": "nope", "starts_at": nationalDay, "ends_at": nationalDay.Add(time.Hour)}, nil, 400, "plan.area_id_required", "area_id"},
		{"A plan ending before it starts.", "POST", "/plans", map[string]any{"name": "x", "area_id": w.areaID, "starts_at": nationalDay, "ends_at": nationalDay.Add(-time.Hour)}, nil, 400, "plan.period_invalid", "ends_at"},
		{"A plan starting on a second.", "POST", "/plans", map[string]any{"name": "x", "area_id": w.areaID, "starts_at": nationalDay.Add(time.Second), "ends_at": nationalDay.Add(time.Hour)}, nil, 400, "plan.period_invalid", "ends_at"},
		{"A shift outside its plan's period.", "POST", "/plans/" + w.planID + "/shifts", map[string]any{"starts_at": nationalDay.Add(-9 * time.Hour), "ends_at": nationalDay, "required": 1, "route": []string{w.cp1.ID}}, nil, 400, "shift.times_invalid", "ends_at"},
		{"A shift requiring nobody.", "POST", "/plans/" + w.planID + "/shifts", map[string]any{"starts_at": nationalDay, "ends_at": nationalDay.Add(time.Hour), "required": 0, "route": []string{w.cp1.ID}}, nil, 400, "shift.required_invalid", "required"},
		{"A shift touring one checkpoint twice.", "POST", "/plans/" + w.planID + "/shifts", map[string]any{"starts_at": nationalDay, "ends_at": nationalDay.Add(time.Hour), "required": 1, "route": []string{w.cp1.ID, w.cp1.ID}}, nil, 400, "shift.route_invalid", "route"},
		{"A shift touring an unknown checkpoint.", "POST", "/plans/" + w.planID + "/shifts", map[string]any{"starts_at": nationalDay, "ends_at": nationalDay.Add(time.Hour), "required": 1, "route": []string{"nope"}}, nil, 400, "shift.route_invalid", "route"},
		{"A shift expecting -1 scans.", "POST", "/plans/" + w.planID + "/shifts", map[string]any{"starts_at": nationalDay, "ends_at": nationalDay.Add(time.Hour), "required": 1, "route": []string{w.cp1.ID}, "expected_scans": -1}, nil, 400, "shift.expected_scans_invalid", "expected_scans"},
		{"An assignment of a guard on the shift already.", "POST", "/shifts/" + w.shift.ID + "/assignments", map[string]any{"guard_id": "g1"}, nil, 409, "assignment.duplicate", "guard_id"},
		{"An assignment beyond the headcount.", "POST", "/shifts/" + w.shift.ID + "/assignments", map[string]any{"guard_id": "g3"}, nil, 409, "assignment.shift_full", ""},
		{"An assignment of a guard in no team.", "POST", "/shifts/" + w.shift.ID + "/assignments", map[string]any{"guard_id": "stranger"}, nil, 422, "assignment.not_member", "guard_id"},
		{"A withdrawal of a guard not on the shift.", "DELETE", "/shifts/" + w.shift.ID + "/assignments/g3", nil, nil, 404, "assignment.not_found", "guard_id"},
		{"A withdrawal from an unknown shift.", "DELETE", "/shifts/nope/assignments/g1", nil, nil, 404, "shift.not_found", ""},
		{"Coverage without a window.", "GET", "/coverage", nil, nil, 400, "coverage.window_invalid", "to"},
		{"Coverage off the hour.", "GET", "/coverage?from=2026-10-01T00:30:00Z&to=2026-10-01T02:00:00Z", nil, nil, 400, "coverage.window_invalid", "to"},
		{"Patrol hours of a reversed window.", "GET", "/patrol-hours?from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z", nil, nil, 400, "patrol_hours.window_invalid", "to"},
		{"Missed tours of an unknown kind.", "GET", "/missed-tours?kind=late", nil, nil, 400, "missed_tour.kind_invalid", "kind"},
		{"A scan without a tag.", "POST", "/scans", scan(func(m map[string]any) { m["tag"] = "" }), g1, 400, "scan.tag_required", "tag"},
		{"A scan without a time.", "POST", "/scans", scan(func(m map[string]any) { delete(m, "scanned_at") }), g1, 400, "scan.scanned_at_required", "scanned_at"},
		{"A scan at longitude 181.", "POST", "/scans", scan(func(m map[string]any) { m["location"] = map[string]float64{"lat": 30, "lng": 181} }), g1, 400, "geo.location_invalid", "location"},
		{"A scan with negative accuracy.", "POST", "/scans", scan(func(m map[string]any) { m["accuracy_m"] = -1 }), g1, 400, "scan.accuracy_invalid", "accuracy_m"},
		{"A scan with sequence 0.", "POST", "/scans", scan(func(m map[string]any) { m["device_seq"] = 0 }), g1, 400, "scan.device_seq_invalid", "device_seq"},
		{"A scan without a device.", "POST", "/scans", scan(func(m map[string]any) { m["device_id"] = "" }), g1, 400, "scan.device_id_required", "device_id"},
		{"A batch without scans.", "POST", "/scans/batch", batch(func(m map[string]any) { m["scans"] = []any{} }), g1, 400, "scan_batch.empty", "scans"},
		{"A batch without the device's clock.", "POST", "/scans/batch", batch(func(m map[string]any) { delete(m, "device_time") }), g1, 400, "scan.device_time_required", "device_time"},
		{"A batch with one sequence twice.", "POST", "/scans/batch", batch(func(m map[string]any) { m["scans"] = []map[string]any{ok, ok} }), g1, 400, "scan_batch.device_seq_duplicate", "scans.device_seq"},
		{"A batch with one bad scan is refused whole.", "POST", "/scans/batch", batch(func(m map[string]any) {
			bad := item(w.cp1.TagValue, 100, nationalDay, cp1At)
			bad["accuracy_m"] = 20000
			m["scans"] = []map[string]any{ok, bad}
		}), g1, 400, "scan.accuracy_invalid", "accuracy_m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, seq := e.counts(), e.lastSeq()
			r := e.Do(tc.method, tc.path, tc.body, tc.hdr...)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s on %q", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
			if after := e.counts(); !mapsEqual(before, after) || len(e.events(seq)) != 0 {
				t.Fatalf("wrote: %v → %v", before, after)
			}
		})
	}
}

// TestAuthzMatrix calls every route as every kind of caller and checks the
// answer against the policy table: allowed callers never get 401 or 403,
// everyone else gets 403 auth.forbidden (cross-district and other
// companies included).
func TestAuthzMatrix(t *testing.T) {
	e, w := scanWorld(t)
	tm := e.team("g1")
	// A request offered to tm (on duty: g1 is on the 09:00 shift).
	e.clock.set(nationalDay.Add(90 * time.Minute))
	var dsp struct{ ID string }
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "k", "urgency": "urgent", "location": cp1At}, &dsp)
	// An incident g1 reported, resolved.
	var inc struct{ ID string }
	e.Must(http.StatusCreated, "POST", "/incidents", map[string]any{"guard_id": "g1", "kind": "可疑人员", "severity": "low", "location": cp1At}, &inc, as(guardP("g1"))...)
	e.Must(http.StatusOK, "POST", "/incidents/"+inc.ID+"/resolve", nil, nil)
	callers := []struct {
		label string
		p     auth.Principal
	}{
		{"hq", auth.Principal{Role: auth.RoleHQAdmin}},
		{"district-lead", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}},
		{"district-lead-other", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}}},
		{"company-admin", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"}},
		{"company-admin-other-company", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c2"}},
		{"company-admin-other-district", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"caidian"}, Company: "c1"}},
		{"police-city", auth.Principal{Role: auth.RolePolice}},
		{"police-own", auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}},
		{"police-other", auth.Principal{Role: auth.RolePolice, Districts: []string{"caidian"}}},
		{"team-leader-g1", guardP("g1")},
		{"guard-g2", guardP("g2")},
		{"ops", auth.Principal{Role: auth.RoleOps}},
	}
	day := "from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z"
	// Each route as a request acting on guard g1 (company c1) where a
	// guard is named.
	calls := map[string]struct {
		path string
		body any
	}{
		"create_team":         {"/teams", map[string]any{"name": "t", "company_id": "c1", "leader_guard_id": "g1"}},
		"list_teams":          {"/teams", nil},
		"get_team":            {"/teams/" + tm.ID, nil},
		"join_team":           {"/teams/" + tm.ID + "/members", map[string]any{"guard_id": "g1"}},
		"guard_eligibility":   {"/guards/g1/eligibility", nil},
		"create_area":         {"/areas", map[string]any{"name": "a", "shape": "circle", "center": areaCenter, "radius_m": 100}},
		"list_areas":          {"/areas", nil},
		"get_area":            {"/areas/" + w.areaID, nil},
		"create_checkpoint":   {"/areas/" + w.areaID + "/checkpoints", map[string]any{"name": "c", "tag_kind": "qr", "tag_value": "abcdefgh", "location": map[string]float64{"lat": 91, "lng": 0}}},
		"list_checkpoints":    {"/areas/" + w.areaID + "/checkpoints", nil},
		"create_plan":         {"/plans", map[string]any{"name": "p", "area_id": w.areaID, "starts_at": nationalDay, "ends_at": nationalDay}},
		"list_plans":          {"/plans", nil},
		"get_plan":            {"/plans/" + w.planID, nil},
		"create_shift":        {"/plans/" + w.planID + "/shifts", map[string]any{"starts_at": nationalDay, "ends_at": nationalDay, "required": 1, "route": []string{w.cp1.ID}}},
		"list_shifts":         {"/plans/" + w.planID + "/shifts", nil},
		"assign_shift":        {"/shifts/" + w.shift.ID + "/assignments", map[string]any{"guard_id": "g1"}},
		"withdraw_assignment": {"/shifts/" + w.shift.ID + "/assignments/g1", nil},
		"coverage":            {"/coverage?" + day, nil},
		"record_scan":         {"/scans", map[string]any{"guard_id": "g1", "device_id": "d", "tag": "x", "scanned_at": nationalDay, "location": cp1At, "device_seq": 1}},
		"upload_scans":        {"/scans/batch", map[string]any{"guard_id": "g1", "device_id": "d", "device_time": nationalDay, "scans": []any{}}},
		"shift_report":        {"/shifts/" + w.shift.ID + "/report", nil},
		"patrol_hours":        {"/patrol-hours?" + day, nil},
		"list_missed_tours":   {"/missed-tours", nil},
		"list_audit":          {"/patrols/audit", nil},
		"raise_dispatch":      {"/dispatches", map[string]any{"kind": "k", "urgency": "soon", "location": cp1At}},
		"list_dispatches":     {"/dispatches", nil},
		"get_dispatch":        {"/dispatches/" + dsp.ID, nil},
		"accept_dispatch":     {"/dispatches/" + dsp.ID + "/accept", map[string]any{"team_id": tm.ID}},
		"dispatch_step":       {"/dispatches/" + dsp.ID + "/steps", map[string]any{"step": "nope"}},
		"report_incident":     {"/incidents", map[string]any{"guard_id": "g1", "kind": "k", "severity": "dire", "location": cp1At}},
		"list_incidents":      {"/incidents", nil},
		"get_incident":        {"/incidents/" + inc.ID, nil},
		// An incident already resolved: every allowed caller gets 409,
		// nobody changes it.
		"hand_over_incident":     {"/incidents/" + inc.ID + "/hand-over", nil},
		"police_accept_incident": {"/incidents/" + inc.ID + "/police-accept", map[string]any{"urgency": "urgent"}},
		"resolve_incident":       {"/incidents/" + inc.ID + "/resolve", nil},
	}
	policy := patrols.Policy()
	guardRoutes := map[string]bool{"join_team": true, "guard_eligibility": true, "assign_shift": true, "withdraw_assignment": true, "record_scan": true, "upload_scans": true}
	for _, rt := range patrols.Routes() {
		name := strings.TrimPrefix(rt.Endpoint, patrols.EndpointPrefix)
		c, ok := calls[name]
		if !ok {
			t.Errorf("route %s has no matrix call", name)
			continue
		}
		for _, cl := range callers {
			target := auth.Target{District: "jingkai"}
			switch {
			case name == "hand_over_incident" || name == "resolve_incident":
				target.Guard = "g1" // the reporter
			case name == "report_incident":
				target.Guard, target.Company = "g1", "c1"
			case name == "accept_dispatch" || name == "dispatch_step":
				target.Guard = "g1" // tm's leader (the step: the accepting team's, none yet: unmatched)
				if name == "dispatch_step" {
					target.Guard = ""
				}
			case guardRoutes[name]:
				target.Guard, target.Company = "g1", "c1"
			case name == "create_team":
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
	if len(calls) != len(patrols.Routes()) {
		t.Errorf("%d matrix calls for %d routes", len(calls), len(patrols.Routes()))
	}
	// The policy's promises, stated: ops nowhere; a scan is only ever the
	// scanning guard's own; the police write only dispatch requests and
	// incidents handed to them.
	for ep, rule := range policy {
		if rule.Roles[auth.RoleOps] != auth.ScopeDeny {
			t.Errorf("%s allows ops", ep)
		}
		isScan := ep == "patrols.record_scan" || ep == "patrols.upload_scans"
		if isScan && (len(rule.Roles) != 1 || rule.Roles[auth.RoleGuard] != auth.ScopeSelf) {
			t.Errorf("%s: %v, want the guard themself only", ep, rule.Roles)
		}
	}
	for _, rt := range patrols.Routes() {
		// Raising and closing a request, taking an incident over, resolving it.
		policeWrites := map[string]bool{"patrols.raise_dispatch": true, "patrols.dispatch_step": true,
			"patrols.police_accept_incident": true, "patrols.resolve_incident": true}[rt.Endpoint]
		if rt.Method != "GET" && !policeWrites && policy[rt.Endpoint].Roles[auth.RolePolice] != auth.ScopeDeny {
			t.Errorf("%s lets the police write", rt.Endpoint)
		}
	}
}

// TestAnonymousRequestsAreRefusedBeforeTheyAreRead sends every route an
// anonymous, otherwise malformed request: 401, never a 400 that describes
// the body.
func TestAnonymousRequestsAreRefusedBeforeTheyAreRead(t *testing.T) {
	node, err := patrols.New(context.Background(), patrols.Config{District: "jingkai", DBPath: filepath.Join(t.TempDir(), "patrols.db")}, patrols.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	testutil.CheckAuthenticatesFirst(t, node.Handler(), patrols.Routes(), "jingkai")
}

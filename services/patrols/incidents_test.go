package patrols_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// TestIncidentHandOverBecomesADispatch: a guard reports an incident met on
// patrol; handed over, the police take it over, which raises a dispatch at
// its location offered to the nearest on-duty team, in one transaction.
func TestIncidentHandOverBecomesADispatch(t *testing.T) {
	e, teamA, _ := dispatchWorld(t)
	e.clock.set(nationalDay.Add(90 * time.Minute))
	type incident struct {
		ID          string   `json:"id"`
		Status      string   `json:"status"`
		DispatchID  string   `json:"dispatch_id"`
		Attachments []string `json:"attachments"`
		TeamID      string   `json:"team_id"`
	}
	var inc incident
	e.Must(http.StatusCreated, "POST", "/incidents", map[string]any{"guard_id": "g2", "kind": "打架斗殴", "severity": "high",
		"location": north(cp1At, 20), "description": "广场东侧两人冲突", "attachments": []string{"oss://evidence/2026/10/01/a.jpg"}}, &inc, as(guardP("g2"))...)
	if inc.Status != "open" || inc.TeamID != teamA || len(inc.Attachments) != 1 {
		t.Fatalf("reported %+v", inc)
	}
	// Another guard may not hand it over; the police may not take it over
	// before it is handed over.
	if r := e.Do("POST", "/incidents/"+inc.ID+"/hand-over", nil, as(guardP("g3"))...); r.Status != http.StatusForbidden {
		t.Fatalf("g3 hands g2's incident over: %d", r.Status)
	}
	if r := e.Do("POST", "/incidents/"+inc.ID+"/police-accept", map[string]string{"urgency": "urgent"}, as(police)...); r.ErrorID() != "incident.status_illegal" {
		t.Fatalf("police accept before hand-over: %d %s", r.Status, r.Body)
	}
	e.Must(http.StatusOK, "POST", "/incidents/"+inc.ID+"/hand-over", nil, &inc, as(guardP("g2"))...)
	seq := e.lastSeq()
	e.Must(http.StatusOK, "POST", "/incidents/"+inc.ID+"/police-accept", map[string]string{"urgency": "urgent"}, &inc, as(police)...)
	if inc.Status != "dispatched" || inc.DispatchID == "" {
		t.Fatalf("accepted %+v", inc)
	}
	if got := types(e.events(seq)); !slices.Equal(got, []string{eventsv1.TypeIncidentUpdated, eventsv1.TypeDispatchRaised, eventsv1.TypeDispatchOffered}) {
		t.Fatalf("events %v", got)
	}
	var d struct {
		IncidentID string `json:"incident_id"`
		Kind       string
		Status     string
		Offers     []struct {
			TeamID string `json:"team_id"`
		}
	}
	e.Must(http.StatusOK, "GET", "/dispatches/"+inc.DispatchID, nil, &d)
	if d.IncidentID != inc.ID || d.Kind != "打架斗殴" || d.Status != "offered" || d.Offers[0].TeamID != teamA {
		t.Fatalf("dispatch %+v", d)
	}
	e.Must(http.StatusOK, "POST", "/incidents/"+inc.ID+"/resolve", nil, &inc, as(guardP("g2"))...)
	if r := e.Do("POST", "/incidents/"+inc.ID+"/resolve", nil); r.ErrorID() != "incident.status_illegal" {
		t.Fatalf("resolved twice: %d %s", r.Status, r.Body)
	}
	// Bad input writes nothing.
	for _, tc := range []struct {
		body map[string]any
		id   string
	}{
		{map[string]any{"guard_id": "g2", "kind": "x", "severity": "dire", "location": cp1At}, "incident.severity_invalid"},
		{map[string]any{"guard_id": "g2", "kind": "x", "severity": "low", "location": map[string]float64{"lat": 0, "lng": 200}}, "geo.location_invalid"},
		{map[string]any{"guard_id": "g2", "kind": "x", "severity": "low", "location": cp1At, "attachments": []string{""}}, "incident.attachments_invalid"},
		{map[string]any{"guard_id": "stranger", "kind": "x", "severity": "low", "location": cp1At}, "incident.reporter_not_member"},
	} {
		before, seq := e.counts(), e.lastSeq()
		gid := tc.body["guard_id"].(string)
		if r := e.Do("POST", "/incidents", tc.body, as(guardP(gid))...); r.ErrorID() != tc.id {
			t.Errorf("%v: %d %s, want %s", tc.body, r.Status, r.Body, tc.id)
		}
		if !mapsEqual(before, e.counts()) || len(e.events(seq)) != 0 {
			t.Errorf("%v wrote", tc.body)
		}
	}
}

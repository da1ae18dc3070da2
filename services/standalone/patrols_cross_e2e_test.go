package standalone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// crossDistrict is one district's half of the cross-district test: its
// guard record of the shared person, and a shift tomorrow 09:00–11:00
// (Asia/Shanghai) the guard's team can be assigned to.
type crossDistrict struct {
	id, guard, shift string
}

// setUpPatrolDistrict hires person (a resident ID number) in district as a
// certified, background-checked volunteer over membership's HTTP API,
// waits for patrols to learn the guard from Kafka, and has the guard lead
// a team; it plans a key area with one checkpoint and the shift.
func setUpPatrolDistrict(ctx context.Context, t *testing.T, c *citytest.Client, district string, n int, person string, start time.Time) crossDistrict {
	t.Helper()
	d := "/api/v1/districts/" + district
	co, err := c.RegisterActiveCompany(ctx, district, n)
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ ID string }
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/companies/"+co+"/guards", map[string]any{
		"name": "江城义警" + district, "id_number": person, "volunteer_police": true,
		"certificate_number": fmt.Sprintf("鄂保2024%06d", n), "certificate_issued_on": "2024-01-02", "certificate_valid_until": "2099-12-31",
	}, &g); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusOK, "POST", d+"/guards/"+g.ID+"/background-checks",
		map[string]any{"status": "passed", "checked_on": "2024-01-01"}, nil); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) { // polling interval
		var el struct {
			Eligible bool `json:"eligible"`
		}
		status, _, err := c.Do(ctx, "GET", d+"/guards/"+g.ID+"/eligibility", nil, &el)
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusOK && el.Eligible {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s patrols never saw the guard eligible: %d", district, status)
		}
	}
	var team, area, cp, plan, shift struct{ ID string }
	must := func(path string, body any, out any) {
		t.Helper()
		if err := c.Must(ctx, http.StatusCreated, "POST", d+path, body, out); err != nil {
			t.Fatal(err)
		}
	}
	must("/teams", map[string]any{"name": district + "江城义警一队", "leader_guard_id": g.ID}, &team)
	must("/areas", map[string]any{"name": district + "重点区域", "shape": "circle", "center": map[string]float64{"lat": 30.5, "lng": 114.2}, "radius_m": 500}, &area)
	must("/areas/"+area.ID+"/checkpoints", map[string]any{"name": "北门", "tag_kind": "qr", "tag_value": "QR-" + district + "-0001",
		"location": map[string]float64{"lat": 30.5, "lng": 114.2}}, &cp)
	must("/plans", map[string]any{"name": district + "节假日巡防", "area_id": area.ID, "starts_at": start.Add(-time.Hour), "ends_at": start.Add(24 * time.Hour)}, &plan)
	must("/plans/"+plan.ID+"/shifts", map[string]any{"starts_at": start, "ends_at": start.Add(2 * time.Hour), "required": 1,
		"route": []string{cp.ID}, "expected_scans": 1}, &shift)
	return crossDistrict{id: district, guard: g.ID, shift: shift.ID}
}

// TestOnePersonIsNotDoubleBookedAcrossDistricts runs the city's real path
// (HTTP → patrols → outbox → Kafka → the other district's patrols
// consumer) for one person, a guard in both jingkai and caidian
// (membership's id_hash is the same). Jingkai assigns the guard to
// tomorrow's 09:00–11:00 shift; caidian assigns its record of the same
// person to its overlapping shift right after. Caidian either has
// jingkai's ShiftAssigned already (409 assignment.double_booked) or not
// yet (201, the partition case): then, once the event arrives, caidian's
// later assignment is withdrawn — ShiftAssignmentCancelled double_booked
// and DoubleBookingResolved "withdrawn" on gh.caidian.patrols.v1, "kept"
// on gh.jingkai.patrols.v1. Either way caidian then refuses it, until
// jingkai withdraws its assignment by hand and caidian hears of that.
func TestOnePersonIsNotDoubleBookedAcrossDistricts(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cst := time.FixedZone("CST", 8*3600)
	tomorrow := time.Now().In(cst).AddDate(0, 0, 1)
	start := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 9, 0, 0, 0, cst)
	person := citytest.ResidentID(8181)
	jk := setUpPatrolDistrict(ctx, t, c, "jingkai", 81, person, start)
	cd := setUpPatrolDistrict(ctx, t, c, "caidian", 82, person, start.Add(30*time.Minute)) // 09:30–11:30
	assign := func(d crossDistrict) (int, []byte) {
		t.Helper()
		status, body, err := c.Do(ctx, "POST", "/api/v1/districts/"+d.id+"/shifts/"+d.shift+"/assignments", map[string]any{"guard_id": d.guard}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return status, body
	}
	errorID := func(body []byte) string {
		var e struct {
			Error struct{ ID string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return e.Error.ID
	}
	if status, body := assign(jk); status != http.StatusCreated {
		t.Fatalf("jingkai: %d %s", status, body)
	}
	status, body := assign(cd)
	switch {
	case status == http.StatusConflict && errorID(body) == "assignment.double_booked":
		t.Log("caidian had heard of jingkai's assignment: refused at once")
	case status == http.StatusCreated:
		t.Log("caidian had not heard of jingkai's assignment yet: accepted, to be withdrawn")
		withdrawn := waitEvent(ctx, t, city.BrokerAddrs(), "caidian", eventsv1.TypeDoubleBookingResolved, func(env *eventsv1.Envelope) bool {
			var m eventsv1.DoubleBookingResolved
			return proto.Unmarshal(env.GetPayload(), &m) == nil && m.GetShift().GetId() == cd.shift
		})
		var m eventsv1.DoubleBookingResolved
		if err := proto.Unmarshal(withdrawn.GetPayload(), &m); err != nil || m.GetOutcome() != "withdrawn" || m.GetOtherDistrict() != "jingkai" ||
			m.GetOtherShiftId() != jk.shift || m.GetGuardId() != cd.guard || m.GetNotifyGuardId() != cd.guard || m.GetShift().GetAssigned() != 0 {
			t.Fatalf("caidian's notice %+v %v", &m, err)
		}
		cancelled := waitEvent(ctx, t, city.BrokerAddrs(), "caidian", eventsv1.TypeShiftAssignmentCancelled, func(env *eventsv1.Envelope) bool {
			var m eventsv1.ShiftAssignmentCancelled
			return proto.Unmarshal(env.GetPayload(), &m) == nil && m.GetShift().GetId() == cd.shift
		})
		var sc eventsv1.ShiftAssignmentCancelled
		if err := proto.Unmarshal(cancelled.GetPayload(), &sc); err != nil || sc.GetReason() != "double_booked" || sc.GetConflictDistrict() != "jingkai" {
			t.Fatalf("caidian's cancellation %+v %v", &sc, err)
		}
		kept := waitEvent(ctx, t, city.BrokerAddrs(), "jingkai", eventsv1.TypeDoubleBookingResolved, func(*eventsv1.Envelope) bool { return true })
		var k eventsv1.DoubleBookingResolved
		if err := proto.Unmarshal(kept.GetPayload(), &k); err != nil || k.GetOutcome() != "kept" || k.GetOtherDistrict() != "caidian" ||
			k.GetShift().GetId() != jk.shift || k.GetShift().GetAssigned() != 1 {
			t.Fatalf("jingkai's notice %+v %v", &k, err)
		}
		var rep struct {
			Shift struct {
				Assigned int `json:"assigned"`
			}
		}
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/caidian/shifts/"+cd.shift+"/report", nil, &rep); err != nil || rep.Shift.Assigned != 0 {
			t.Fatalf("caidian's shift after the withdrawal: %+v %v", rep, err)
		}
	default:
		t.Fatalf("caidian: %d %s", status, body)
	}
	// Caidian knows jingkai's booking now, whichever way it went.
	if status, body := assign(cd); status != http.StatusConflict || errorID(body) != "assignment.double_booked" {
		t.Fatalf("caidian again: %d %s", status, body)
	}
	// Jingkai withdraws its assignment by hand; once caidian hears of it,
	// the person is free there.
	if err := c.Must(ctx, http.StatusNoContent, "DELETE", "/api/v1/districts/jingkai/shifts/"+jk.shift+"/assignments/"+jk.guard, nil, nil); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) { // polling interval
		status, body := assign(cd) // a refusal writes nothing
		if status == http.StatusCreated {
			break
		}
		if status != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("caidian after jingkai's withdrawal: %d %s", status, body)
		}
	}
}

// waitEvent polls district's patrols topic until an event of typ that ok
// accepts is on it.
func waitEvent(ctx context.Context, t *testing.T, addrs []string, district, typ string, ok func(*eventsv1.Envelope) bool) *eventsv1.Envelope {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) { // polling interval
		for _, env := range patrolsEvents(ctx, t, addrs, district) {
			if env.GetType() == typ && ok(env) {
				return env
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s on gh.%s.patrols.v1", typ, district)
		}
	}
}

package patrols_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols"
)

// clock is the node's test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var cst = time.FixedZone("CST", 8*3600)

// nationalDay is the morning the tests start: 2026-10-01 08:00 China time.
var nationalDay = time.Date(2026, 10, 1, 8, 0, 0, 0, cst)

// The key area: a 500 m circle in Wuhan's Economic-Development Zone, and
// its checkpoints (WGS-84).
var (
	areaCenter = map[string]float64{"lat": 30.5000, "lng": 114.2000}
	cp1At      = map[string]float64{"lat": 30.5000, "lng": 114.2000}
	cp2At      = map[string]float64{"lat": 30.5018, "lng": 114.2000} // ~200 m north
)

// env is a real patrols node on httptest, every exchange checked against
// its OpenAPI document; its Client sends as an hq-admin unless told
// otherwise.
type env struct {
	*testutil.Client
	t        *testing.T
	district string
	node     *patrols.Node
	clock    *clock
	reg      *prometheus.Registry
}

func newEnv(t *testing.T) *env { return newDistrictEnv(t, "jingkai") }

// newDistrictEnv is newEnv for the patrols node of district.
func newDistrictEnv(t *testing.T, district string) *env {
	t.Helper()
	c := &clock{t: nationalDay}
	reg := prometheus.NewPedanticRegistry()
	node, err := patrols.New(context.Background(), patrols.Config{
		District: district, DBPath: filepath.Join(t.TempDir(), "patrols.db"), Storage: storage.Config{Synchronous: "normal"},
	}, patrols.Deps{Now: c.now, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(testutil.ValidatedHandler(t, patrols.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), district), slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { srv.Close(); _ = node.Close() })
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/" + district
	return &env{Client: cl, t: t, district: district, node: node, clock: c, reg: reg}
}

// volunteer is a guard who meets every condition of the roster, of
// company c1, certified until the end of 2027.
func volunteer(id string, version int64) patrols.Guard {
	return patrols.Guard{ID: id, CompanyID: "c1", EmploymentStatus: "active", VolunteerPolice: true, HasCertificate: true,
		CertificateValidUntil: "2027-12-31", BackgroundCheckStatus: "passed", Version: version}
}

func (e *env) guard(g patrols.Guard) {
	e.t.Helper()
	if err := e.node.ApplyGuard(context.Background(), g); err != nil {
		e.t.Fatal(err)
	}
}

// as returns the headers of a principal.
func as(p auth.Principal) []string { return testutil.PrincipalHeaders(p, string(p.Role)+p.Guard) }

func guardP(id string) auth.Principal {
	return auth.Principal{Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: id}
}

type team struct {
	ID               string `json:"id"`
	ActiveMembers    int    `json:"active_members"`
	SuspendedMembers int    `json:"suspended_members"`
	Version          int64  `json:"version"`
	Members          []struct {
		GuardID string   `json:"guard_id"`
		Status  string   `json:"status"`
		Reasons []string `json:"reasons"`
	} `json:"members"`
}

func (e *env) team(leader string) team {
	e.t.Helper()
	var tm team
	e.Must(http.StatusCreated, "POST", "/teams", map[string]any{"name": "经开义警一队", "leader_guard_id": leader}, &tm)
	return tm
}

func (e *env) join(teamID, guardID string) {
	e.t.Helper()
	e.Must(http.StatusCreated, "POST", "/teams/"+teamID+"/members", map[string]string{"guard_id": guardID}, nil)
}

type checkpoint struct {
	ID       string `json:"id"`
	TagValue string `json:"tag_value"`
}

type shift struct {
	ID       string   `json:"id"`
	Assigned int      `json:"assigned"`
	GuardIDs []string `json:"guard_ids"`
}

// world is a key area with two checkpoints, a National Day plan, and a
// shift from 09:00 to 11:00 requiring two guards, touring both
// checkpoints, four scans expected.
type world struct {
	areaID, planID string
	cp1, cp2       checkpoint
	shift          shift
}

func (e *env) world() world {
	e.t.Helper()
	var w world
	var area struct{ ID string }
	e.Must(http.StatusCreated, "POST", "/areas", map[string]any{"name": "经开万达广场", "shape": "circle", "center": areaCenter, "radius_m": 500}, &area)
	w.areaID = area.ID
	e.Must(http.StatusCreated, "POST", "/areas/"+area.ID+"/checkpoints", map[string]any{"name": "北门", "tag_kind": "qr", "tag_value": "QR-jingkai-0001", "location": cp1At}, &w.cp1)
	e.Must(http.StatusCreated, "POST", "/areas/"+area.ID+"/checkpoints", map[string]any{"name": "停车场", "tag_kind": "nfc", "tag_value": "NFC-jingkai-0002", "location": cp2At}, &w.cp2)
	var plan struct{ ID string }
	e.Must(http.StatusCreated, "POST", "/plans", map[string]any{"name": "2026国庆节重点区域巡防", "area_id": area.ID,
		"starts_at": nationalDay.Add(-8 * time.Hour), "ends_at": nationalDay.Add(7 * 24 * time.Hour)}, &plan)
	w.planID = plan.ID
	w.shift = e.shift(plan.ID, nationalDay.Add(time.Hour), nationalDay.Add(3*time.Hour), 2, []string{w.cp1.ID, w.cp2.ID}, 4)
	return w
}

func (e *env) shift(planID string, start, end time.Time, required int, route []string, expected int) shift {
	e.t.Helper()
	var s shift
	e.Must(http.StatusCreated, "POST", "/plans/"+planID+"/shifts", map[string]any{"starts_at": start, "ends_at": end, "required": required,
		"route": route, "expected_scans": expected}, &s)
	return s
}

func (e *env) assign(shiftID, guardID string) {
	e.t.Helper()
	e.Must(http.StatusCreated, "POST", "/shifts/"+shiftID+"/assignments", map[string]string{"guard_id": guardID}, nil)
}

func (e *env) counts() map[string]int {
	e.t.Helper()
	return testutil.Counts(e.t, e.node.DB().DB, "guards", "teams", "team_members", "areas", "checkpoints", "plans", "shifts",
		"shift_checkpoints", "assignments", "scans", "missed_tours", "dispatches", "incidents", "idempotency_keys", "eventbus_outbox", "audit_log",
		"foreign_bookings", "booking_conflicts")
}

func (e *env) lastSeq() int64 { return testutil.LastSeq(e.t, e.node.DB().DB) }

// events returns the outbox rows after seq, each checked to be a patrols
// event of the env's district stored under its type.
func (e *env) events(after int64) []testutil.OutboxEvent {
	e.t.Helper()
	evs := testutil.OutboxEvents(e.t, e.node.DB().DB, after)
	for _, ev := range evs {
		if ev.Envelope.GetDistrict() != e.district || ev.Envelope.GetService() != "patrols" || ev.Envelope.GetType() != ev.Type {
			e.t.Fatalf("envelope %s/%s/%s", ev.Envelope.GetDistrict(), ev.Envelope.GetService(), ev.Envelope.GetType())
		}
	}
	return evs
}

func types(evs []testutil.OutboxEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// TestRosterRefusesEachConditionWithItsReason: a guard joins a team only
// if active, a volunteer-police member, certified with a certificate valid
// today and background-checked; each failure is its own error id, and a
// refused join writes nothing.
func TestRosterRefusesEachConditionWithItsReason(t *testing.T) {
	e := newEnv(t)
	e.guard(volunteer("leader", 1))
	tm := e.team("leader")
	for _, tc := range []struct {
		name  string
		guard func(g *patrols.Guard)
		id    string
	}{
		{"A guard who has left is refused.", func(g *patrols.Guard) { g.EmploymentStatus = "left" }, "team.guard_not_active"},
		{"A guard who is not a volunteer-police member is refused.", func(g *patrols.Guard) { g.VolunteerPolice = false }, "team.guard_not_volunteer"},
		{"A guard without a certificate is refused.", func(g *patrols.Guard) { g.HasCertificate = false }, "team.guard_uncertified"},
		{"A certificate whose last valid day was yesterday (Asia/Shanghai) is refused.", func(g *patrols.Guard) { g.CertificateValidUntil = "2026-09-30" }, "team.guard_certificate_expired"},
		{"A background check still pending is refused.", func(g *patrols.Guard) { g.BackgroundCheckStatus = "pending" }, "team.guard_background_check"},
		{"A failed background check is refused.", func(g *patrols.Guard) { g.BackgroundCheckStatus = "failed" }, "team.guard_background_check"},
		{"A guard the projection does not know is 404 (retry).", nil, "team.guard_unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "g-" + tc.id
			if tc.guard != nil {
				g := volunteer(id, 1)
				tc.guard(&g)
				e.guard(g)
			}
			before, seq := e.counts(), e.lastSeq()
			r := e.Do("POST", "/teams/"+tm.ID+"/members", map[string]string{"guard_id": id})
			want := http.StatusUnprocessableEntity
			if tc.guard == nil {
				want = http.StatusNotFound
			}
			if r.Status != want || r.ErrorID() != tc.id || r.ErrorField() != "guard_id" {
				t.Fatalf("%d %s, want %d %s on guard_id", r.Status, r.Body, want, tc.id)
			}
			if after := e.counts(); !mapsEqual(before, after) || len(e.events(seq)) != 0 {
				t.Fatalf("a refused join wrote: %v → %v", before, after)
			}
			if tc.guard != nil {
				var el struct {
					Eligible bool
					Reasons  []string
				}
				e.Must(http.StatusOK, "GET", "/guards/"+id+"/eligibility", nil, &el)
				if el.Eligible || !slices.Equal(el.Reasons, []string{tc.id}) {
					t.Fatalf("eligibility %+v, want only %s", el, tc.id)
				}
			}
		})
	}
	// The last valid day itself is still valid.
	g := volunteer("today", 1)
	g.CertificateValidUntil = "2026-10-01"
	e.guard(g)
	e.join(tm.ID, "today")
	if r := e.Do("POST", "/teams/"+tm.ID+"/members", map[string]string{"guard_id": "today"}); r.Status != http.StatusConflict || r.ErrorID() != "team.member_duplicate" {
		t.Fatalf("second join: %d %s", r.Status, r.Body)
	}
	// Every reason at once, in the fixed order.
	var el struct{ Reasons []string }
	e.guard(patrols.Guard{ID: "none", CompanyID: "c1", EmploymentStatus: "left", BackgroundCheckStatus: "none", Version: 1})
	e.Must(http.StatusOK, "GET", "/guards/none/eligibility", nil, &el)
	if want := []string{"team.guard_not_active", "team.guard_not_volunteer", "team.guard_uncertified", "team.guard_background_check"}; !slices.Equal(el.Reasons, want) {
		t.Fatalf("reasons %v, want %v", el.Reasons, want)
	}
	// A company's team takes only its own guards.
	var ct team
	e.Must(http.StatusCreated, "POST", "/teams", map[string]any{"name": "c1 义警", "company_id": "c1", "leader_guard_id": "leader"}, &ct)
	other := volunteer("c2-guard", 1)
	other.CompanyID = "c2"
	e.guard(other)
	if r := e.Do("POST", "/teams/"+ct.ID+"/members", map[string]string{"guard_id": "c2-guard"}); r.ErrorID() != "team.guard_other_company" {
		t.Fatalf("c2's guard in c1's team: %d %s", r.Status, r.Body)
	}
	// The leader is gated too, under leader_guard_id.
	if r := e.Do("POST", "/teams", map[string]any{"name": "x", "leader_guard_id": "none"}); r.ErrorID() != "team.guard_not_active" || r.ErrorField() != "leader_guard_id" {
		t.Fatalf("ineligible leader: %d %s", r.Status, r.Body)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRegatingSuspendsAndReinstates: a member whose record changes (a
// membership event) or whose certificate lapses at the day rollover (no
// event at all) is suspended with an event naming the team leader to
// notify and loses the shifts not yet started, keeping the one under way;
// a renewed certificate reinstates them; an older snapshot changes nothing.
func TestRegatingSuspendsAndReinstates(t *testing.T) {
	e := newEnv(t)
	e.guard(volunteer("leader", 1))
	g := volunteer("g1", 1)
	g.CertificateValidUntil = "2026-10-01" // lapses tonight
	e.guard(g)
	e.guard(volunteer("g2", 1))
	tm := e.team("leader")
	e.join(tm.ID, "g1")
	e.join(tm.ID, "g2")
	w := e.world()
	tomorrow := e.shift(w.planID, nationalDay.Add(25*time.Hour), nationalDay.Add(27*time.Hour), 2, []string{w.cp1.ID}, 1)
	e.assign(w.shift.ID, "g1")
	e.assign(tomorrow.ID, "g1")
	e.assign(w.shift.ID, "g2")

	// The day rollover: 2026-10-02 00:00 China time, no event.
	e.clock.set(time.Date(2026, 10, 2, 0, 0, 0, 0, cst))
	seq := e.lastSeq()
	regated, _, err := e.node.Sweep(context.Background())
	if err != nil || regated != 1 {
		t.Fatalf("sweep: %d regated, %v; want 1", regated, err)
	}
	all := e.events(seq)
	// The sweep also raised today's shift's missed tours (nobody scanned):
	// TestMissedTours is about those.
	evs := slices.DeleteFunc(slices.Clone(all), func(ev testutil.OutboxEvent) bool { return ev.Type == eventsv1.TypeMissedTour })
	if got, want := types(evs), []string{eventsv1.TypeShiftAssignmentCancelled, eventsv1.TypeTeamMemberSuspended}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	cancelled := testutil.Payload(t, evs[0], &eventsv1.ShiftAssignmentCancelled{})
	if cancelled.GetShift().GetId() != tomorrow.ID || cancelled.GetGuardId() != "g1" || cancelled.GetShift().GetAssigned() != 0 {
		t.Fatalf("cancelled %v, want g1 off tomorrow's shift", cancelled)
	}
	susp := testutil.Payload(t, evs[1], &eventsv1.TeamMemberSuspended{})
	if susp.GetGuardId() != "g1" || susp.GetNotifyGuardId() != "leader" || !slices.Equal(susp.GetReasons(), []string{"team.guard_certificate_expired"}) ||
		susp.GetShiftsDropped() != 1 || susp.GetTeam().GetActiveMembers() != 2 || susp.GetTeam().GetSuspendedMembers() != 1 {
		t.Fatalf("suspension %v", susp)
	}
	// Sweeping again suspends nothing twice.
	if n, _, _ := e.node.Sweep(context.Background()); n != 0 || len(e.events(all[len(all)-1].Seq)) != 0 {
		t.Fatalf("second sweep regated %d", n)
	}
	// A suspended member cannot be assigned.
	later := e.shift(w.planID, nationalDay.Add(49*time.Hour), nationalDay.Add(50*time.Hour), 1, []string{w.cp1.ID}, 1)
	if r := e.Do("POST", "/shifts/"+later.ID+"/assignments", map[string]string{"guard_id": "g1"}); r.ErrorID() != "assignment.member_suspended" {
		t.Fatalf("suspended assign: %d %s", r.Status, r.Body)
	}

	// A membership event: g2 leaves. Suspended at once.
	left := volunteer("g2", 2)
	left.EmploymentStatus = "left"
	seq = e.lastSeq()
	e.guard(left)
	if got := types(e.events(seq)); !slices.Equal(got, []string{eventsv1.TypeTeamMemberSuspended}) {
		t.Fatalf("g2 leaving: events %v, want the suspension only (its one shift, yesterday's, is over: kept)", got)
	}
	// An older snapshot of g2 (version 1, active) arriving late changes nothing.
	seq = e.lastSeq()
	e.guard(volunteer("g2", 1))
	if n := len(e.events(seq)); n != 0 {
		t.Fatalf("an older snapshot emitted %d events", n)
	}
	// g1 renews the certificate: reinstated, the leader told.
	renewed := volunteer("g1", 2)
	seq = e.lastSeq()
	e.guard(renewed)
	evs = e.events(seq)
	if got := types(evs); !slices.Equal(got, []string{eventsv1.TypeTeamMemberReinstated}) {
		t.Fatalf("renewal: events %v", got)
	}
	if re := testutil.Payload(t, evs[0], &eventsv1.TeamMemberReinstated{}); re.GetNotifyGuardId() != "leader" || re.GetTeam().GetActiveMembers() != 2 {
		t.Fatalf("reinstated %v", re)
	}
	var got team
	e.Must(http.StatusOK, "GET", "/teams/"+tm.ID, nil, &got)
	status := map[string]string{}
	for _, m := range got.Members {
		status[m.GuardID] = m.Status
	}
	if status["g1"] != "active" || status["g2"] != "suspended" || got.ActiveMembers != 2 || got.SuspendedMembers != 1 {
		t.Fatalf("team %+v", got)
	}
}

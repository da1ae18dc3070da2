package standalone_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/services/standalone"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// seriesName matches a metric name a rule or dashboard query names; the
// recording rules' own names (slo:…) contain colons and are not scraped.
var seriesName = regexp.MustCompile(`\bguildhall_[a-z0-9_]+`)

// opsFiles are the generated rules and every dashboard.
func opsFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join("..", "..", "deploy", "mixin", "rules.yaml")}
	dash, err := filepath.Glob(filepath.Join("..", "..", "deploy", "dashboards", "*.json"))
	if err != nil || len(dash) != 5 {
		t.Fatalf("dashboards: %v %v", dash, err)
	}
	return append(files, dash...)
}

// TestEveryMetricTheRulesAndDashboardsNameExists starts a city, makes it
// do what creates the event-driven series (a company registered, guards
// hired, a request refused, the events applied at HQ, heartbeats received,
// police dispatches answered and breached: driveDispatch), scrapes its
// admin /metrics and checks that every guildhall_* name the generated
// Prometheus rules and the dashboards use is there.
func TestEveryMetricTheRulesAndDashboardsNameExists(t *testing.T) {
	city, c := startCity(t, t.TempDir(), "-heartbeat.interval=1s")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.HireGuard(ctx, "jingkai", co, 1); err != nil {
		t.Fatal(err)
	}
	// A refused request: the errors by id series.
	if code, body := fetch(t, "POST", c.Base+"/api/v1/districts/jingkai/companies", c.Token, map[string]any{}); code != http.StatusBadRequest {
		t.Fatalf("an empty company: %d %.200s", code, body)
	}
	if _, err := c.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.GuardsActive == 1 }); err != nil {
		t.Fatal(err)
	}
	// The dispatch SLA series exist once a dispatch was answered and one
	// breached.
	driveDispatch(ctx, t, city, c)

	want := map[string][]string{}
	for _, f := range opsFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range seriesName.FindAllString(string(b), -1) {
			want[n] = append(want[n], filepath.Base(f))
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d metric names in the rules and dashboards", len(want))
	}

	// Heartbeats reach HQ once a second; poll until every name is there.
	var missing []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := fetch(t, "GET", "http://"+city.AdminAddr()+"/metrics", "", nil)
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		have := map[string]bool{}
		for _, line := range strings.Split(body, "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			if i := strings.IndexAny(line, "{ "); i > 0 {
				have[line[:i]] = true
			}
		}
		missing = missing[:0]
		for n := range want {
			if !have[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling interval
	}
	sort.Strings(missing)
	for _, n := range missing {
		t.Errorf("%s (named in %v) is not in the city's /metrics", n, want[n])
	}
}

// dispatchRun is what driveDispatch did: the urgent request that went
// through every stage, and the routine one that no team accepted.
type dispatchRun struct {
	urgent, routine dispatchView
	// leaderID is the on-duty team's leader, leader his logged-in client.
	leaderID string
	leader   *citytest.Client
}

type dispatchView struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	TeamID     string     `json:"team_id"`
	RaisedAt   time.Time  `json:"raised_at"`
	AcceptedAt *time.Time `json:"accepted_at"`
	ArrivedAt  *time.Time `json:"arrived_at"`
	FeedbackAt *time.Time `json:"feedback_at"`
	Breaches   []string   `json:"breaches"`
}

// onDuty is a volunteer-police team on duty in jingkai now (teamOnDuty).
type onDuty struct {
	company, teamID, leaderID string
	// police and leader are the logged-in police officer and team leader.
	police, leader *citytest.Client
	// near is a point a few hundred metres from the team's key area.
	near map[string]float64
}

// teamOnDuty readies a police dispatch in jingkai: the city's routine
// accept target set to 1 s in etcd (so a routine request offered to the
// team lapses at once; urgent ones keep the defaults), company n with a
// certified, checked volunteer (n*101) who leads team name, assigned a
// shift running now in a key area, and the police's and the leader's
// accounts.
func teamOnDuty(ctx context.Context, t *testing.T, city *standalone.City, c *citytest.Client, n int, name string) onDuty {
	t.Helper()
	d := "/api/v1/districts/jingkai"
	targets := policy.DefaultDispatch
	targets.Routine = policy.DispatchTargets{AcceptSeconds: 1, ArriveUrbanSeconds: 86400, ArriveSuburbanSeconds: 86400, FeedbackSeconds: 86400}
	raw, err := json.Marshal(targets)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := city.Etcd().Put(ctx, policy.DispatchKey, string(raw)); err != nil {
		t.Fatal(err)
	}
	co, err := c.RegisterActiveCompany(ctx, "jingkai", n)
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(n * 101)
	leaderID := hireCheckedVolunteer(ctx, t, c, co, n*101)
	var team, area, cp, plan, shift struct {
		ID string `json:"id"`
	}
	poll(t, "patrols to know the volunteer and form the team", func() bool {
		status, _, err := c.Do(ctx, "POST", d+"/teams", map[string]any{"name": name, "leader_guard_id": leaderID}, &team)
		return err == nil && status == http.StatusCreated
	})
	loc := map[string]float64{"lat": 30.51, "lng": 114.21}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/areas", map[string]any{"name": "沌口商圈", "shape": "circle",
		"center": loc, "radius_m": 1000}, &area); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/areas/"+area.ID+"/checkpoints", map[string]any{"name": "东门",
		"tag_kind": "qr", "tag_value": "QR-e2e-" + strconv.Itoa(n), "location": loc}, &cp); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Truncate(time.Minute), now.Add(2*time.Hour).Truncate(time.Minute)
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/plans", map[string]any{"name": "警保联动演练", "area_id": area.ID,
		"starts_at": start, "ends_at": end}, &plan); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/plans/"+plan.ID+"/shifts", map[string]any{"starts_at": start, "ends_at": end,
		"required": 1, "route": []string{cp.ID}, "expected_scans": 1}, &shift); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/shifts/"+shift.ID+"/assignments", map[string]any{"guard_id": leaderID}, nil); err != nil {
		t.Fatal(err)
	}
	return onDuty{company: co, teamID: team.ID, leaderID: leaderID,
		police: loginAs(ctx, t, c, map[string]any{"username": "police-" + id, "role": "police", "districts": []string{"jingkai"}}),
		leader: loginAs(ctx, t, c, map[string]any{"username": "g-" + id, "role": "guard", "districts": []string{"jingkai"}, "company": co, "guard": leaderID}),
		near:   map[string]float64{"lat": 30.512, "lng": 114.212}}
}

// driveDispatch runs two police dispatches (警保联动) through jingkai's
// patrols API, in the running city, to the team teamOnDuty readies. A
// routine request offered to the team is left unanswered, so the dispatch
// timers record its accept target breached and, no team left to offer,
// leave it unassigned. An urgent request, under the default targets, is
// accepted by the team's leader, who records en route, arrival and
// feedback; the police office closes it.
func driveDispatch(ctx context.Context, t *testing.T, city *standalone.City, c *citytest.Client) dispatchRun {
	t.Helper()
	d := "/api/v1/districts/jingkai"
	duty := teamOnDuty(ctx, t, city, c, 93, "经开江城义警三队")
	leaderID, police, leader, near := duty.leaderID, duty.police, duty.leader, duty.near

	run := dispatchRun{leaderID: leaderID, leader: leader}
	if err := police.Must(ctx, http.StatusCreated, "POST", d+"/dispatches", map[string]any{"kind": "巡查", "urgency": "routine", "location": near},
		&run.routine); err != nil || run.routine.Status != "offered" {
		t.Fatalf("the routine request: %+v %v, want it offered to the team on duty", run.routine, err)
	}
	if err := police.Must(ctx, http.StatusCreated, "POST", d+"/dispatches", map[string]any{"kind": "纠纷", "urgency": "urgent", "location": near},
		&run.urgent); err != nil || run.urgent.Status != "offered" {
		t.Fatalf("the urgent request: %+v %v, want it offered to the team on duty", run.urgent, err)
	}
	u := d + "/dispatches/" + run.urgent.ID
	if err := leader.Must(ctx, http.StatusOK, "POST", u+"/accept", map[string]any{"team_id": duty.teamID}, &run.urgent); err != nil {
		t.Fatal(err)
	}
	for _, step := range []map[string]any{{"step": "en_route"}, {"step": "arrived"}, {"step": "feedback", "note": "纠纷已调解，双方离开"}} {
		if err := leader.Must(ctx, http.StatusOK, "POST", u+"/steps", step, &run.urgent); err != nil {
			t.Fatal(err)
		}
	}
	if err := police.Must(ctx, http.StatusOK, "POST", u+"/steps", map[string]any{"step": "closed"}, &run.urgent); err != nil || run.urgent.Status != "closed" {
		t.Fatalf("the urgent request after closing: %+v %v", run.urgent, err)
	}
	poll(t, "the routine request's accept target to be breached", func() bool {
		err := police.Must(ctx, http.StatusOK, "GET", d+"/dispatches/"+run.routine.ID, nil, &run.routine)
		return err == nil && run.routine.Status == "unassigned"
	})
	return run
}

// scrape returns the city's admin /metrics as sample → value.
func scrape(t *testing.T, city *standalone.City) map[string]float64 {
	t.Helper()
	code, body := fetch(t, "GET", "http://"+city.AdminAddr()+"/metrics", "", nil)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// TestAPoliceDispatchIsInTheDispatchMetrics drives two dispatches
// (driveDispatch) and checks the dispatch SLA series against them: one
// sample per stage of the urgent request, whose sums are its own times
// from being raised to acceptance, arrival and feedback; its breaches as
// many as the request reports; the routine request's accept breach
// counted once, and no arrival or feedback of it observed.
func TestAPoliceDispatchIsInTheDispatchMetrics(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := driveDispatch(ctx, t, city, c)
	u := run.urgent
	if u.AcceptedAt == nil || u.ArrivedAt == nil || u.FeedbackAt == nil {
		t.Fatalf("the urgent request %+v lacks a stage", u)
	}
	if len(run.routine.Breaches) != 1 || run.routine.Breaches[0] != "accept" {
		t.Fatalf("the routine request's breaches %v, want accept alone", run.routine.Breaches)
	}
	m := scrape(t, city)
	urgent := `{district="jingkai",urgency="urgent"}`
	routine := `{district="jingkai",urgency="routine"}`
	for stage, at := range map[string]*time.Time{"accept": u.AcceptedAt, "arrive": u.ArrivedAt, "feedback": u.FeedbackAt} {
		name := "guildhall_dispatch_time_to_" + stage + "_seconds"
		if n := m[name+"_count"+urgent]; n != 1 {
			t.Errorf("%s_count%s = %v, want 1", name, urgent, n)
		}
		want := at.Sub(u.RaisedAt).Seconds()
		if got := m[name+"_sum"+urgent]; math.Abs(got-want) > 0.01 {
			t.Errorf("%s_sum%s = %v, want the request's %v s", name, urgent, got, want)
		}
		if n, ok := m[name+"_count"+routine]; stage != "accept" && ok && n != 0 {
			t.Errorf("%s_count%s = %v: a stage the routine request never reached", name, routine, n)
		}
	}
	breaches := func(stage, urgency string) float64 {
		return m[`guildhall_dispatch_target_breaches_total{district="jingkai",stage="`+stage+`",urgency="`+urgency+`"}`]
	}
	if n := breaches("accept", "routine"); n != 1 {
		t.Errorf("routine accept breaches %v, want 1", n)
	}
	var urgentBreaches float64
	for _, st := range []string{"accept", "arrive", "feedback"} {
		urgentBreaches += breaches(st, "urgent")
		if n := breaches(st, "routine"); st != "accept" && n != 0 {
			t.Errorf("routine %s breaches %v, want 0 (its targets are a day)", st, n)
		}
	}
	if int(urgentBreaches) != len(u.Breaches) {
		t.Errorf("urgent breaches counted %v, the request reports %v", urgentBreaches, u.Breaches)
	}
}

package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// hireCheckedVolunteer hires a certified volunteer-police guard of company
// co over membership's API and records its passed background check: a
// guard the patrols roster admits once patrols has read the events.
func hireCheckedVolunteer(ctx context.Context, t *testing.T, c *citytest.Client, co string, n int) string {
	t.Helper()
	d := "/api/v1/districts/jingkai"
	var g citytest.Created
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/companies/"+co+"/guards", map[string]any{
		"name": fmt.Sprintf("江城义警%d", n), "id_number": citytest.ResidentID(n), "volunteer_police": true,
		"certificate_number": fmt.Sprintf("鄂保2024%06d", n), "certificate_issued_on": "2024-01-02", "certificate_valid_until": "2099-12-31",
	}, &g); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusOK, "POST", d+"/guards/"+g.ID+"/background-checks",
		map[string]any{"status": "passed", "checked_on": "2024-01-01"}, nil); err != nil {
		t.Fatal(err)
	}
	return g.ID
}

// loginAs creates an account (as c, the city's hq-admin) and returns a
// client logged in with it.
func loginAs(ctx context.Context, t *testing.T, c *citytest.Client, account map[string]any) *citytest.Client {
	t.Helper()
	user := account["username"].(string)
	account["password"] = user + " right password"
	poll(t, "the account "+user, func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", account, nil)
		return err == nil && status == http.StatusCreated
	})
	u := citytest.New(c.Base)
	if err := u.Login(ctx, user, user+" right password"); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTheTeamLeaderReadsTheNoticeOfAnAutomaticSuspension runs issue 11's
// notice through the running city: a team formed over patrols' HTTP API,
// its member leaving their company (membership's API) is suspended by
// patrols automatically, and the TeamMemberSuspended naming the leader
// goes patrols' outbox → relay → gh.jingkai.patrols.v1 → messaging's
// consumer, which delivers one team notice to the leader. The leader reads
// it over messaging's API (the receipt); the district lead sees it; the
// suspended member and HQ do not.
func TestTheTeamLeaderReadsTheNoticeOfAnAutomaticSuspension(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := "/api/v1/districts/jingkai"
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 91)
	if err != nil {
		t.Fatal(err)
	}
	leaderID := hireCheckedVolunteer(ctx, t, c, co, 9191)
	memberID := hireCheckedVolunteer(ctx, t, c, co, 9192)
	var team struct {
		ID string `json:"id"`
	}
	poll(t, "patrols to know the leader and form the team", func() bool {
		status, _, err := c.Do(ctx, "POST", d+"/teams", map[string]any{"name": "经开江城义警九队", "leader_guard_id": leaderID}, &team)
		return err == nil && status == http.StatusCreated
	})
	poll(t, "patrols to know the member and let them join", func() bool {
		status, _, err := c.Do(ctx, "POST", d+"/teams/"+team.ID+"/members", map[string]any{"guard_id": memberID}, nil)
		return err == nil && status == http.StatusCreated
	})
	leader := loginAs(ctx, t, c, map[string]any{"username": "g-9191", "role": "guard", "districts": []string{"jingkai"}, "company": co, "guard": leaderID})
	member := loginAs(ctx, t, c, map[string]any{"username": "g-9192", "role": "guard", "districts": []string{"jingkai"}, "company": co, "guard": memberID})
	lead := loginAs(ctx, t, c, map[string]any{"username": "lead-9191", "role": "district-admin", "districts": []string{"jingkai"}})

	notices := d + "/messaging/guards/" + leaderID + "/team-notices"
	var list struct {
		Items []struct {
			ID             string   `json:"id"`
			Kind           string   `json:"kind"`
			TeamID         string   `json:"team_id"`
			SubjectGuardID string   `json:"subject_guard_id"`
			Reasons        []string `json:"reasons"`
			Status         string   `json:"status"`
		} `json:"items"`
	}
	if err := leader.Must(ctx, http.StatusOK, "GET", notices, nil, &list); err != nil || len(list.Items) != 0 {
		t.Fatalf("before the suspension the leader has %+v (%v), want no team notice", list.Items, err)
	}

	// The member leaves the company: patrols suspends them, the leader is told.
	if err := c.Must(ctx, http.StatusOK, "POST", d+"/guards/"+memberID+"/leave", nil, nil); err != nil {
		t.Fatal(err)
	}
	poll(t, "the leader's team notice of the suspension", func() bool {
		err := leader.Must(ctx, http.StatusOK, "GET", notices, nil, &list)
		return err == nil && len(list.Items) > 0
	})
	n := list.Items[0]
	if len(list.Items) != 1 || n.Kind != "member_suspended" || n.TeamID != team.ID || n.SubjectGuardID != memberID ||
		len(n.Reasons) != 1 || n.Reasons[0] != "team.guard_not_active" || n.Status != "delivered" {
		t.Fatalf("the leader's team notices: %+v", list.Items)
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", notices, nil, &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("the district lead sees %+v (%v), want the leader's notice", list.Items, err)
	}
	for name, who := range map[string]*citytest.Client{"the suspended member": member, "HQ": c} {
		if status, body, err := who.Do(ctx, "GET", notices, nil, nil); err != nil || status != http.StatusForbidden {
			t.Errorf("%s lists the leader's team notices: %d %.200s %v, want 403", name, status, body, err)
		}
	}
	read := notices + "/" + n.ID + "/read"
	if status, _, err := lead.Do(ctx, "POST", read, nil, nil); err != nil || status != http.StatusForbidden {
		t.Errorf("the district lead reads for the leader: %d %v, want 403", status, err)
	}
	var got struct {
		Status string `json:"status"`
	}
	if err := leader.Must(ctx, http.StatusOK, "POST", read, nil, &got); err != nil || got.Status != "read" {
		t.Fatalf("the leader's read: %+v %v", got, err)
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", d+"/messaging/team-notices", nil, &list); err != nil || len(list.Items) != 1 || list.Items[0].Status != "read" {
		t.Fatalf("the district's team notices after the read: %+v %v", list.Items, err)
	}
}

// TestTheTeamLeaderIsToldOfEachDispatchOffered runs a police dispatch's
// offer (警保联动) to the leader's phone through the running city: the two
// requests driveDispatch raises over patrols' API are offered to the team
// on duty, each DispatchOffered goes patrols' outbox → relay →
// gh.jingkai.patrols.v1 → messaging's consumer, and the leader reads one
// dispatch_offered team notice per request over messaging's API, naming
// the dispatch to accept.
func TestTheTeamLeaderIsToldOfEachDispatchOffered(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := driveDispatch(ctx, t, city, c)
	var list struct {
		Items []struct {
			Kind       string `json:"kind"`
			DispatchID string `json:"dispatch_id"`
			Title      string `json:"title"`
			Status     string `json:"status"`
		} `json:"items"`
	}
	notices := "/api/v1/districts/jingkai/messaging/guards/" + run.leaderID + "/team-notices"
	poll(t, "the leader's notices of both offers", func() bool {
		err := run.leader.Must(ctx, http.StatusOK, "GET", notices, nil, &list)
		return err == nil && len(list.Items) >= 2
	})
	offered := map[string]bool{}
	for _, n := range list.Items {
		if n.Kind == "dispatch_offered" && n.Status == "delivered" && n.Title != "" {
			offered[n.DispatchID] = true
		}
	}
	if len(list.Items) != 2 || !offered[run.urgent.ID] || !offered[run.routine.ID] {
		t.Fatalf("the leader's team notices %+v; want one dispatch_offered for %s and one for %s", list.Items, run.urgent.ID, run.routine.ID)
	}
}

package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// fill sets the text of the input or textarea sel and tells the page, as
// typing would (an input event: Vue's v-model reads the field's value).
func fill(sel, text string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.value = %q; e.dispatchEvent(new Event('input', { bubbles: true })); return true })()`, sel, text))(ctx, tg)
		if err == nil && !ok {
			err = fmt.Errorf("fill: no %s", sel)
		}
		return err
	})
}

// TestConsolePlansAPatrolAndAssignsTheTeam drives the patrol-planning
// forms in a real Chromium against the demo city: the district lead
// creates a plan over the demo's key area with two shifts (days and times
// on the clock in Asia/Shanghai, whatever the browser's zone), puts the
// demo team's leader on the first in Chinese and another member on the
// second in English, and the API then holds exactly that: the plan's
// window and shifts at the instants typed, each shift with its guard.
func TestConsolePlansAPatrolAndAssignsTheTeam(t *testing.T) {
	chromiumPath(t)
	_, c := startCity(t, t.TempDir(), "-demo")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }
	const base = "/api/v1/districts/jingkai"

	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "lead-planning", "password": "lead-planning right password",
		"role": "district-admin", "districts": []string{"jingkai"}}, nil); err != nil {
		t.Fatal(err)
	}
	lead := citytest.New(c.Base)
	if err := lead.Login(ctx, "lead-planning", "lead-planning right password"); err != nil {
		t.Fatal(err)
	}
	// The demo's team: its leader and the other active members, by name.
	var teams struct {
		Items []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/teams", nil, &teams); err != nil || len(teams.Items) != 1 {
		t.Fatalf("the demo's teams: %v %+v", err, teams)
	}
	var team struct {
		Name          string `json:"name"`
		LeaderGuardID string `json:"leader_guard_id"`
		Members       []struct {
			GuardID string `json:"guard_id"`
			Status  string `json:"status"`
		} `json:"members"`
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/teams/"+teams.Items[0].ID, nil, &team); err != nil {
		t.Fatal(err)
	}
	member := ""
	for _, m := range team.Members {
		if m.Status == "active" && m.GuardID != team.LeaderGuardID {
			member = m.GuardID
			break
		}
	}
	if member == "" {
		t.Fatalf("the demo team has no active member besides its leader: %+v", team)
	}
	name := func(id string) string {
		var g struct{ Name string }
		if err := lead.Must(ctx, http.StatusOK, "GET", base+"/guards/"+id, nil, &g); err != nil || g.Name == "" {
			t.Fatalf("guard %s: %v %+v", id, err, g)
		}
		return g.Name
	}
	leaderName, memberName := name(team.LeaderGuardID), name(member)
	var areas struct {
		Items []struct{ ID, Name string }
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/areas", nil, &areas); err != nil || len(areas.Items) != 1 {
		t.Fatalf("the demo's areas: %v %+v", err, areas)
	}
	area := areas.Items[0]

	// Three days ahead, clear of the demo's shift today.
	cst := time.FixedZone("CST", 8*3600)
	day := time.Now().In(cst).AddDate(0, 0, 3).Format(time.DateOnly)
	next := time.Now().In(cst).AddDate(0, 0, 4).Format(time.DateOnly)
	b := browser(t, ctx)
	run(t, b, login(c.Base, "lead-planning", "lead-planning right password"), chromedp.Click(css(`[data-test=nav-patrols-jingkai]`)),
		chromedp.WaitVisible(css(`[data-test=new-plan]`)), chromedp.Click(css(`[data-test=new-plan]`)), chromedp.WaitVisible(css(`#gh-plan-name`)),
		chromedp.SendKeys(css(`#gh-plan-name`), "沌口商圈节日巡逻"),
		chromedp.Click(css(`#gh-plan-area`)), clickOption(area.Name), chromedp.Click(css(`.el-dialog__title`)),
		chromedp.SendKeys(css(`#gh-plan-start-day`), day+"\t"), chromedp.SendKeys(css(`#gh-plan-end-day`), next+"\t"),
		look("patrol-plan-new.zh-CN"), chromedp.Click(css(`[data-test=plan-submit]`)),
		waitText(`[data-test=plan-heading]`, "“沌口商圈节日巡逻”的班次"))

	// Two shifts: the morning with two guards, the evening with one.
	// Their route: the area's checkpoint (the form keeps it for the next).
	for i, s := range []struct{ from, to, required string }{{"08:00", "12:00", "2"}, {"18:00", "22:30", "1"}} {
		route := chromedp.Steps()
		if i == 0 {
			route = chromedp.Steps(chromedp.Click(css(`#gh-shift-route`)), clickOption("商圈东门"), chromedp.Click(css(`label[for=gh-shift-required]`)))
		}
		run(t, b, chromedp.Click(css(`[data-test=new-shift]`)), chromedp.WaitVisible(css(`#gh-shift-start-day`)), route,
			chromedp.SendKeys(css(`#gh-shift-start-day`), day+"\t"), fill(`#gh-shift-start-time`, s.from),
			chromedp.SendKeys(css(`#gh-shift-end-day`), day+"\t"), fill(`#gh-shift-end-time`, s.to),
			fill(`#gh-shift-required`, s.required),
			chromedp.Click(css(`[data-test=shift-submit]`)), chromedp.WaitNotVisible(css(`#gh-shift-start-day`)))
	}
	run(t, b, waitCount(`[data-test=shifts] .el-table__body tr`, 2), waitText(`[data-test=shift-guards-0]`, ""),
		// The team's leader, marked as such, on the morning shift.
		chromedp.Click(css(`[data-test=shift-assign-0]`)), chromedp.WaitVisible(css(`#gh-assign-guard`)),
		chromedp.Click(css(`#gh-assign-guard`)), clickOption(fmt.Sprintf("%s（%s 队长）", leaderName, team.Name)),
		chromedp.Click(css(`[data-test=assign-help]`)), look("patrol-assign.zh-CN"), chromedp.Click(css(`[data-test=assign-submit]`)),
		waitText(`[data-test=shift-guards-0]`, leaderName+"（队长）"), look("patrol-plan.zh-CN"))

	// In English: another member on the evening shift.
	run(t, b, chromedp.Click(css(`[data-test=lang]`)), waitText(`h1`, "Patrol plans and live scans"),
		waitText(`[data-test=plan-heading]`, "Shifts of “沌口商圈节日巡逻”"), waitText(`[data-test=shift-guards-0]`, leaderName+" (leader)"),
		chromedp.Click(css(`[data-test=shift-assign-1]`)), chromedp.WaitVisible(css(`#gh-assign-guard`)),
		chromedp.Click(css(`#gh-assign-guard`)), clickOption(fmt.Sprintf("%s (%s)", memberName, team.Name)),
		chromedp.Click(css(`[data-test=assign-help]`)), look("patrol-assign.en"), chromedp.Click(css(`[data-test=assign-submit]`)),
		waitText(`[data-test=shift-guards-1]`, memberName), waitCount(`[data-test=shift-assign-1]`, 0), look("patrol-plan.en"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "English"))

	// What the API holds.
	var plans struct {
		Items []struct {
			ID               string
			Name             string
			AreaID           string    `json:"area_id"`
			StartsAt         time.Time `json:"starts_at"`
			EndsAt           time.Time `json:"ends_at"`
			Shifts, Required int
			Staffed          int
		}
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/plans?page_size=100", nil, &plans); err != nil {
		t.Fatal(err)
	}
	found := -1
	for i, p := range plans.Items {
		if p.Name == "沌口商圈节日巡逻" {
			found = i
		}
	}
	if found < 0 {
		t.Fatalf("the API's plans: %+v", plans.Items)
	}
	p := plans.Items[found]
	at := func(d, hm string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", d+" "+hm, cst)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if p.AreaID != area.ID || !p.StartsAt.Equal(at(day, "00:00")) || !p.EndsAt.Equal(at(next, "23:59")) || p.Shifts != 2 || p.Required != 3 || p.Staffed != 2 {
		t.Errorf("the plan the form created: %+v (want %s 00:00 to %s 23:59 Shanghai, 2 shifts, 2 of 3 staffed)", p, day, next)
	}
	var shifts struct {
		Items []struct {
			StartsAt time.Time `json:"starts_at"`
			EndsAt   time.Time `json:"ends_at"`
			Required int       `json:"required"`
			Assigned int       `json:"assigned"`
			GuardIDs []string  `json:"guard_ids"`
		}
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/plans/"+p.ID+"/shifts", nil, &shifts); err != nil || len(shifts.Items) != 2 {
		t.Fatalf("the plan's shifts: %v %+v", err, shifts.Items)
	}
	for i, want := range []struct {
		from, to time.Time
		required int
		guard    string
	}{{at(day, "08:00"), at(day, "12:00"), 2, team.LeaderGuardID}, {at(day, "18:00"), at(day, "22:30"), 1, member}} {
		s := shifts.Items[i]
		if !s.StartsAt.Equal(want.from) || !s.EndsAt.Equal(want.to) || s.Required != want.required || s.Assigned != 1 || len(s.GuardIDs) != 1 || s.GuardIDs[0] != want.guard {
			t.Errorf("shift %d: %+v, want %s–%s, %d required, guard %s", i, s, want.from, want.to, want.required, want.guard)
		}
	}
}

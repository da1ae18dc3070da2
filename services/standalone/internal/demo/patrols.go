package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
)

// PatrolStats is what LoadPatrols entered.
type PatrolStats struct {
	// Team is the team's name; Leader its leader's guard id.
	Team, Leader string
	// Members counts the team's members besides the leader.
	Members int
	// Dispatch is the id of the closed police dispatch.
	Dispatch string
}

// AsPrincipal serves h as p: the demo acts as the police office and as a
// team's leader, whose steps in a dispatch only they may take.
func AsPrincipal(h http.Handler, p auth.Principal) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// demoArea is the key area of the demo's team: the 沌口 business district
// of 经开, where the seed report's district lead works.
var demoArea = map[string]float64{"lat": 30.5093, "lng": 114.1637}

// LoadPatrols enters a volunteer-police team (江城义警) of the district's
// eligible volunteers, a key area with a checkpoint, today's patrol plan
// with a shift running now held by the team's leader, and one police
// dispatch (警保联动) answered through every stage: raised by the police
// office, accepted by the leader, en route, arrived, feedback, closed by
// the police. The patrols node learns guards from membership's events, so
// it waits (up to wait) until it knows enough eligible volunteers. h
// serves the district as an hq-admin (as Load); raw is the same handler
// without a principal, for acting as the police office and the leader.
//
// now places the shift: it runs from an hour before to eight hours after,
// so the team is on duty when the dispatch is raised.
func LoadPatrols(ctx context.Context, h, raw http.Handler, district string, now time.Time, wait time.Duration) (PatrolStats, error) {
	l := &loader{h: h, base: "/api/v1/districts/" + url.PathEscape(district), keyBase: "demo:patrols:" + district}
	var st PatrolStats
	// Volunteers (江城义警) patrols judges eligible today.
	var guards struct {
		Items []struct {
			ID              string `json:"id"`
			CompanyID       string `json:"company_id"`
			VolunteerPolice bool   `json:"volunteer_police"`
		} `json:"items"`
	}
	if err := l.do(ctx, http.MethodGet, "/guards?page_size=500", "", nil, &guards); err != nil {
		return st, err
	}
	type volunteer struct{ id, company string }
	var eligible []volunteer
	deadline := time.Now().Add(wait)
	for _, g := range guards.Items {
		if !g.VolunteerPolice || len(eligible) == 3 {
			continue
		}
		for {
			var el struct {
				Eligible bool `json:"eligible"`
			}
			err := l.do(ctx, http.MethodGet, "/guards/"+url.PathEscape(g.ID)+"/eligibility", "", nil, &el)
			var re *RequestError
			if err == nil {
				if el.Eligible {
					eligible = append(eligible, volunteer{g.ID, g.CompanyID})
				}
				break
			}
			// 404: patrols has not seen the guard's events yet.
			if !errors.As(err, &re) || re.Status != http.StatusNotFound || time.Now().After(deadline) {
				return st, err
			}
			select {
			case <-ctx.Done():
				return st, ctx.Err()
			case <-time.After(50 * time.Millisecond): // polling interval
			}
		}
	}
	if len(eligible) == 0 {
		return st, fmt.Errorf("demo: no volunteer of %s is eligible for a patrol team", district)
	}
	leader := eligible[0]
	st.Team, st.Leader = "经开江城义警沌口队", leader.id
	var team, area, cp, plan, shift, d struct {
		ID string `json:"id"`
	}
	if err := l.do(ctx, http.MethodPost, "/teams", l.key("team"), map[string]any{"name": st.Team, "leader_guard_id": leader.id}, &team); err != nil {
		return st, err
	}
	for i, v := range eligible[1:] {
		if err := l.do(ctx, http.MethodPost, "/teams/"+team.ID+"/members", l.key(fmt.Sprintf("member:%d", i)), map[string]any{"guard_id": v.id}, nil); err != nil {
			return st, err
		}
		st.Members++
	}
	if err := l.do(ctx, http.MethodPost, "/areas", l.key("area"), map[string]any{"name": "沌口商圈", "shape": "circle",
		"center": demoArea, "radius_m": 800}, &area); err != nil {
		return st, err
	}
	if err := l.do(ctx, http.MethodPost, "/areas/"+area.ID+"/checkpoints", l.key("checkpoint"), map[string]any{"name": "商圈东门",
		"tag_kind": "qr", "tag_value": "QR-demo-" + district + "-0001", "location": demoArea}, &cp); err != nil {
		return st, err
	}
	start, end := now.Add(-time.Hour).Truncate(time.Minute).UTC(), now.Add(8*time.Hour).Truncate(time.Minute).UTC()
	if err := l.do(ctx, http.MethodPost, "/plans", l.key("plan"), map[string]any{"name": "沌口商圈日常巡逻", "area_id": area.ID,
		"starts_at": start, "ends_at": end}, &plan); err != nil {
		return st, err
	}
	if err := l.do(ctx, http.MethodPost, "/plans/"+plan.ID+"/shifts", l.key("shift"), map[string]any{"starts_at": start, "ends_at": end,
		"required": 1, "route": []string{cp.ID}, "expected_scans": 1}, &shift); err != nil {
		return st, err
	}
	if err := l.do(ctx, http.MethodPost, "/shifts/"+shift.ID+"/assignments", l.key("assignment"), map[string]any{"guard_id": leader.id}, nil); err != nil {
		return st, err
	}
	// The dispatch: the police office raises it, the leader answers.
	police := &loader{h: AsPrincipal(raw, auth.Principal{Subject: "system:demo:police", Role: auth.RolePolice, Districts: []string{district}}), base: l.base, keyBase: l.keyBase}
	lead := &loader{h: AsPrincipal(raw, auth.Principal{Subject: "system:demo:leader", Role: auth.RoleGuard, Districts: []string{district},
		Company: leader.company, Guard: leader.id}), base: l.base, keyBase: l.keyBase}
	near := map[string]float64{"lat": demoArea["lat"] + 0.002, "lng": demoArea["lng"] + 0.002}
	if err := police.do(ctx, http.MethodPost, "/dispatches", l.key("dispatch"), map[string]any{"kind": "纠纷", "urgency": "urgent", "location": near}, &d); err != nil {
		return st, err
	}
	u := "/dispatches/" + d.ID
	if err := lead.do(ctx, http.MethodPost, u+"/accept", "", map[string]any{"team_id": team.ID}, nil); err != nil {
		return st, err
	}
	for _, step := range []map[string]any{{"step": "en_route"}, {"step": "arrived"}, {"step": "feedback", "note": "商户与顾客纠纷已现场调解，双方离开"}} {
		if err := lead.do(ctx, http.MethodPost, u+"/steps", "", step, nil); err != nil {
			return st, err
		}
	}
	if err := police.do(ctx, http.MethodPost, u+"/steps", "", map[string]any{"step": "closed"}, nil); err != nil {
		return st, err
	}
	st.Dispatch = d.ID
	return st, nil
}

// key is the Idempotency-Key of the loader's create named s.
func (l *loader) key(s string) string { return l.keyBase + ":" + s }

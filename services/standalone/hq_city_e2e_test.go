package standalone_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// hqCity is the part of HQ's district view (and the summary) the city
// view's end-to-end test reads.
type hqCity struct {
	Compliance struct {
		Reported bool `json:"reported"`
		Hazards  struct {
			Inspections      int      `json:"inspections"`
			FindingsRecorded int      `json:"findings_recorded"`
			FindingsOpen     int      `json:"findings_open"`
			AverageScore     *float64 `json:"average_score"`
		} `json:"hazards"`
	} `json:"compliance"`
	Patrols struct {
		Reported         bool     `json:"reported"`
		Teams            int      `json:"teams"`
		VolunteersActive int      `json:"volunteers_active"`
		VolunteerShare   *float64 `json:"volunteer_share"`
		Scans            int      `json:"scans"`
		PatrolHours      float64  `json:"patrol_hours"`
		SeatsFilled      int      `json:"seats_filled"`
	} `json:"patrols"`
	Notices struct {
		Reported     bool     `json:"reported"`
		Recipients   int      `json:"recipients"`
		Acknowledged int      `json:"acknowledged"`
		AckRate      *float64 `json:"ack_rate"`
	} `json:"notices"`
}

// TestHQsCityViewFollowsCompliancePatrolsAndNotices runs the city view
// through the real binary: in jingkai a hazard inspection is recorded over
// compliance's HTTP API, a volunteer-police team is formed and its leader
// scans a checkpoint of an assigned shift over patrols' API, and a company
// acknowledges a district notice over messaging's; each travels its
// service's outbox → relay → gh.jingkai.<service>.v1 → HQ's consumer, and
// HQ's district view, its drill-downs and the summary show them.
func TestHQsCityViewFollowsCompliancePatrolsAndNotices(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := "/api/v1/districts/jingkai"
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 81)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	today := now.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)

	// Compliance: a template and an inspection of the company with a finding.
	var tpl struct {
		ID string `json:"id"`
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/compliance/templates", map[string]any{"name": "门岗隐患排查",
		"sections": []map[string]any{{"title": "消防", "items": []map[string]any{
			{"id": "exit", "text": "消防通道畅通", "kind": "yes_no", "weight": 10},
			{"id": "ext", "text": "灭火器在有效期内", "kind": "yes_no", "weight": 10}}}}}, &tpl); err != nil {
		t.Fatal(err)
	}
	poll(t, "compliance to record the inspection", func() bool {
		status, _, err := c.Do(ctx, "POST", d+"/compliance/inspections", map[string]any{"company_id": co, "site": "一号门岗",
			"template_id": tpl.ID, "inspector": "张检查", "inspected_on": today,
			"answers": []map[string]any{{"item_id": "exit", "value": "yes"}, {"item_id": "ext", "value": "no"}},
			"findings": []map[string]any{{"item_id": "ext", "text": "灭火器过期", "severity": "medium", "remediation_owner": "u-co81",
				"remediation_due": now.AddDate(0, 0, 7).Format(time.DateOnly)}}}, nil)
		return err == nil && status == http.StatusCreated
	})

	// Patrols: a certified, checked volunteer leads a team, is assigned a
	// shift running now and scans its checkpoint.
	var guard citytest.Created
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/companies/"+co+"/guards", map[string]any{
		"name": "江城义警乙", "id_number": citytest.ResidentID(8181), "volunteer_police": true,
		"certificate_number": "鄂保2024000081", "certificate_issued_on": "2024-01-02", "certificate_valid_until": "2099-12-31",
	}, &guard); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusOK, "POST", d+"/guards/"+guard.ID+"/background-checks",
		map[string]any{"status": "passed", "checked_on": "2024-01-01"}, nil); err != nil {
		t.Fatal(err)
	}
	var team, area, cp, plan, shift struct {
		ID string `json:"id"`
	}
	poll(t, "patrols to know the volunteer and form the team", func() bool {
		status, _, err := c.Do(ctx, "POST", d+"/teams", map[string]any{"name": "经开江城义警二队", "leader_guard_id": guard.ID}, &team)
		return err == nil && status == http.StatusCreated
	})
	loc := map[string]float64{"lat": 30.51, "lng": 114.21}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/areas", map[string]any{"name": "沌口商圈", "shape": "circle",
		"center": loc, "radius_m": 1000}, &area); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/areas/"+area.ID+"/checkpoints", map[string]any{"name": "东门",
		"tag_kind": "qr", "tag_value": "QR-e2e-81", "location": loc}, &cp); err != nil {
		t.Fatal(err)
	}
	start, end := now.Add(-time.Hour).Truncate(time.Minute), now.Add(2*time.Hour).Truncate(time.Minute)
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/plans", map[string]any{"name": "元旦巡防", "area_id": area.ID,
		"starts_at": start, "ends_at": end}, &plan); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/plans/"+plan.ID+"/shifts", map[string]any{"starts_at": start, "ends_at": end,
		"required": 2, "route": []string{cp.ID}, "expected_scans": 1}, &shift); err != nil {
		t.Fatal(err)
	}
	if err := c.Must(ctx, http.StatusCreated, "POST", d+"/shifts/"+shift.ID+"/assignments", map[string]any{"guard_id": guard.ID}, nil); err != nil {
		t.Fatal(err)
	}
	// The guard's own account scans (a scan is the guard's alone).
	poll(t, "the guard's account", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", map[string]any{"username": "g-81", "password": "g-81 right password",
			"role": "guard", "districts": []string{"jingkai"}, "company": co, "guard": guard.ID}, nil)
		return err == nil && status == http.StatusCreated
	})
	g := citytest.New(c.Base)
	if err := g.Login(ctx, "g-81", "g-81 right password"); err != nil {
		t.Fatal(err)
	}
	if err := g.Must(ctx, http.StatusCreated, "POST", d+"/scans", map[string]any{"guard_id": guard.ID, "device_id": "phone-81",
		"tag": "QR-e2e-81", "scanned_at": time.Now().UTC(), "location": loc, "accuracy_m": 8, "device_seq": 1}, nil); err != nil {
		t.Fatal(err)
	}

	// Messaging: the district lead's notice, acknowledged by the company.
	poll(t, "the company-admin's account", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-81", "password": "ca-81 right password",
			"role": "company-admin", "districts": []string{"jingkai"}, "company": co}, nil)
		return err == nil && status == http.StatusCreated
	})
	ca := citytest.New(c.Base)
	if err := ca.Login(ctx, "ca-81", "ca-81 right password"); err != nil {
		t.Fatal(err)
	}
	// A district notice is the district lead's (or the police office's).
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "vp-jk81",
		"password": "vp-jk81 right password", "role": "district-admin", "districts": []string{"jingkai"}}, nil); err != nil {
		t.Fatal(err)
	}
	lead := citytest.New(c.Base)
	if err := lead.Login(ctx, "vp-jk81", "vp-jk81 right password"); err != nil {
		t.Fatal(err)
	}
	var notice struct {
		ID string `json:"id"`
	}
	poll(t, "jingkai's messaging node to know the company", func() bool {
		status, _, err := lead.Do(ctx, "POST", d+"/notices", map[string]any{"title": "元旦安保部署", "body_markdown": "请**确认**收到。",
			"ack_required": true, "ack_deadline": now.Add(72 * time.Hour),
			"audience": map[string]any{"kind": "companies", "company_ids": []string{co}}}, &notice)
		return err == nil && status == http.StatusCreated
	})
	base := d + "/notices/" + notice.ID + "/receipts/" + co
	if err := ca.Must(ctx, http.StatusOK, "POST", base+"/read", map[string]any{"by": "李经理"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := ca.Must(ctx, http.StatusOK, "POST", base+"/acknowledge", map[string]any{"revision": 1, "by": "李经理"}, nil); err != nil {
		t.Fatal(err)
	}

	// HQ's district view shows all three, through Kafka only.
	var v hqCity
	poll(t, "HQ's district view of compliance, patrols and notices", func() bool {
		err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai", nil, &v)
		return err == nil && v.Compliance.Hazards.Inspections == 1 && v.Patrols.Scans == 1 && v.Notices.Acknowledged == 1
	})
	if !v.Compliance.Reported || v.Compliance.Hazards.FindingsRecorded != 1 || v.Compliance.Hazards.FindingsOpen != 1 ||
		v.Compliance.Hazards.AverageScore == nil || *v.Compliance.Hazards.AverageScore != 0.5 {
		t.Errorf("compliance %+v", v.Compliance)
	}
	if !v.Patrols.Reported || v.Patrols.Teams != 1 || v.Patrols.VolunteersActive != 1 || v.Patrols.SeatsFilled != 1 ||
		v.Patrols.PatrolHours != end.Sub(start).Hours() || v.Patrols.VolunteerShare == nil || *v.Patrols.VolunteerShare != 1 {
		t.Errorf("patrols %+v (shift of %v h)", v.Patrols, end.Sub(start).Hours())
	}
	if !v.Notices.Reported || v.Notices.Recipients != 1 || v.Notices.AckRate == nil || *v.Notices.AckRate != 1 {
		_, raw, _ := c.Do(ctx, "GET", "/api/v1/hq/districts/jingkai", nil, nil)
		t.Errorf("notices %+v in %s", v.Notices, raw)
	}
	var cv struct {
		Companies []struct {
			CompanyID string `json:"company_id"`
			Hazards   struct {
				Inspections int `json:"inspections"`
			} `json:"hazards"`
		} `json:"companies"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai/compliance", nil, &cv); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range cv.Companies {
		found = found || (r.CompanyID == co && r.Hazards.Inspections == 1)
	}
	if !found {
		t.Errorf("the compliance drill-down has no row of %s with its inspection: %+v", co, cv.Companies)
	}
	var nl struct {
		Items []struct {
			ID           string `json:"id"`
			Acknowledged int    `json:"acknowledged"`
		} `json:"items"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai/notices", nil, &nl); err != nil {
		t.Fatal(err)
	}
	if len(nl.Items) != 1 || nl.Items[0].ID != notice.ID || nl.Items[0].Acknowledged != 1 {
		t.Errorf("notices drill-down %+v", nl.Items)
	}
	var sum hqCity
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/summary", nil, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Patrols.Scans != 1 || sum.Compliance.Hazards.Inspections != 1 || sum.Notices.Acknowledged != 1 {
		t.Errorf("summary %+v", sum)
	}
	// The company-admin has no HQ view, drill-downs included.
	if status, _, _ := ca.Do(ctx, "GET", "/api/v1/hq/districts/jingkai/compliance", nil, nil); status != http.StatusForbidden {
		t.Errorf("a company-admin reading HQ's compliance drill-down: %d, want 403", status)
	}
}

// hqPatrols is the part of HQ's district view of patrols that
// TestHQsPatrolFiguresFollowDispatchesIncidentsAndMissedTours reads.
type hqPatrols struct {
	Patrols struct {
		Reported            bool             `json:"reported"`
		MissedTours         int64            `json:"missed_tours"`
		MissedToursByKind   map[string]int64 `json:"missed_tours_by_kind"`
		Incidents           int64            `json:"incidents"`
		IncidentsByStatus   map[string]int64 `json:"incidents_by_status"`
		Dispatches          int64            `json:"dispatches"`
		DispatchesEscalated int64            `json:"dispatches_escalated"`
		Response            struct {
			AcceptSamples   int64    `json:"accept_samples"`
			AcceptP50       *float64 `json:"accept_p50_seconds"`
			ArriveSamples   int64    `json:"arrive_samples"`
			ArriveP50       *float64 `json:"arrive_p50_seconds"`
			FeedbackSamples int64    `json:"feedback_samples"`
			FeedbackP50     *float64 `json:"feedback_p50_seconds"`
		} `json:"response"`
	} `json:"patrols"`
}

// TestHQsPatrolFiguresFollowDispatchesIncidentsAndMissedTours carries the
// rest of issue 11's part 7 through the running city, Kafka only: two
// police dispatches (driveDispatch: an urgent one through every stage, a
// routine one nobody accepts), an incident the team leader reports, and
// the missed tour patrols' sweep raises for the leader's shift, begun an
// hour ago with no scan. HQ's district view counts the dispatches, the
// incident by status and the missed tour by kind, and its response
// percentiles are the urgent request's own stage times (one sample each:
// the routine request was never accepted).
func TestHQsPatrolFiguresFollowDispatchesIncidentsAndMissedTours(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := driveDispatch(ctx, t, city, c)
	d := "/api/v1/districts/jingkai"
	if err := run.leader.Must(ctx, http.StatusCreated, "POST", d+"/incidents", map[string]any{"guard_id": run.leaderID,
		"kind": "可疑人员", "severity": "medium", "location": map[string]float64{"lat": 30.511, "lng": 114.211},
		"description": "商圈东门有人徘徊"}, nil); err != nil {
		t.Fatal(err)
	}

	var v hqPatrols
	poll(t, "HQ's view of the dispatches, the incident and the missed tour", func() bool {
		err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai", nil, &v)
		return err == nil && v.Patrols.Dispatches == 2 && v.Patrols.Incidents == 1 && v.Patrols.MissedTours == 1 &&
			v.Patrols.Response.FeedbackSamples == 1
	})
	p := v.Patrols
	if p.IncidentsByStatus["open"] != 1 || p.MissedToursByKind["not_started"] != 1 {
		t.Errorf("incidents by status %v, missed tours by kind %v; want one open, one not_started", p.IncidentsByStatus, p.MissedToursByKind)
	}
	u := run.urgent
	for _, s := range []struct {
		stage   string
		samples int64
		p50     *float64
		at      *time.Time
	}{
		{"accept", p.Response.AcceptSamples, p.Response.AcceptP50, u.AcceptedAt},
		{"arrive", p.Response.ArriveSamples, p.Response.ArriveP50, u.ArrivedAt},
		{"feedback", p.Response.FeedbackSamples, p.Response.FeedbackP50, u.FeedbackAt},
	} {
		if s.at == nil {
			t.Fatalf("the urgent request has no %s time: %+v", s.stage, u)
		}
		want := s.at.Sub(u.RaisedAt).Seconds()
		// One sample: its percentile is that sample (HQ keeps seconds to
		// the millisecond at least).
		if s.samples != 1 || s.p50 == nil || *s.p50 < want-0.01 || *s.p50 > want+0.01 {
			got := "null"
			if s.p50 != nil {
				got = strconv.FormatFloat(*s.p50, 'f', 3, 64)
			}
			t.Errorf("%s: %d samples, p50 %s s; want 1 sample of %.3f s (the urgent request's own)", s.stage, s.samples, got, want)
		}
	}
}

package compliance_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/compliance"
)

// TestAuthzMatrix calls every route as every kind of caller and checks the
// answer against the policy table: allowed callers never get 403, everyone
// else gets 403 auth.forbidden (another company's gaps and another
// district included).
func TestAuthzMatrix(t *testing.T) {
	e := newEnv(t)
	e.hireTrained(okGuard("g1", "c1"))
	tpl := e.template()
	in := e.inspect(inspectionBody(tpl, "2026-06-10", "no"))
	fid := in.Findings[0].ID
	disp := e.report("wages")
	e.hireTrained(okGuard("g2", "c1"))
	var fo struct{ ID string }
	e.Must(201, "POST", "/compliance/four-one-checks", fourOneBody("g2"), &fo)
	e.apply(companyAt("c1", "active", 1, start.AddDate(0, -3, 0)))
	var ev struct{ ID string }
	e.Must(200, "POST", "/compliance/evaluations", map[string]any{"company_id": "c1"}, &ev)
	var wage struct{ ID string }
	e.Must(201, "POST", "/compliance/wages", wageBody("c1", "2026-05", true), &wage)
	// A complaint of c1 against c3: c2 (ca-othercompany) is no party. The
	// parties are companies of the register.
	e.apply(companyAt("c2", "active", 1, start.AddDate(0, -3, 0)), companyAt("c3", "active", 1, start.AddDate(0, -3, 0)))
	var compl struct{ ID string }
	e.Must(201, "POST", "/compliance/complaints", complaintBody("c1", "c3", false), &compl)
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
	// Each route as a concrete request about company c1.
	calls := map[string]string{
		"get_scoreboard":          "/compliance/scoreboard",
		"list_company_scores":     "/compliance/companies",
		"get_company_score":       "/compliance/companies/c1",
		"list_gaps":               "/compliance/gaps?criterion=training&company_id=c1",
		"get_trend":               "/compliance/trend?company_id=c1",
		"get_policy":              "/compliance/policy",
		"create_template":         "/compliance/templates",
		"new_template_version":    "/compliance/templates/" + tpl + "/versions",
		"get_template":            "/compliance/templates/" + tpl,
		"record_inspection":       "/compliance/inspections",
		"list_inspections":        "/compliance/inspections?company_id=c1",
		"get_inspection":          "/compliance/inspections/" + in.ID,
		"get_finding":             "/compliance/findings/" + fid,
		"change_finding_status":   "/compliance/findings/" + fid + "/status",
		"create_schedule":         "/compliance/schedules",
		"schedule_report":         "/compliance/schedules/c1/report",
		"report_dispute":          "/compliance/disputes",
		"list_disputes":           "/compliance/disputes?company_id=c1",
		"get_dispute":             "/compliance/disputes/" + disp.ID,
		"add_dispute_step":        "/compliance/disputes/" + disp.ID + "/steps",
		"change_dispute_status":   "/compliance/disputes/" + disp.ID + "/status",
		"dispute_stats":           "/compliance/disputes/stats",
		"record_four_one_check":   "/compliance/four-one-checks",
		"list_four_one_checks":    "/compliance/four-one-checks?company_id=c1",
		"get_four_one_check":      "/compliance/four-one-checks/" + fo.ID,
		"four_one_coverage":       "/compliance/four-one-coverage?company_id=c1&period=2026-06",
		"list_audit":              "/compliance/audit",
		"timeliness":              "/compliance/timeliness",
		"compute_evaluation":      "/compliance/evaluations",
		"list_evaluations":        "/compliance/evaluations?company_id=c1",
		"get_evaluation":          "/compliance/evaluations/" + ev.ID,
		"publish_evaluation":      "/compliance/evaluations/" + ev.ID + "/publish",
		"adjust_evaluation":       "/compliance/evaluations/" + ev.ID + "/adjustments",
		"correct_evaluation":      "/compliance/evaluations/" + ev.ID + "/corrections",
		"declare_wages":           "/compliance/wages",
		"list_wage_declarations":  "/compliance/wages?company_id=c1",
		"get_wage_declaration":    "/compliance/wages/" + wage.ID,
		"review_wage_declaration": "/compliance/wages/" + wage.ID + "/review",
		"wage_stats":              "/compliance/wages/stats",
		"file_complaint":          "/compliance/complaints",
		"list_complaints":         "/compliance/complaints?company_id=c1",
		"get_complaint":           "/compliance/complaints/" + compl.ID,
		"answer_complaint":        "/compliance/complaints/" + compl.ID + "/answer",
		"change_complaint_status": "/compliance/complaints/" + compl.ID + "/status",
		"withdraw_complaint":      "/compliance/complaints/" + compl.ID + "/withdraw",
		"complaint_stats":         "/compliance/complaints/stats",
	}
	bodies := map[string]any{
		"create_template": checklist, "new_template_version": checklist, "record_inspection": inspectionBody(tpl, "2026-06-10", "yes"),
		"change_finding_status": map[string]string{"status": "bogus"}, "report_dispute": disputeBody("wages"),
		"add_dispute_step": map[string]string{"kind": "bogus"}, "compute_evaluation": map[string]any{"company_id": "c1", "period": "bogus"},
		"publish_evaluation": map[string]any{}, "adjust_evaluation": map[string]any{"points": 0, "reason": ""},
		"correct_evaluation": map[string]any{"reason": ""}, "record_four_one_check": map[string]any{"guard_id": "g2", "company_id": "c1"}, "change_dispute_status": map[string]string{"status": "bogus"},
		"declare_wages": wageBody("c1", "2026-05", true), "review_wage_declaration": map[string]string{"outcome": "bogus"}, "create_schedule": map[string]any{"company_id": "c1", "period": "month", "count": 1, "starts_on": "2026-06-01"},
		"file_complaint": complaintBody("c1", "c3", false), "answer_complaint": map[string]string{"text": ""},
		"change_complaint_status": map[string]string{"status": "bogus"}, "withdraw_complaint": map[string]string{"reason": ""},
	}
	companyRoutes := map[string]bool{"get_company_score": true, "list_gaps": true, "get_trend": true, "record_inspection": true,
		"list_inspections": true, "get_inspection": true, "get_finding": true, "change_finding_status": true, "schedule_report": true,
		"report_dispute": true, "list_disputes": true, "get_dispute": true, "record_four_one_check": true, "list_four_one_checks": true,
		"get_four_one_check": true, "four_one_coverage": true, "compute_evaluation": true, "list_evaluations": true, "get_evaluation": true,
		"publish_evaluation": true, "adjust_evaluation": true, "correct_evaluation": true,
		"declare_wages": true, "list_wage_declarations": true, "get_wage_declaration": true, "review_wage_declaration": true,
		"file_complaint": true, "list_complaints": true, "get_complaint": true, "answer_complaint": true, "withdraw_complaint": true}
	pol := compliance.Policy()
	for _, rt := range compliance.Routes() {
		name := strings.TrimPrefix(rt.Endpoint, compliance.EndpointPrefix)
		path, ok := calls[name]
		if !ok {
			t.Errorf("route %s has no matrix call", name)
			continue
		}
		if _, ok := pol[rt.Endpoint]; !ok {
			t.Errorf("route %s has no policy row", name)
		}
		for _, cl := range callers {
			target := auth.Target{District: "jingkai"}
			if companyRoutes[name] {
				target.Company = "c1"
			}
			allowed := pol.Decide(cl.p, rt.Endpoint, target) == nil
			r := e.Do(rt.Method, path, bodies[name], testutil.PrincipalHeaders(cl.p, cl.label)...)
			if allowed && (r.Status == 403 || r.Status == 401) {
				t.Errorf("%s %s as %s: %d %s, want allowed", rt.Method, name, cl.label, r.Status, r.Body)
			}
			if !allowed && (r.Status != 403 || r.ErrorID() != "auth.forbidden") {
				t.Errorf("%s %s as %s: %d %s, want 403", rt.Method, name, cl.label, r.Status, r.Body)
			}
		}
	}
	if len(calls) != len(compliance.Routes()) {
		t.Errorf("%d matrix calls for %d routes", len(calls), len(compliance.Routes()))
	}
	// The rows the tests rely on: guard and ops nowhere; a company-admin
	// only on its own company's routes; the district-wide views are the
	// supervisors'.
	for ep, rule := range pol {
		for _, r := range []auth.Role{auth.RoleGuard, auth.RoleOps} {
			if rule.Roles[r] != auth.ScopeDeny {
				t.Errorf("%s allows %s", ep, r)
			}
		}
	}
	for _, name := range []string{"get_scoreboard", "list_company_scores"} {
		if s := pol[compliance.EndpointPrefix+name].Roles[auth.RoleCompanyAdmin]; s != auth.ScopeDeny {
			t.Errorf("%s: company-admin %v, want denied", name, s)
		}
	}
	// The two-four-one contents: never the district-admin's (coverage is).
	for _, name := range []string{"record_four_one_check", "list_four_one_checks", "get_four_one_check"} {
		if s := pol[compliance.EndpointPrefix+name].Roles[auth.RoleDistrictAdmin]; s != auth.ScopeDeny {
			t.Errorf("%s: district-admin %v, want denied", name, s)
		}
	}
	// Evaluations: the police and HQ alone adjust (not the district lead
	// who computes); a company reads its own rating and never rates.
	adj := pol[compliance.EndpointPrefix+"adjust_evaluation"].Roles
	if adj[auth.RoleHQAdmin] == auth.ScopeDeny || adj[auth.RolePolice] == auth.ScopeDeny || adj[auth.RoleDistrictAdmin] != auth.ScopeDeny ||
		adj[auth.RoleCompanyAdmin] != auth.ScopeDeny {
		t.Errorf("adjust_evaluation: %v", adj)
	}
	for _, name := range []string{"compute_evaluation", "publish_evaluation", "correct_evaluation"} {
		if s := pol[compliance.EndpointPrefix+name].Roles[auth.RoleCompanyAdmin]; s != auth.ScopeDeny {
			t.Errorf("%s: company-admin %v, want denied", name, s)
		}
	}
	// Wages: the police read and never declare or review; the union
	// contact's review is the association's, not a company's.
	for _, name := range []string{"declare_wages", "review_wage_declaration"} {
		if s := pol[compliance.EndpointPrefix+name].Roles[auth.RolePolice]; s != auth.ScopeDeny {
			t.Errorf("%s: police %v, want denied", name, s)
		}
	}
	if s := pol[compliance.EndpointPrefix+"review_wage_declaration"].Roles[auth.RoleCompanyAdmin]; s != auth.ScopeDeny {
		t.Errorf("review_wage_declaration: company-admin %v, want denied", s)
	}
	// Complaints: the police read and never file, answer, mediate or
	// withdraw; only a company answers (the accused: the service checks
	// the side), and a company never mediates.
	for _, name := range []string{"file_complaint", "answer_complaint", "change_complaint_status", "withdraw_complaint"} {
		if s := pol[compliance.EndpointPrefix+name].Roles[auth.RolePolice]; s != auth.ScopeDeny {
			t.Errorf("%s: police %v, want denied", name, s)
		}
	}
	if ans := pol[compliance.EndpointPrefix+"answer_complaint"].Roles; len(ans) != 1 || ans[auth.RoleCompanyAdmin] != auth.ScopeCompany {
		t.Errorf("answer_complaint: %v, want the company-admin alone", ans)
	}
	if s := pol[compliance.EndpointPrefix+"change_complaint_status"].Roles[auth.RoleCompanyAdmin]; s != auth.ScopeDeny {
		t.Errorf("change_complaint_status: company-admin %v, want denied", s)
	}
	// A company-admin who leaves out company_id is refused, not given the
	// district's gaps.
	ca := testutil.PrincipalHeaders(callers[3].p, "ca-own")
	if r := e.Do("GET", "/compliance/gaps?criterion=training", nil, ca...); r.Status != 403 {
		t.Errorf("company-admin district gaps: %d %s", r.Status, r.Body)
	}
}

// TestAnonymousRequestsAreRefusedBeforeTheyAreRead sends every route an
// anonymous, otherwise malformed request: 401, never a 400.
func TestAnonymousRequestsAreRefusedBeforeTheyAreRead(t *testing.T) {
	node, err := compliance.New(context.Background(), compliance.Config{
		District: "jingkai", DBPath: filepath.Join(t.TempDir(), "compliance.db"), Sealer: testSealer(t),
	}, compliance.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	testutil.CheckAuthenticatesFirst(t, node.Handler(), compliance.Routes(), "jingkai")
}

package membership_test

import (
	"net/http"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
)

// TestACompanyAdminKeepsItsOwnRecords walks an office's day as the
// company-admin of company A, through HTTP only: its company profile, a
// hire, the guard's PATCH, training, background check and certificate, an
// import and its report, the search and the expiring-certificate list of
// its own company, and a leaving. Every step succeeds; the same steps on
// company B are 403 and write nothing.
func TestACompanyAdminKeepsItsOwnRecords(t *testing.T) {
	e := newEnv(t)
	a, b := e.activeCompany(1), e.activeCompany(2)
	gb := e.hire(b.ID, 2)
	ca := caller{"carol", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: a.ID}}.headers()
	csv := []string{"Content-Type", "text/csv"}

	var c company
	e.Must(http.StatusOK, "GET", "/companies/"+a.ID, nil, &c, ca...)
	e.Must(http.StatusOK, "PATCH", "/companies/"+a.ID, map[string]any{"contact_name": "王经理", "contact_phone": "13800000000", "trade_union": true}, nil, ca...)
	var g guard
	e.Must(http.StatusCreated, "POST", "/companies/"+a.ID+"/guards", map[string]any{"name": "张伟", "id_number": residentID(1), "hired_on": "2025-01-01"}, &g, ca...)
	e.Must(http.StatusOK, "GET", "/guards/"+g.ID, nil, nil, ca...)
	e.Must(http.StatusOK, "PATCH", "/guards/"+g.ID, map[string]any{"badge_service": true}, nil, ca...)
	e.Must(http.StatusCreated, "POST", "/guards/"+g.ID+"/trainings", map[string]any{"type": "pre_job", "hours": 8, "trained_on": "2025-01-02"}, nil, ca...)
	e.Must(http.StatusOK, "GET", "/guards/"+g.ID+"/trainings", nil, nil, ca...)
	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/background-checks", map[string]any{"status": "passed", "checked_on": "2025-01-03"}, nil, ca...)
	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/certificate", map[string]any{"certificate_number": "鄂保证0001", "issued_on": "2025-01-04",
		"valid_until": "2099-01-03", "authority": "武汉市公安局"}, nil, ca...)
	var job struct{ ID string }
	e.Must(http.StatusAccepted, "POST", "/companies/"+a.ID+"/guards/imports", "name,id_number\n李四,"+residentID(3)+"\n", &job, append(csv, ca...)...)
	e.Must(http.StatusOK, "GET", "/imports/"+job.ID, nil, nil, ca...)
	e.Must(http.StatusOK, "GET", "/companies/"+a.ID+"/guards", nil, nil, ca...)
	e.Must(http.StatusOK, "GET", "/guards?company_id="+a.ID, nil, nil, ca...)
	e.Must(http.StatusOK, "POST", "/guards/search", map[string]any{"company_id": a.ID, "name": "张"}, nil, ca...)
	e.Must(http.StatusOK, "GET", "/certificates/expiring?company_id="+a.ID, nil, nil, ca...)
	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/leave", map[string]any{"left_on": "2025-02-01"}, nil, ca...)

	before := e.counts()
	for _, rq := range []struct {
		method, path string
		body         any
		hdr          []string
	}{
		{"PATCH", "/companies/" + b.ID, map[string]any{"contact_name": "x"}, nil},
		{"POST", "/companies/" + b.ID + "/guards", map[string]any{"name": "赵六", "id_number": residentID(6)}, nil},
		{"PATCH", "/guards/" + gb.ID, map[string]any{"badge_service": true}, nil},
		{"POST", "/guards/" + gb.ID + "/trainings", map[string]any{"type": "pre_job", "hours": 8, "trained_on": "2025-01-02"}, nil},
		{"POST", "/guards/" + gb.ID + "/background-checks", map[string]any{"status": "passed", "checked_on": "2025-01-03"}, nil},
		{"POST", "/guards/" + gb.ID + "/certificate", map[string]any{"certificate_number": "鄂保证0002", "issued_on": "2025-01-04"}, nil},
		{"POST", "/companies/" + b.ID + "/guards/imports", "name,id_number\n李四," + residentID(4) + "\n", csv},
		{"POST", "/guards/search", map[string]any{"company_id": b.ID}, nil},
		{"GET", "/certificates/expiring?company_id=" + b.ID, nil, nil},
		{"POST", "/guards/" + gb.ID + "/leave", map[string]any{}, nil},
	} {
		if r := e.Do(rq.method, rq.path, rq.body, append(rq.hdr, ca...)...); r.Status != http.StatusForbidden || r.ErrorID() != "auth.forbidden" {
			t.Errorf("%s %s on company B: %d %s, want 403 auth.forbidden", rq.method, rq.path, r.Status, r.Body)
		}
	}
	if after := e.counts(); after["guards"] != before["guards"] || after["audit_log"] != before["audit_log"] || after["eventbus_outbox"] != before["eventbus_outbox"] {
		t.Fatalf("refused requests wrote: %v → %v", before, after)
	}
}

package compliance_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/compliance"
)

// marker is a two-four-one note that must never leave the service in
// plaintext.
const marker = "想回老家照顾生病的母亲"

func fourOneBody(guard string) map[string]any {
	p := func(r int, note string) map[string]any { return map[string]any{"rating": r, "note": note} }
	return map[string]any{"guard_id": guard, "company_id": "c1", "checked_on": "2026-06-09", "points": map[string]any{
		"whereabouts": p(5, "按时到岗"), "job_duties": p(4, "熟悉岗位职责"), "state_of_mind": p(2, marker), "career_plan": p(3, "考虑考取保安师")}}
}

// TestFourOneContentsAreSealedAuditedAndNeverLeave: a check's contents are
// read back only by the guard's company-admin, hq-admin and the police,
// each read leaving an audit row; every other role is refused; the
// contents are in no list, no event, no log line and not in the database
// file (or its WAL) in plaintext; the only event is the coverage count.
func TestFourOneContentsAreSealedAuditedAndNeverLeave(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnvWith(t, compliance.Config{}, compliance.Deps{Logger: logger})
	srv := httptest.NewServer(testutil.ValidatedHandler(t, compliance.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, e.node.Handler(), "jingkai"), logger)))
	t.Cleanup(srv.Close)
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/jingkai"
	e.Client = cl

	e.hireTrained(okGuard("g1", "c1"))
	e.hireTrained(okGuard("g2", "c1"))
	seq := e.lastSeq()
	ca := testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"}, "ca-c1")
	var c struct {
		ID     string         `json:"id"`
		Period string         `json:"period"`
		Points map[string]any `json:"points"`
	}
	e.Must(201, "POST", "/compliance/four-one-checks", fourOneBody("g1"), &c, ca...)
	if c.ID == "" || c.Period != "2026-06" || c.Points != nil {
		t.Fatalf("created %+v", c)
	}
	audits := func() int { return testutil.Counts(t, e.node.DB().DB, "audit_log")["audit_log"] }
	before := audits()
	for _, who := range [][]string{ca, testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleHQAdmin}, "hq"),
		testutil.PrincipalHeaders(auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}, "police")} {
		r := e.Must(200, "GET", "/compliance/four-one-checks/"+c.ID, nil, nil, who...)
		if !strings.Contains(string(r.Body), marker) {
			t.Fatalf("contents not read back: %s", r.Body)
		}
	}
	if n := audits(); n != before+3 {
		t.Fatalf("%d audit rows for 3 reads", n-before)
	}
	for _, p := range []auth.Principal{
		{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}},
		{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c2"},
		{Role: auth.RolePolice, Districts: []string{"caidian"}},
		{Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"},
		{Role: auth.RoleOps},
	} {
		r := e.Do("GET", "/compliance/four-one-checks/"+c.ID, nil, testutil.PrincipalHeaders(p, "x")...)
		if r.Status != 403 || strings.Contains(string(r.Body), marker) {
			t.Fatalf("%s: %d %s", p.Role, r.Status, r.Body)
		}
	}
	if n := audits(); n != before+3 {
		t.Fatalf("a refused read left an audit row")
	}
	var log struct {
		Items []struct {
			Subject    string `json:"subject"`
			Action     string `json:"action"`
			ResourceID string `json:"resource_id"`
		} `json:"items"`
	}
	e.Must(200, "GET", "/compliance/audit?action=four_one.read", nil, &log)
	if len(log.Items) != 3 || log.Items[0].Subject != "police" || log.Items[2].Subject != "ca-c1" || log.Items[0].ResourceID != c.ID {
		t.Fatalf("audit log %+v", log.Items)
	}
	r := e.Must(200, "GET", "/compliance/four-one-checks?company_id=c1", nil, nil, ca...)
	if strings.Contains(string(r.Body), marker) || strings.Contains(string(r.Body), "points") {
		t.Fatalf("list carries contents: %s", r.Body)
	}
	var cov struct {
		Checked, Active int64
		Rate            *float64
	}
	e.Must(200, "GET", "/compliance/four-one-coverage?company_id=c1&period=2026-06", nil, &cov)
	if cov.Checked != 1 || cov.Active != 2 || cov.Rate == nil || *cov.Rate != 0.5 {
		t.Fatalf("coverage %+v", cov)
	}
	evs := e.events(seq)
	if got := typesOf(evs); len(got) != 1 || got[0] != "FourOneCoverage" {
		t.Fatalf("events %v", got)
	}
	for _, ev := range evs {
		if bytes.Contains(ev.Envelope.GetPayload(), []byte(marker)) {
			t.Fatal("the contents are in an event")
		}
	}
	if strings.Contains(logs.String(), marker) {
		t.Fatal("the contents are in the logs")
	}
	if logs.Len() == 0 {
		t.Fatal("no logs captured: the log check checked nothing")
	}
	for _, path := range []string{e.dbPath, e.dbPath + "-wal"} {
		raw, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(marker)) || bytes.Contains(raw, []byte("照顾")) {
			t.Fatalf("%s holds the contents in plaintext", path)
		}
	}
	// The guard must be the company's active guard.
	if r := e.Do("POST", "/compliance/four-one-checks", fourOneBody("g9"), ca...); r.Status != 400 || r.ErrorID() != "four_one.guard_invalid" {
		t.Fatalf("unknown guard: %d %s", r.Status, r.Body)
	}
}

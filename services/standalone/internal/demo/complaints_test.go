package demo

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

// TestLoadComplianceDeclaresAMonthAndFilesOneComplaint: every company
// declares last month's wages (the last in arrears, which opens a wages
// dispute); one complaint is answered and in mediation, its complainant
// withheld from the accused; a second run enters nothing twice.
func TestLoadComplianceDeclaresAMonthAndFilesOneComplaint(t *testing.T) {
	sealer, err := pii.NewSealer(map[string][]byte{"k1": []byte("0123456789abcdef0123456789abcdef")}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, policy.Zone)
	node, err := compliance.New(t.Context(), compliance.Config{District: "jingkai", DBPath: filepath.Join(t.TempDir(), "compliance.db"), Sealer: sealer},
		compliance.Deps{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	ids := []string{"co-0", "co-1", "co-2", "co-3"}
	// The companies of the register, as membership's events give them
	// (a complaint's parties must be in it).
	for i, id := range ids {
		env := testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyStatusChanged, "company", id,
			&eventsv1.CompanyStatusChanged{Company: &eventsv1.Company{Id: id, District: "jingkai", Name: "公司" + id, Status: "active", Version: 1}, ToStatus: "active"})
		env.EventId = fmt.Sprintf("ev-company-%d", i)
		if err := node.ApplyMembership(t.Context(), env); err != nil {
			t.Fatal(err)
		}
	}
	asCompany := func(co string) http.Handler { return AsCompanyAdmin(node.Handler(), "jingkai", co) }
	var first ComplianceStats
	for run := range 2 {
		st, err := LoadCompliance(t.Context(), asAdmin(node.Handler()), "jingkai", ids, asCompany, now)
		if err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if st.Month != "2026-11" || st.Declarations != 4 || st.InArrears != 1 || st.Complaints != 1 || st.ComplaintStatus != "mediating" {
			t.Fatalf("run %d: %+v", run+1, st)
		}
		if run == 0 {
			first = st
		} else if st.ComplaintID != first.ComplaintID {
			t.Fatalf("a second complaint: %s, then %s", first.ComplaintID, st.ComplaintID)
		}
	}
	var wages struct {
		Items []struct {
			CompanyID  string `json:"company_id"`
			PaidInFull bool   `json:"paid_in_full"`
			DisputeID  string `json:"dispute_id"`
			Version    int64  `json:"version"`
		}
	}
	getJSON(t, asAdmin(node.Handler()), "/compliance/wages?month=2026-11", &wages)
	if len(wages.Items) != 4 {
		t.Fatalf("declarations %+v", wages.Items)
	}
	for _, w := range wages.Items {
		if arrears := w.CompanyID == "co-3"; w.PaidInFull == arrears || (w.DisputeID != "") != arrears || w.Version != 1 {
			t.Errorf("declaration %+v", w)
		}
	}
	var disputes struct{ Items []struct{ Kind string } }
	getJSON(t, asAdmin(node.Handler()), "/compliance/disputes", &disputes)
	if len(disputes.Items) != 1 || disputes.Items[0].Kind != "wages" {
		t.Fatalf("disputes %+v", disputes.Items)
	}
	rec := httptest.NewRecorder()
	asCompany("co-2").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/districts/jingkai/compliance/complaints/"+first.ComplaintID, nil))
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "co-1") || !strings.Contains(rec.Body.String(), `"answer":{`) {
		t.Fatalf("the accused reads %d %s", rec.Code, rec.Body)
	}
}

package demo

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/services/meetings"
)

// newMeetingsNode starts a real meetings node for jingkai knowing four
// active companies (as its membership consumer would have projected them).
func newMeetingsNode(t *testing.T) (*meetings.Node, []string) {
	t.Helper()
	node, err := meetings.New(t.Context(), meetings.Config{District: "jingkai", DBPath: filepath.Join(t.TempDir(), "meetings.db")},
		meetings.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	var ids []string
	for i := range 4 {
		id := fmt.Sprintf("co-%d", i)
		if err := node.PutCompany(t.Context(), meetings.Company{ID: id, Name: "演示保安公司" + id, Status: "active", Version: 1}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return node, ids
}

func getJSON(t *testing.T, h http.Handler, path string, out any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/districts/jingkai"+path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatal(err)
	}
}

// TestLoadFieldworkShowsAVisitAndTwoPlanItemsWithFeedback: the demo's
// field visit has its follow-up, and its two plan items their
// beneficiaries' feedback, given by the companies' own admins; a second
// run enters nothing twice.
func TestLoadFieldworkShowsAVisitAndTwoPlanItemsWithFeedback(t *testing.T) {
	node, ids := newMeetingsNode(t)
	admin := asAdmin(node.Handler())
	asCompany := func(co string) http.Handler { return AsCompanyAdmin(node.Handler(), "jingkai", co) }
	for run := range 2 {
		st, err := LoadFieldwork(t.Context(), admin, "jingkai", ids, asCompany)
		if err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if st != (FieldworkStats{Visits: 1, FollowUps: 1, ServiceItems: 2, Beneficiaries: 5, Feedbacks: 3}) {
			t.Fatalf("run %d: stats %+v", run+1, st)
		}
		var visits struct {
			Items []struct {
				CompanyID string `json:"company_id"`
				FollowUps []struct {
					OwnerCompanyID string `json:"owner_company_id"`
				} `json:"follow_ups"`
			}
		}
		getJSON(t, admin, "/field-visits", &visits)
		if len(visits.Items) != 1 || visits.Items[0].CompanyID != ids[0] || len(visits.Items[0].FollowUps) != 1 || visits.Items[0].FollowUps[0].OwnerCompanyID != ids[0] {
			t.Fatalf("run %d: visits %+v", run+1, visits)
		}
		var prog struct {
			ItemCount       int      `json:"item_count"`
			CompaniesServed int      `json:"companies_served"`
			Feedbacks       int      `json:"feedbacks"`
			AverageRating   *float64 `json:"average_rating"`
			Items           []struct {
				Achieved  int
				Feedbacks int
			}
		}
		getJSON(t, admin, "/service-plan/progress?term="+FieldworkTerm, &prog)
		if prog.ItemCount != 2 || prog.CompaniesServed != 4 || prog.Feedbacks != 3 || prog.AverageRating == nil ||
			prog.Items[0].Achieved != 2 || prog.Items[0].Feedbacks != 2 || prog.Items[1].Achieved != 2 || prog.Items[1].Feedbacks != 1 {
			t.Fatalf("run %d: progress %+v", run+1, prog)
		}
	}
	if _, err := LoadFieldwork(t.Context(), admin, "jingkai", ids[:3], asCompany); err == nil {
		t.Fatal("three companies accepted")
	}
}

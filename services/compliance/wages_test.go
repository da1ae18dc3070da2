package compliance_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

type wageDecl struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	OnTime     bool   `json:"on_time"`
	DisputeID  string `json:"dispute_id"`
	Version    int64  `json:"version"`
	ReviewedBy string `json:"reviewed_by"`
}

type wageStats struct {
	Month         string   `json:"month"`
	Expected      int      `json:"expected"`
	Declared      int      `json:"declared"`
	OnTime        int      `json:"on_time"`
	InArrears     int      `json:"in_arrears"`
	Guarantee     int      `json:"guarantee_in_place"`
	Missed        int      `json:"missed"`
	OnTimeRate    *float64 `json:"on_time_rate"`
	ArrearsRate   *float64 `json:"arrears_rate"`
	GuaranteeRate *float64 `json:"guarantee_rate"`
}

// wageBody is a declaration of month by company: paid in full on the 5th
// of the next month with a deposit, or in arrears (3 guards, 8600 yuan)
// with no guarantee.
func wageBody(company, month string, paid bool) map[string]any {
	if paid {
		return map[string]any{"company_id": company, "month": month, "paid_in_full": true, "paid_on": "2026-06-05", "guarantee": "deposit"}
	}
	return map[string]any{"company_id": company, "month": month, "paid_in_full": false, "guards_affected": 3, "arrears_amount": 8600, "guarantee": "none"}
}

func (e *env) typesSince(seq int64) []string {
	var out []string
	for _, ev := range e.events(seq) {
		out = append(out, ev.Type)
	}
	return out
}

// TestWageArrearsOpensOneWagesDispute: a declaration in arrears opens a
// wages dispute (with its response timer) and announces both; declaring
// the month again replaces the declaration and opens no second dispute.
func TestWageArrearsOpensOneWagesDispute(t *testing.T) {
	e := newEnv(t)
	seq := e.lastSeq()
	var w wageDecl
	e.Must(201, "POST", "/compliance/wages", wageBody("c1", "2026-05", false), &w)
	if w.ID != "c1.2026-05" || w.Status != "declared" || !w.OnTime || w.DisputeID == "" || w.Version != 1 {
		t.Fatalf("declaration %+v", w)
	}
	var d struct {
		Kind      string `json:"kind"`
		Status    string `json:"status"`
		CompanyID string `json:"company_id"`
	}
	e.Must(200, "GET", "/compliance/disputes/"+w.DisputeID, nil, &d)
	if d.Kind != "wages" || d.Status != "reported" || d.CompanyID != "c1" {
		t.Fatalf("dispute %+v", d)
	}
	if got := e.typesSince(seq); !slices.Equal(got, []string{eventsv1.TypeWageDeclared, eventsv1.TypeDisputeReported}) {
		t.Fatalf("events %v", got)
	}
	var again wageDecl
	e.Must(201, "POST", "/compliance/wages", wageBody("c1", "2026-05", false), &again)
	if again.DisputeID != w.DisputeID || again.Version != 2 {
		t.Fatalf("re-declared %+v, want the same dispute at version 2", again)
	}
	var list struct{ Items []any }
	e.Must(200, "GET", "/compliance/disputes?kind=wages", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d wages disputes, want 1", len(list.Items))
	}
	// Paid in full opens none.
	var paid wageDecl
	e.Must(201, "POST", "/compliance/wages", wageBody("c2", "2026-05", true), &paid)
	if paid.DisputeID != "" {
		t.Fatalf("paid in full opened dispute %s", paid.DisputeID)
	}
}

// TestWageReviewByTheUnionContact: a disputed declaration opens a wages
// dispute; a confirmed one can no longer be declared again; a missed or
// reviewed one is not reviewed twice.
func TestWageReviewByTheUnionContact(t *testing.T) {
	e := newEnv(t)
	var a, b wageDecl
	e.Must(201, "POST", "/compliance/wages", wageBody("c1", "2026-05", true), &a)
	e.Must(201, "POST", "/compliance/wages", wageBody("c2", "2026-05", true), &b)
	var dis wageDecl
	e.Must(200, "POST", "/compliance/wages/"+a.ID+"/review", map[string]string{"outcome": "disputed", "note": "工会反映5月工资延迟到6月20日"}, &dis)
	if dis.Status != "disputed" || dis.DisputeID == "" || dis.ReviewedBy == "" {
		t.Fatalf("disputed %+v", dis)
	}
	var ok wageDecl
	e.Must(200, "POST", "/compliance/wages/"+b.ID+"/review", map[string]string{"outcome": "confirmed"}, &ok)
	if ok.Status != "confirmed" || ok.DisputeID != "" {
		t.Fatalf("confirmed %+v", ok)
	}
	if r := e.Do("POST", "/compliance/wages", wageBody("c2", "2026-05", false)); r.Status != 409 || r.ErrorID() != "wage.reviewed" {
		t.Fatalf("re-declaring a confirmed month: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/compliance/wages/"+b.ID+"/review", map[string]string{"outcome": "confirmed"}); r.Status != 409 || r.ErrorID() != "wage.not_reviewable" {
		t.Fatalf("reviewing twice: %d %s", r.Status, r.Body)
	}
}

// TestMissedWageDeclarationTimerFiresOnce: two companies active in May,
// one declares on time; before the deadline (the end of 10 June, China
// time) nothing is missed; after it the other is recorded missed once,
// with a wages dispute, however often the timer runs. The month's rates
// count it; a month with no company active has null rates (not reported,
// never 0).
func TestMissedWageDeclarationTimerFiresOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	april := time.Date(2026, 4, 1, 9, 0, 0, 0, cst)
	e.apply(companyAt("c1", "active", 1, april), companyAt("c2", "active", 1, april))
	e.Must(201, "POST", "/compliance/wages", wageBody("c1", "2026-05", true), nil)
	if n, err := e.node.WageTimers(ctx); err != nil || n != 0 {
		t.Fatalf("before the deadline: %d %v", n, err)
	}
	e.clock.set(time.Date(2026, 6, 11, 0, 0, 0, 0, cst))
	seq := e.lastSeq()
	if n, err := e.node.WageTimers(ctx); err != nil || n != 2 {
		t.Fatalf("after the deadline: %d %v, want 2 changes (missed, dispute)", n, err)
	}
	if n, err := e.node.WageTimers(ctx); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
	if got := e.typesSince(seq); !slices.Equal(got, []string{eventsv1.TypeWageDeclarationMissed, eventsv1.TypeDisputeReported}) {
		t.Fatalf("events %v", got)
	}
	var m wageDecl
	e.Must(200, "GET", "/compliance/wages/c2.2026-05", nil, &m)
	if m.Status != "missed" || m.DisputeID == "" || m.OnTime {
		t.Fatalf("missed %+v", m)
	}
	var st wageStats
	e.Must(200, "GET", "/compliance/wages/stats?month=2026-05", nil, &st)
	if st.Expected != 2 || st.Declared != 1 || st.OnTime != 1 || st.Missed != 1 || st.Guarantee != 1 ||
		st.OnTimeRate == nil || *st.OnTimeRate != 0.5 || st.ArrearsRate == nil || *st.ArrearsRate != 0 || st.GuaranteeRate == nil || *st.GuaranteeRate != 1 {
		t.Fatalf("stats %+v", st)
	}
	var none wageStats
	e.Must(200, "GET", "/compliance/wages/stats?month=2025-01", nil, &none)
	if none.Expected != 0 || none.OnTimeRate != nil || none.ArrearsRate != nil || none.GuaranteeRate != nil {
		t.Fatalf("a month of no company: %+v, want null rates", none)
	}
	// The default month is the last ended one.
	var def wageStats
	e.Must(200, "GET", "/compliance/wages/stats", nil, &def)
	if def.Month != "2026-05" {
		t.Fatalf("default month %s", def.Month)
	}
}

// TestWageBadInputIsRefusedAndChangesNothing: every malformed declaration,
// review or filter gets its stable id and field, and writes nothing.
func TestWageBadInputIsRefusedAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	var w wageDecl
	e.Must(201, "POST", "/compliance/wages", wageBody("c1", "2026-05", true), &w)
	with := func(paid bool, k string, v any) map[string]any {
		b := wageBody("c1", "2026-04", paid)
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	tabs := []string{"wage_declarations", "disputes", "eventbus_outbox"}
	before := testutil.Counts(t, e.node.DB().DB, tabs...)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		id, field          string
	}{
		{"No company.", "POST", "/compliance/wages", with(true, "company_id", nil), 400, "compliance.company_id_required", "company_id"},
		{"A month not YYYY-MM.", "POST", "/compliance/wages", with(true, "month", "2026-5"), 400, "wage.month_invalid", "month"},
		{"The current month, not ended.", "POST", "/compliance/wages", with(true, "month", "2026-06"), 400, "wage.month_invalid", "month"},
		{"A month 13.", "POST", "/compliance/wages", with(true, "month", "2026-13"), 400, "wage.month_invalid", "month"},
		{"Paid in full without the day.", "POST", "/compliance/wages", with(true, "paid_on", nil), 400, "wage.paid_on_invalid", "paid_on"},
		{"Paid in the future.", "POST", "/compliance/wages", with(true, "paid_on", "2026-07-01"), 400, "wage.paid_on_invalid", "paid_on"},
		{"Paid on 31 June.", "POST", "/compliance/wages", with(true, "paid_on", "2026-06-31"), 400, "wage.paid_on_invalid", "paid_on"},
		{"Paid in full with guards affected.", "POST", "/compliance/wages", with(true, "guards_affected", 2), 400, "wage.guards_affected_invalid", "guards_affected"},
		{"Paid in full with arrears.", "POST", "/compliance/wages", with(true, "arrears_amount", 10), 400, "wage.arrears_amount_invalid", "arrears_amount"},
		{"Arrears of no guard.", "POST", "/compliance/wages", with(false, "guards_affected", 0), 400, "wage.guards_affected_invalid", "guards_affected"},
		{"Arrears of 0 yuan.", "POST", "/compliance/wages", with(false, "arrears_amount", 0), 400, "wage.arrears_amount_invalid", "arrears_amount"},
		{"Arrears over 100,000,000 yuan.", "POST", "/compliance/wages", with(false, "arrears_amount", 1e9), 400, "wage.arrears_amount_invalid", "arrears_amount"},
		{"An unknown guarantee.", "POST", "/compliance/wages", with(true, "guarantee", "promise"), 400, "wage.guarantee_invalid", "guarantee"},
		{"A review of no outcome.", "POST", "/compliance/wages/" + w.ID + "/review", map[string]string{}, 400, "wage.outcome_invalid", "outcome"},
		{"A dispute without a note.", "POST", "/compliance/wages/" + w.ID + "/review", map[string]string{"outcome": "disputed"}, 400, "wage.note_required", "note"},
		{"A note over 2000 characters.", "POST", "/compliance/wages/" + w.ID + "/review", map[string]string{"outcome": "disputed", "note": strings.Repeat("x", 2001)}, 400, "wage.note_required", "note"},
		{"A review of no declaration.", "POST", "/compliance/wages/c9.2026-05/review", map[string]string{"outcome": "confirmed"}, 404, "wage.not_found", ""},
		{"A list of an unknown status.", "GET", "/compliance/wages?status=late", nil, 400, "wage.status_filter_invalid", "status"},
		{"A list of a bad month.", "GET", "/compliance/wages?month=May", nil, 400, "wage.month_filter_invalid", "month"},
		{"Stats of a bad month.", "GET", "/compliance/wages/stats?month=2026-5", nil, 400, "wage.month_filter_invalid", "month"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s (field %q)", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
		})
	}
	if after := testutil.Counts(t, e.node.DB().DB, tabs...); !maps.Equal(before, after) {
		t.Fatalf("rows changed: %v → %v", before, after)
	}
}

package compliance_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

var tables = []string{"guards", "trainings", "companies", "company_scores", "lapse_warnings", "snapshots", "eventbus_outbox"}

// TestBadInputIsRefusedWithItsIDAndField: every malformed request gets
// its stable error id and the field at fault.
func TestBadInputIsRefusedWithItsIDAndField(t *testing.T) {
	e := newEnv(t)
	e.hireTrained(okGuard("g1", "c1"))
	before := testutil.Counts(t, e.node.DB().DB, tables...)
	for _, tc := range []struct {
		name, path string
		status     int
		id, field  string
	}{
		{"A drill-down without a criterion.", "/compliance/gaps", 400, "compliance.criterion_required", "criterion"},
		{"A drill-down of an unknown criterion.", "/compliance/gaps?criterion=party", 400, "compliance.criterion_invalid", "criterion"},
		{"A company id over 64 characters.", "/compliance/gaps?criterion=badge&company_id=" + strings.Repeat("x", 65), 400, "compliance.company_id_invalid", "company_id"},
		{"A page size of 0.", "/compliance/gaps?criterion=badge&page_size=0", 400, "request.page_size_invalid", "page_size"},
		{"A page size over 500.", "/compliance/companies?page_size=501", 400, "request.page_size_invalid", "page_size"},
		{"A page token this list never issued.", "/compliance/companies?page_token=%21%21", 400, "request.page_token_invalid", "page_token"},
		{"A trend of 0 days.", "/compliance/trend?days=0", 400, "compliance.days_invalid", "days"},
		{"A trend of 401 days.", "/compliance/trend?days=401", 400, "compliance.days_invalid", "days"},
		{"A trend of a non-number of days.", "/compliance/trend?days=many", 400, "compliance.days_invalid", "days"},
		{"A company the scoreboard never heard of.", "/compliance/companies/nope", 404, "company.not_found", ""},
		{"Another district's path.", "/../caidian/compliance/scoreboard", 404, "district.not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if strings.HasPrefix(path, "/..") {
				path = "/api/v1/districts/caidian/compliance/scoreboard"
				cl := *e.Client
				cl.Prefix = ""
				r := cl.Do("GET", path, nil)
				if r.Status != tc.status || r.ErrorID() != tc.id {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				return
			}
			r := e.Do("GET", path, nil)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s (field %q)", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
		})
	}
	if after := testutil.Counts(t, e.node.DB().DB, tables...); !maps.Equal(before, after) {
		t.Fatalf("rows changed: %v → %v", before, after)
	}
}

// TestBadMembershipEventsAreRefusedAndChangeNothing: a membership event
// the scoreboard cannot apply is an error (the consumer dead-letters it)
// and writes nothing.
func TestBadMembershipEventsAreRefusedAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	e.hireTrained(okGuard("g1", "c1"))
	before := testutil.Counts(t, e.node.DB().DB, tables...)
	other := okGuard("g9", "c1")
	other.District = "caidian"
	noCompany := okGuard("g9", "")
	badStatus := okGuard("g9", "c1")
	badStatus.EmploymentStatus = "retired"
	noVersion := okGuard("g9", "c1")
	noVersion.Version = 0
	garbage := hired(okGuard("g9", "c1"))
	garbage.Payload = []byte{0xff, 0xff}
	g := okGuard("g9", "c1")
	for _, tc := range []struct {
		name string
		env  *eventsv1.Envelope
	}{
		{"A guard of another district.", hired(other)},
		{"A guard without a company.", hired(noCompany)},
		{"A guard with an unknown employment status.", hired(badStatus)},
		{"A guard without a version.", hired(noVersion)},
		{"An undecodable payload.", garbage},
		{"A training of an unknown type.", trained(g, "online", 2, "2026-06-01")},
		{"A training of 0 hours.", trained(g, "in_service", 0, "2026-06-01")},
		{"A training without a date.", trained(g, "in_service", 2, "")},
		{"A company without a status.", testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyRegistered, "company", "c9",
			&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: "c9", Version: 1}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.node.ApplyMembership(context.Background(), proto.Clone(tc.env).(*eventsv1.Envelope)); err == nil {
				t.Fatal("applied")
			}
		})
	}
	if after := testutil.Counts(t, e.node.DB().DB, tables...); !maps.Equal(before, after) {
		t.Fatalf("rows changed: %v → %v", before, after)
	}
}

// TestBadInspectionInputWritesNothing: every malformed template,
// inspection, finding or schedule is refused with its id and field, and
// writes no row and no event.
func TestBadInspectionInputWritesNothing(t *testing.T) {
	e := newEnv(t)
	tpl := e.template()
	all := append(tables, "inspection_templates", "inspections", "findings", "inspection_schedules", "idempotency_keys")
	before := testutil.Counts(t, e.node.DB().DB, all...)
	with := func(k string, v any) map[string]any {
		b := inspectionBody(tpl, "2026-06-10", "yes")
		b[k] = v
		return b
	}
	badFinding := func(f map[string]any) map[string]any {
		return with("findings", []map[string]any{f})
	}
	item := func(it map[string]any) map[string]any {
		return map[string]any{"name": "t", "sections": []map[string]any{{"title": "s", "items": []map[string]any{it}}}}
	}
	for _, tc := range []struct {
		name, path string
		body       any
		id, field  string
	}{
		{"A template without a name.", "/compliance/templates", map[string]any{"sections": checklist["sections"]}, "template.name_required", "name"},
		{"A template without sections.", "/compliance/templates", map[string]any{"name": "t", "sections": []any{}}, "template.sections_invalid", "sections"},
		{"An item of an unknown kind.", "/compliance/templates", item(map[string]any{"id": "a", "text": "a", "kind": "photo", "weight": 1}), "template.item_invalid", "sections.items"},
		{"A number item without a range.", "/compliance/templates", item(map[string]any{"id": "a", "text": "a", "kind": "number", "weight": 1}), "template.item_invalid", "sections.items"},
		{"A weight over 100.", "/compliance/templates", item(map[string]any{"id": "a", "text": "a", "kind": "yes_no", "weight": 101}), "template.item_invalid", "sections.items"},
		{"A pass mark over 1.", "/compliance/templates", map[string]any{"name": "t", "pass_mark": 1.5, "sections": checklist["sections"]}, "template.pass_mark_invalid", "pass_mark"},
		{"An inspection without a company.", "/compliance/inspections", with("company_id", ""), "compliance.company_id_required", "company_id"},
		{"An inspection in the future.", "/compliance/inspections", with("inspected_on", "2026-06-11"), "inspection.inspected_on_invalid", "inspected_on"},
		{"An inspection of no template.", "/compliance/inspections", with("template_id", "nope"), "inspection.template_invalid", "template_id"},
		{"An unanswered item.", "/compliance/inspections", with("answers", []map[string]any{{"item_id": "exit", "value": "yes"}}), "inspection.answer_invalid", "answers"},
		{"A finding of no severity.", "/compliance/inspections", badFinding(map[string]any{"text": "x", "severity": "meh", "remediation_owner": "o", "remediation_due": "2026-06-12"}), "finding.invalid", "findings"},
		{"A finding due before the inspection.", "/compliance/inspections", badFinding(map[string]any{"text": "x", "severity": "low", "remediation_owner": "o", "remediation_due": "2026-06-01"}), "finding.invalid", "findings"},
		{"A finding without an owner.", "/compliance/inspections", badFinding(map[string]any{"text": "x", "severity": "low", "remediation_due": "2026-06-12"}), "finding.invalid", "findings"},
		{"A schedule of an unknown period.", "/compliance/schedules", map[string]any{"company_id": "c1", "period": "fortnight", "count": 1, "starts_on": "2026-06-01"}, "schedule.invalid", "period"},
		{"A schedule of 0 a period.", "/compliance/schedules", map[string]any{"company_id": "c1", "period": "month", "count": 0, "starts_on": "2026-06-01"}, "schedule.invalid", "period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do("POST", tc.path, tc.body)
			if r.Status != 400 || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want 400 %s (field %q)", r.Status, r.Body, tc.id, tc.field)
			}
		})
	}
	if r := e.Do("POST", "/compliance/findings/nope/status", map[string]string{"status": "closed"}); r.Status != 404 || r.ErrorID() != "finding.not_found" {
		t.Fatalf("unknown finding: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/compliance/schedules/c1/report", nil); r.Status != 404 || r.ErrorID() != "schedule.not_found" {
		t.Fatalf("no schedule: %d %s", r.Status, r.Body)
	}
	if after := testutil.Counts(t, e.node.DB().DB, all...); !maps.Equal(before, after) {
		t.Fatalf("rows changed: %v → %v", before, after)
	}
}

// TestBadDisputeInputWritesNothing: every malformed dispute, step or move
// is refused with its id and field, and writes nothing.
func TestBadDisputeInputWritesNothing(t *testing.T) {
	e := newEnv(t)
	d := e.report("wages")
	all := append(tables, "disputes", "idempotency_keys")
	before := testutil.Counts(t, e.node.DB().DB, all...)
	with := func(k string, v any) map[string]any {
		b := disputeBody("wages")
		b[k] = v
		return b
	}
	for _, tc := range []struct {
		name, path string
		body       any
		id, field  string
	}{
		{"A dispute of an unknown kind.", "/compliance/disputes", with("kind", "love"), "dispute.kind_invalid", "kind"},
		{"A dispute without parties.", "/compliance/disputes", with("parties", []any{}), "dispute.parties_invalid", "parties"},
		{"A party of an unknown role.", "/compliance/disputes", with("parties", []map[string]string{{"role": "judge", "name": "x"}}), "dispute.parties_invalid", "parties"},
		{"A negative amount.", "/compliance/disputes", with("amount", -1), "dispute.amount_invalid", "amount"},
		{"A dispute without a description.", "/compliance/disputes", with("description", " "), "dispute.description_required", "description"},
		{"A dispute without a company.", "/compliance/disputes", with("company_id", ""), "compliance.company_id_required", "company_id"},
		{"A step without a note.", "/compliance/disputes/" + d.ID + "/steps", map[string]string{"kind": "note", "note": ""}, "dispute.step_invalid", "note"},
		{"A move to reported.", "/compliance/disputes/" + d.ID + "/status", map[string]string{"status": "reported"}, "dispute.status_invalid", "status"},
		{"Escalating without an outcome.", "/compliance/disputes/" + d.ID + "/status", map[string]string{"status": "escalated", "escalated_to": "court"}, "dispute.outcome_required", "outcome"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do("POST", tc.path, tc.body)
			if r.Status != 400 || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want 400 %s (field %q)", r.Status, r.Body, tc.id, tc.field)
			}
		})
	}
	if r := e.Do("GET", "/compliance/disputes?status=closed", nil); r.Status != 400 || r.ErrorID() != "dispute.status_filter_invalid" {
		t.Fatalf("bad filter: %d %s", r.Status, r.Body)
	}
	if after := testutil.Counts(t, e.node.DB().DB, all...); !maps.Equal(before, after) {
		t.Fatalf("rows changed: %v → %v", before, after)
	}
}

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

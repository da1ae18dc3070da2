package service_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/policy"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// companySince is an active company whose snapshot became active on day
// (Asia/Shanghai).
func companySince(district, id, day string) *eventsv1.Envelope {
	t, err := time.ParseInLocation(time.DateOnly, day, service.Shanghai)
	if err != nil {
		panic(err)
	}
	return envelope(district, "membership", "CompanyRegistered", id, &eventsv1.CompanyRegistered{Company: &eventsv1.Company{
		Id: id, District: district, Name: "公司" + id, Status: "active", Version: 1, UpdatedAt: timestamppb.New(t.Add(10 * time.Hour))}})
}

func visit(district, id, company, day string) *eventsv1.Envelope {
	return envelope(district, "meetings", eventsv1.TypeFieldVisitRecorded, id, &eventsv1.FieldVisitRecorded{Visit: &eventsv1.FieldVisit{
		Id: id, District: district, CompanyId: company, VisitedOn: day, Visitors: 2, Version: 1}})
}

func wageDecl(district, company, month, status string, paid, onTime bool, guarantee string) *eventsv1.Envelope {
	return envelope(district, "compliance", eventsv1.TypeWageDeclared, company+month, &eventsv1.WageDeclared{Declaration: &eventsv1.WageDeclaration{
		District: district, CompanyId: company, Month: month, Status: status, PaidInFull: paid, OnTime: onTime, Guarantee: guarantee, Version: 1}})
}

func complaintEv(district, id, status, outcome string, answered, answerOverdue bool) *eventsv1.Envelope {
	c := &eventsv1.ComplaintCase{Id: id, District: district, ComplainantId: "c1", AccusedId: "c2", Kind: "below_cost_bidding",
		Status: status, Outcome: outcome, AnswerOverdue: answerOverdue, Version: 1}
	if answered {
		c.AnsweredAt = at(-time.Hour)
	}
	return envelope(district, "compliance", eventsv1.TypeComplaintFiled, id, &eventsv1.ComplaintFiled{Complaint: c})
}

func near(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

// TestSeedFigures: the district view's and the summary's field visits,
// services plan, wages and complaints, and a district that reported a
// block with nothing in it (0, rates null where nothing was expected) apart
// from one that never reported it (reported false). The clock is
// 2025-10-01 01:00 in Shanghai: the plan's period is 2025-10, the wages'
// month 2025-09.
func TestSeedFigures(t *testing.T) {
	t.Parallel()
	st, apply := cityModel(t)
	apply(
		companySince("jingkai", "c1", "2025-01-05"), companySince("jingkai", "c2", "2025-09-15"),
		companySince("jingkai", "c3", "2025-10-01"), companySince("jingkai", "c4", "2025-02-01"),
		// c1 visited today (in the period), c2 before it became active.
		visit("jingkai", "fv1", "c1", "2025-10-01"), visit("jingkai", "fv0", "c2", "2025-03-01"),
		envelope("jingkai", "meetings", eventsv1.TypeServiceBeneficiaryAdded, "si1", &eventsv1.ServiceBeneficiaryAdded{
			Item: &eventsv1.ServicePlanItem{Id: "si1", District: "jingkai", Term: "2025-2028", Kind: "legal", TargetCount: 2, Achieved: 1,
				Milestones: []*eventsv1.ServiceMilestone{{Title: "一", DueOn: "2025-09-01", DoneOn: "2025-09-01"}, {Title: "二", DueOn: "2025-12-01"}}, Version: 2},
			Beneficiary: &eventsv1.ServiceBeneficiary{ItemId: "si1", District: "jingkai", CompanyId: "c2", Version: 1}}),
		envelope("jingkai", "meetings", eventsv1.TypeServiceFeedbackGiven, "si1c1", &eventsv1.ServiceFeedbackGiven{
			Beneficiary: &eventsv1.ServiceBeneficiary{ItemId: "si1", District: "jingkai", CompanyId: "c1", Rating: 4, Version: 2}}),
		wageDecl("jingkai", "c1", "2025-09", "confirmed", true, true, "deposit"),
		wageDecl("jingkai", "c2", "2025-09", "declared", false, false, "none"),
		wageDecl("jingkai", "c4", "2025-09", "missed", false, false, ""),
		wageDecl("jingkai", "c1", "2025-08", "declared", false, true, "none"), // another month
		complaintEv("jingkai", "cp1", "filed", "", false, true),
		complaintEv("jingkai", "cp2", "resolved", "upheld", true, false),
		complaintEv("jingkai", "cp3", "answered", "", true, true), // answered late: no longer overdue
		// caidian reported a wage declaration of another month only.
		wageDecl("caidian", "k1", "2025-07", "declared", true, true, "insurance"),
	)
	plan := policy.VisitPlan{EveryMonths: 3, Per: policy.Month}
	svc := service.New(st, monitor{ids: []string{"caidian", "hanyang", "jingkai"}}, service.Config{Now: func() time.Time { return now },
		VisitPlan: func() policy.VisitPlan { return plan }})
	ctx := context.Background()
	jk, err := svc.District(ctx, "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	f := jk.FieldVisits
	if !f.Reported || f.EveryMonths != 3 || f.Per != policy.Month || f.Period != "2025-10" || f.Companies != 4 || f.Planned != 2 ||
		f.Held != 1 || f.Visited != 1 || !near(f.Progress, 0.5) || f.OnTrack || f.Total != 2 || f.Unvisited != 1 {
		t.Errorf("jingkai field visits %+v", f)
	}
	p := jk.ServicePlan
	if !p.Reported || p.Items != 1 || p.ItemsDone != 0 || p.Milestones != 2 || p.MilestonesDone != 1 || !near(p.Progress, 0.5) ||
		p.Beneficiaries != 2 || p.CompaniesServed != 2 || p.Feedbacks != 1 || !near(p.AverageRating, 4) {
		t.Errorf("jingkai services plan %+v", p)
	}
	w := jk.Wages
	if !w.Reported || w.Month != "2025-09" || w.Expected != 3 || w.Declared != 2 || w.OnTime != 1 || w.InArrears != 1 || w.Guarantee != 1 ||
		w.Confirmed != 1 || w.Missed != 1 || !near(w.OnTimeRate, 1.0/3) || !near(w.ArrearsRate, 0.5) || !near(w.GuaranteeRate, 0.5) {
		t.Errorf("jingkai wages %+v", w)
	}
	c := jk.Complaints
	if !c.Reported || c.Filed != 3 || c.Open != 2 || c.Overdue != 1 || c.Resolved != 1 || c.Withdrawn != 0 ||
		c.ByKind["below_cost_bidding"] != 3 || c.ByOutcome["upheld"] != 1 || len(c.ByKind) != 4 || len(c.ByOutcome) != 3 {
		t.Errorf("jingkai complaints %+v", c)
	}

	// caidian reported wages, none of this month, and has no company HQ
	// holds: 0 declared, no rate; its other blocks were never reported.
	cd, err := svc.District(ctx, "caidian")
	if err != nil {
		t.Fatal(err)
	}
	if w := cd.Wages; !w.Reported || w.Declared != 0 || w.Expected != 0 || w.OnTimeRate != nil || w.ArrearsRate != nil || w.GuaranteeRate != nil {
		t.Errorf("caidian wages %+v", w)
	}
	if cd.FieldVisits.Reported || cd.ServicePlan.Reported || cd.Complaints.Reported {
		t.Errorf("caidian reported what it never sent: %+v", cd.SeedStats)
	}
	// hanyang sent nothing: every block not reported, its maps complete.
	hy, err := svc.District(ctx, "hanyang")
	if err != nil {
		t.Fatal(err)
	}
	if s := hy.SeedStats; s.FieldVisits.Reported || s.ServicePlan.Reported || s.Wages.Reported || s.Complaints.Reported ||
		s.FieldVisits.Progress != nil || s.ServicePlan.AverageRating != nil || s.Wages.OnTimeRate != nil ||
		len(s.Complaints.ByKind) != 4 || s.Wages.Month != "2025-09" || s.FieldVisits.Period != "2025-10" {
		t.Errorf("hanyang %+v", s)
	}
	// The list of districts shows each district's own figures.
	views, err := svc.Districts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.District == "jingkai" && (v.FieldVisits.Held != 1 || v.Wages.Declared != 2 || v.Complaints.Filed != 3) {
			t.Errorf("jingkai in the list %+v", v.SeedStats)
		}
		if v.District == "hanyang" && (v.Wages.Reported || v.Complaints.Reported) {
			t.Errorf("hanyang in the list %+v", v.SeedStats)
		}
	}

	sum, err := svc.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := sum.SeedStats; !s.FieldVisits.Reported || s.FieldVisits.Planned != 2 || s.FieldVisits.Held != 1 || s.FieldVisits.Unvisited != 1 ||
		!s.Wages.Reported || s.Wages.Expected != 3 || s.Wages.Declared != 2 || !near(s.Wages.OnTimeRate, 1.0/3) ||
		s.Complaints.Filed != 3 || s.Complaints.ByKind["below_cost_bidding"] != 3 || !near(s.ServicePlan.AverageRating, 4) {
		t.Errorf("summary %+v", s)
	}
}

// TestUnvisited: the drill-down lists the active companies whose visit is
// due, as the meetings service does; a district HQ knows nothing of is not
// found, a malformed id invalid.
func TestUnvisited(t *testing.T) {
	t.Parallel()
	st, apply := cityModel(t)
	apply(
		companySince("jingkai", "c1", "2025-01-05"), companySince("jingkai", "c4", "2025-02-01"),
		companySince("jingkai", "c5", "2025-09-01"), companySince("jingkai", "c6", "2024-12-01"),
		visit("jingkai", "fv1", "c1", "2025-03-20"), // due 2025-09-20: overdue
		visit("jingkai", "fv2", "c6", "2025-07-01"), // due 2026-01-01: not yet
		companySince("jingkai", "c7", "2024-12-01"),
		visit("jingkai", "fv3", "c7", "2025-04-01"), // due today: listed
	)
	svc := service.New(st, monitor{ids: []string{"jingkai", "hanyang"}}, service.Config{Now: func() time.Time { return now }})
	v, err := svc.Unvisited(context.Background(), "jingkai")
	if err != nil {
		t.Fatal(err)
	}
	// The default plan: every 6 months. c4 never visited, due 2025-08-01;
	// c1 due 2025-09-20; c7 due today; c5 active a month only.
	want := []service.UnvisitedCompany{
		{CompanyID: "c4", CompanyName: "公司c4", ActiveSince: "2025-02-01", DueOn: "2025-08-01"},
		{CompanyID: "c1", CompanyName: "公司c1", ActiveSince: "2025-01-05", LastVisitedOn: "2025-03-20", DueOn: "2025-09-20"},
		{CompanyID: "c7", CompanyName: "公司c7", ActiveSince: "2024-12-01", LastVisitedOn: "2025-04-01", DueOn: "2025-10-01"},
	}
	if !v.Reported || v.EveryMonths != 6 || v.Today != "2025-10-01" || len(v.Companies) != len(want) {
		t.Fatalf("unvisited %+v", v)
	}
	for i := range want {
		if v.Companies[i] != want[i] {
			t.Errorf("unvisited[%d] = %+v, want %+v", i, v.Companies[i], want[i])
		}
	}
	if d, err := svc.District(context.Background(), "jingkai"); err != nil || d.FieldVisits.Unvisited != 3 {
		t.Errorf("the district view's unvisited = %+v, %v", d.FieldVisits, err)
	}
	if h, err := svc.Unvisited(context.Background(), "hanyang"); err != nil || h.Reported || len(h.Companies) != 0 || h.Companies == nil {
		t.Errorf("hanyang unvisited = %+v, %v", h, err)
	}
	if _, err := svc.Unvisited(context.Background(), "nowhere"); !errors.Is(err, service.ErrDistrictNotFound) {
		t.Errorf("an unknown district = %v", err)
	}
	if _, err := svc.Unvisited(context.Background(), "Bad!"); !errors.Is(err, service.ErrDistrictInvalid) {
		t.Errorf("a malformed district = %v", err)
	}
}

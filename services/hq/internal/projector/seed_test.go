package projector_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// The seed figures are read for the visits held in 2025-Q3 and the wage
// declarations of 2025-08.
const (
	seedFrom, seedTo, seedMonth = "2025-07-01", "2025-10-01", "2025-08"
)

func seedOf(t *testing.T, st *store.Store, district string) service.SeedData {
	t.Helper()
	data, err := st.Seed(context.Background(), "", seedFrom, seedTo, seedMonth)
	if err != nil {
		t.Fatal(err)
	}
	return data[district]
}

// seedCase is one issue-17 type, as cityCase but read with Seed.
type seedCase struct {
	svc, typ string
	build    func(d string, v int64) *eventsv1.Envelope
	holds    func(sd service.SeedData, v int64) bool
}

// visitOf is held in the period at odd versions, before it at even ones.
func visitOf(d string, v int64) *eventsv1.FieldVisit {
	return &eventsv1.FieldVisit{Id: "fv1", District: d, CompanyId: "c1", VisitedOn: odd(v, "2025-09-10", "2025-06-10"), Visitors: 2, Version: v}
}

// planItemOf has v+1 milestones, v of them done, and reaches its target of
// 2 at version 2.
func planItemOf(d string, v int64) *eventsv1.ServicePlanItem {
	it := &eventsv1.ServicePlanItem{Id: "si1", District: d, Term: "2025-2028", Kind: "training", Title: "联合培训", TargetUnit: "sessions",
		TargetCount: 2, Achieved: int32(v), Version: v}
	for i := int64(0); i <= v; i++ {
		m := &eventsv1.ServiceMilestone{Title: "第一期", DueOn: "2025-09-01"}
		if i < v {
			m.DoneOn = "2025-08-20"
		}
		it.Milestones = append(it.Milestones, m)
	}
	return it
}

func planItemHolds(sd service.SeedData, v int64) bool {
	p := sd.ServicePlan
	done := int64(0)
	if v >= 2 { // achieved v of a target of 2
		done = 1
	}
	return p.Reported && p.Items == 1 && p.Milestones == v+1 && p.MilestonesDone == v && p.ItemsDone == done
}

// beneficiaryOf rated v.
func beneficiaryOf(d string, v int64) *eventsv1.ServiceBeneficiary {
	return &eventsv1.ServiceBeneficiary{ItemId: "si1", District: d, CompanyId: "c1", ServedOn: "2025-08-20", Rating: int32(v), Version: v}
}

func beneficiaryHolds(sd service.SeedData, v int64) bool {
	p := sd.ServicePlan
	return p.Reported && p.Beneficiaries == 1 && p.CompaniesServed == 1 && p.Feedbacks == 1 && p.RatingSum == v
}

// wageOf is declared in arrears at odd versions, confirmed paid in full at
// even ones.
func wageOf(d string, v int64) *eventsv1.WageDeclaration {
	return &eventsv1.WageDeclaration{District: d, CompanyId: "c1", Month: seedMonth, Status: odd(v, "declared", "confirmed"),
		PaidInFull: v%2 == 0, Guarantee: "deposit", OnTime: true, Version: v}
}

func wageHolds(sd service.SeedData, v int64) bool {
	w := sd.Wages
	return w.Reported && w.Declared == 1 && w.OnTime == 1 && w.Guarantee == 1 && w.InArrears == odd[int64](v, 1, 0) &&
		w.Confirmed == odd[int64](v, 0, 1) && w.Missed == 0
}

// complaintOf is filed and overdue at odd versions, resolved upheld at
// even ones.
func complaintOf(d string, v int64) *eventsv1.ComplaintCase {
	return &eventsv1.ComplaintCase{Id: "cp1", District: d, ComplainantId: "c1", AccusedId: "c2", Kind: "poaching",
		Status: odd(v, "filed", "resolved"), Outcome: odd(v, "", "upheld"), AnswerOverdue: v%2 == 1, Version: v}
}

func complaintHolds(sd service.SeedData, v int64) bool {
	c := sd.Complaints
	return c.Reported && c.Filed == 1 && c.ByKind["poaching"] == 1 && c.Open == odd[int64](v, 1, 0) &&
		c.Overdue == odd[int64](v, 1, 0) && c.Resolved == odd[int64](v, 0, 1) && c.ByOutcome["upheld"] == odd[int64](v, 0, 1)
}

func seedCases() []seedCase {
	mt, co := projector.ServiceMeetings, projector.ServiceCompliance
	return []seedCase{
		{mt, eventsv1.TypeFieldVisitRecorded, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, mt, eventsv1.TypeFieldVisitRecorded, "fv1", v, &eventsv1.FieldVisitRecorded{Visit: visitOf(d, v)})
		}, func(sd service.SeedData, v int64) bool {
			f := sd.FieldVisits
			return f.Reported && f.Total == 1 && f.Held == odd[int64](v, 1, 0) && f.Visited == odd[int64](v, 1, 0)
		}},
		{mt, eventsv1.TypeServicePlanItemCreated, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, mt, eventsv1.TypeServicePlanItemCreated, "si1", v, &eventsv1.ServicePlanItemCreated{Item: planItemOf(d, v)})
		}, planItemHolds},
		{mt, eventsv1.TypeServicePlanMilestoneDone, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, mt, eventsv1.TypeServicePlanMilestoneDone, "si1", v, &eventsv1.ServicePlanMilestoneDone{Item: planItemOf(d, v), Milestone: int32(v - 1)})
		}, planItemHolds},
		{mt, eventsv1.TypeServiceBeneficiaryAdded, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, mt, eventsv1.TypeServiceBeneficiaryAdded, "si1", v, &eventsv1.ServiceBeneficiaryAdded{Item: planItemOf(d, v),
				Beneficiary: beneficiaryOf(d, v)})
		}, func(sd service.SeedData, v int64) bool { return planItemHolds(sd, v) && beneficiaryHolds(sd, v) }},
		{mt, eventsv1.TypeServiceFeedbackGiven, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, mt, eventsv1.TypeServiceFeedbackGiven, "si1", v, &eventsv1.ServiceFeedbackGiven{Beneficiary: beneficiaryOf(d, v)})
		}, beneficiaryHolds},
		{co, eventsv1.TypeWageDeclared, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, co, eventsv1.TypeWageDeclared, "w1", v, &eventsv1.WageDeclared{Declaration: wageOf(d, v)})
		}, wageHolds},
		{co, eventsv1.TypeWageDeclarationReviewed, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, co, eventsv1.TypeWageDeclarationReviewed, "w1", v, &eventsv1.WageDeclarationReviewed{Declaration: wageOf(d, v), By: "u1"})
		}, wageHolds},
		{co, eventsv1.TypeWageDeclarationMissed, func(d string, v int64) *eventsv1.Envelope {
			w := wageOf(d, v)
			w.Status = odd(v, "missed", "declared")
			return cenv(d, co, eventsv1.TypeWageDeclarationMissed, "w1", v, &eventsv1.WageDeclarationMissed{Declaration: w})
		}, func(sd service.SeedData, v int64) bool {
			w := sd.Wages
			return w.Reported && w.Missed == odd[int64](v, 1, 0) && w.Declared == odd[int64](v, 0, 1)
		}},
		{co, eventsv1.TypeComplaintFiled, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, co, eventsv1.TypeComplaintFiled, "cp1", v, &eventsv1.ComplaintFiled{Complaint: complaintOf(d, v)})
		}, complaintHolds},
		{co, eventsv1.TypeComplaintAnswered, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, co, eventsv1.TypeComplaintAnswered, "cp1", v, &eventsv1.ComplaintAnswered{Complaint: complaintOf(d, v)})
		}, complaintHolds},
		{co, eventsv1.TypeComplaintStatusChanged, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, co, eventsv1.TypeComplaintStatusChanged, "cp1", v, &eventsv1.ComplaintStatusChanged{Complaint: complaintOf(d, v)})
		}, complaintHolds},
		{co, eventsv1.TypeComplaintAnswerOverdue, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, co, eventsv1.TypeComplaintAnswerOverdue, "cp1", v, &eventsv1.ComplaintAnswerOverdue{Complaint: complaintOf(d, v)})
		}, complaintHolds},
		{co, eventsv1.TypeComplaintMediationOverdue, func(d string, v int64) *eventsv1.Envelope {
			return cenv(d, co, eventsv1.TypeComplaintMediationOverdue, "cp1", v, &eventsv1.ComplaintMediationOverdue{Complaint: complaintOf(d, v)})
		}, complaintHolds},
	}
}

// TestSeedEvents applies every issue-17 type: the figure shows it, an older
// version is ignored, the same event again changes nothing, and a snapshot
// of another district than the envelope's is rejected and changes nothing.
// Before anything is applied the district is not reported.
func TestSeedEvents(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range seedCases() {
		covered[tc.svc+"/"+tc.typ] = true
		t.Run(tc.svc+"/"+tc.typ, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			if sd := seedOf(t, st, "jingkai"); sd.FieldVisits.Reported || sd.ServicePlan.Reported || sd.Wages.Reported || sd.Complaints.Reported {
				t.Fatalf("before any event: %+v", sd)
			}
			if applied, err := applyOne(t, db, p, tc.build("jingkai", 2)); err != nil || !applied {
				t.Fatalf("apply version 2 = %v, %v; want applied", applied, err)
			}
			if sd := seedOf(t, st, "jingkai"); !tc.holds(sd, 2) {
				t.Fatalf("after version 2 the read model holds %+v", sd)
			}
			if applied, err := applyOne(t, db, p, tc.build("jingkai", 1)); err != nil || applied {
				t.Errorf("an older version = %v, %v; want ignored", applied, err)
			}
			if sd := seedOf(t, st, "jingkai"); !tc.holds(sd, 2) {
				t.Errorf("an older version rolled the read model back: %+v", sd)
			}
			if applied, err := applyOne(t, db, p, tc.build("jingkai", 2)); err != nil || applied {
				t.Errorf("the same event again = %v, %v; want no change", applied, err)
			}
			if applied, err := applyOne(t, db, p, tc.build("jingkai", 3)); err != nil || !applied {
				t.Errorf("a newer version = %v, %v; want applied", applied, err)
			}
			if sd := seedOf(t, st, "jingkai"); !tc.holds(sd, 3) {
				t.Errorf("after version 3 the read model holds %+v", sd)
			}
			foreign := tc.build("caidian", 4)
			foreign.District = "jingkai"
			foreign.EventId += "-foreign"
			_, err := applyOne(t, db, p, foreign)
			if reason, ok := eventbus.IsRejected(err); !ok || reason != eventbus.ReasonDistrictMismatch {
				t.Errorf("a caidian snapshot in a jingkai event: err = %v, want district_mismatch", err)
			}
			if sd := seedOf(t, st, "jingkai"); !tc.holds(sd, 3) {
				t.Errorf("a rejected event changed the read model: %+v", sd)
			}
			if sd := seedOf(t, st, "caidian"); sd.FieldVisits.Reported || sd.ServicePlan.Reported || sd.Wages.Reported || sd.Complaints.Reported {
				t.Errorf("caidian is reported without an event of its own: %+v", sd)
			}
		})
	}
	for _, svc := range []string{projector.ServiceMeetings, projector.ServiceCompliance} {
		for _, typ := range []string{eventsv1.TypeFieldVisitRecorded, eventsv1.TypeServicePlanItemCreated, eventsv1.TypeServicePlanMilestoneDone,
			eventsv1.TypeServiceBeneficiaryAdded, eventsv1.TypeServiceFeedbackGiven, eventsv1.TypeWageDeclared,
			eventsv1.TypeWageDeclarationReviewed, eventsv1.TypeWageDeclarationMissed, eventsv1.TypeComplaintFiled,
			eventsv1.TypeComplaintAnswered, eventsv1.TypeComplaintStatusChanged, eventsv1.TypeComplaintAnswerOverdue,
			eventsv1.TypeComplaintMediationOverdue} {
			if slices.Contains(eventsv1.TypesOf(svc), typ) && !covered[svc+"/"+typ] {
				t.Errorf("issue-17 type %s/%s has no case in TestSeedEvents", svc, typ)
			}
		}
	}
}

// TestSeedEventsOutOfOrder: the beneficiary's feedback (version 2) arriving
// before the event that added it (version 1) keeps the feedback.
func TestSeedEventsOutOfOrder(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	mt := projector.ServiceMeetings
	fb := cenv("jingkai", mt, eventsv1.TypeServiceFeedbackGiven, "si1", 5, &eventsv1.ServiceFeedbackGiven{Beneficiary: beneficiaryOf("jingkai", 2)})
	added := cenv("jingkai", mt, eventsv1.TypeServiceBeneficiaryAdded, "si1", 4, &eventsv1.ServiceBeneficiaryAdded{Item: planItemOf("jingkai", 1),
		Beneficiary: beneficiaryOf("jingkai", 1)})
	for _, e := range []*eventsv1.Envelope{fb, added} {
		if applied, err := applyOne(t, db, p, e); err != nil || !applied {
			t.Fatalf("%s = %v, %v", e.GetType(), applied, err)
		}
	}
	if sd := seedOf(t, st, "jingkai"); !beneficiaryHolds(sd, 2) || !planItemHolds(sd, 1) {
		t.Fatalf("after the feedback then the older addition: %+v", sd.ServicePlan)
	}
}

// TestSeedBadPayloads: an issue-17 event without what HQ keys on is parked
// as bad_payload and changes nothing.
func TestSeedBadPayloads(t *testing.T) {
	t.Parallel()
	mt, co := projector.ServiceMeetings, projector.ServiceCompliance
	otherItem := beneficiaryOf("jingkai", 1)
	otherItem.ItemId = "si2"
	noStatus := complaintOf("jingkai", 1)
	noStatus.Status = ""
	badMonth := wageOf("jingkai", 1)
	badMonth.Month = "2025-13"
	badDay := visitOf("jingkai", 1)
	badDay.VisitedOn = "2025-09"
	for name, e := range map[string]*eventsv1.Envelope{
		"visit without a snapshot": cenv("jingkai", mt, eventsv1.TypeFieldVisitRecorded, "fv1", 1, &eventsv1.FieldVisitRecorded{}),
		"visit without a day":      cenv("jingkai", mt, eventsv1.TypeFieldVisitRecorded, "fv1", 1, &eventsv1.FieldVisitRecorded{Visit: badDay}),
		"item without an id": cenv("jingkai", mt, eventsv1.TypeServicePlanItemCreated, "si1", 1,
			&eventsv1.ServicePlanItemCreated{Item: &eventsv1.ServicePlanItem{District: "jingkai"}}),
		"beneficiary of another item": cenv("jingkai", mt, eventsv1.TypeServiceBeneficiaryAdded, "si1", 1,
			&eventsv1.ServiceBeneficiaryAdded{Item: planItemOf("jingkai", 1), Beneficiary: otherItem}),
		"feedback without a company": cenv("jingkai", mt, eventsv1.TypeServiceFeedbackGiven, "si1", 1,
			&eventsv1.ServiceFeedbackGiven{Beneficiary: &eventsv1.ServiceBeneficiary{ItemId: "si1"}}),
		"wage of no month":           cenv("jingkai", co, eventsv1.TypeWageDeclared, "w1", 1, &eventsv1.WageDeclared{Declaration: badMonth}),
		"wage without a declaration": cenv("jingkai", co, eventsv1.TypeWageDeclarationMissed, "w1", 1, &eventsv1.WageDeclarationMissed{}),
		"complaint without a status": cenv("jingkai", co, eventsv1.TypeComplaintFiled, "cp1", 1, &eventsv1.ComplaintFiled{Complaint: noStatus}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			_, err := applyOne(t, db, p, e)
			if reason, ok := eventbus.IsRejected(err); !ok || reason != eventbus.ReasonBadPayload {
				t.Fatalf("err = %v, want bad_payload", err)
			}
			if sd := seedOf(t, st, "jingkai"); sd.FieldVisits.Reported || sd.ServicePlan.Reported || sd.Wages.Reported || sd.Complaints.Reported {
				t.Errorf("a rejected event changed the read model: %+v", sd)
			}
		})
	}
}

// TestActiveSinceFollowsTheCompany: the day a company became active is the
// snapshot's update time when it became active, kept while it stays active,
// dropped when it stops being active and taken anew when it is active again.
func TestActiveSinceFollowsTheCompany(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	company := func(v int64, status, updated string) *eventsv1.Envelope {
		at, err := time.ParseInLocation(time.DateOnly, updated, service.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		c := &eventsv1.Company{Id: "c1", District: "jingkai", Name: "甲保安", Status: status, Version: v, UpdatedAt: timestamppb.New(at.Add(9 * time.Hour))}
		typ := eventsv1.TypeCompanyUpdated
		if v == 1 {
			typ = eventsv1.TypeCompanyRegistered
			return env("jingkai", typ, "c1", v, at, &eventsv1.CompanyRegistered{Company: c})
		}
		return env("jingkai", typ, "c1", v, at, &eventsv1.CompanyUpdated{Company: c})
	}
	since := func() []service.SeedCompany { return seedOf(t, st, "jingkai").Companies }
	steps := []struct {
		e    *eventsv1.Envelope
		want []service.SeedCompany
	}{
		{company(1, "active", "2025-01-10"), []service.SeedCompany{{ID: "c1", Name: "甲保安", ActiveSince: "2025-01-10"}}},
		{company(2, "active", "2025-03-01"), []service.SeedCompany{{ID: "c1", Name: "甲保安", ActiveSince: "2025-01-10"}}},
		{company(3, "suspended", "2025-04-01"), nil},
		{company(4, "active", "2025-05-02"), []service.SeedCompany{{ID: "c1", Name: "甲保安", ActiveSince: "2025-05-02"}}},
	}
	for i, s := range steps {
		if _, err := applyOne(t, db, p, s.e); err != nil {
			t.Fatal(err)
		}
		if got := since(); !slices.Equal(got, s.want) {
			t.Errorf("step %d: companies %+v, want %+v", i, got, s.want)
		}
	}
	// A visit is the company's last one.
	if _, err := applyOne(t, db, p, cenv("jingkai", projector.ServiceMeetings, eventsv1.TypeFieldVisitRecorded, "fv1", 1,
		&eventsv1.FieldVisitRecorded{Visit: visitOf("jingkai", 1)})); err != nil {
		t.Fatal(err)
	}
	if got := since(); len(got) != 1 || got[0].LastVisitedOn != "2025-09-10" {
		t.Errorf("after a visit: %+v", got)
	}
}

// TestSeedBeneficiaryOfAnotherDistrict: a beneficiary of another district
// than its item's (and the envelope's) is rejected as district_mismatch.
func TestSeedBeneficiaryOfAnotherDistrict(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	e := cenv("jingkai", projector.ServiceMeetings, eventsv1.TypeServiceBeneficiaryAdded, "si1", 1, &eventsv1.ServiceBeneficiaryAdded{
		Item: planItemOf("jingkai", 1), Beneficiary: beneficiaryOf("caidian", 1)})
	_, err := applyOne(t, db, p, e)
	if reason, ok := eventbus.IsRejected(err); !ok || reason != eventbus.ReasonDistrictMismatch {
		t.Fatalf("err = %v, want district_mismatch", err)
	}
	if sd := seedOf(t, st, "jingkai"); sd.ServicePlan.Reported {
		t.Errorf("a rejected event changed the read model: %+v", sd.ServicePlan)
	}
}

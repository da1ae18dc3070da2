package projector

// The rest of the seed (issue 17): field visits and the practical-services
// plan from gh.<district>.meetings.v1, wage declarations and
// fair-competition complaints from gh.<district>.compliance.v1. Every event
// carries the snapshot of its aggregate after the change; each is an upsert
// that only moves forward in the snapshot's version (the envelope's
// sequence when the snapshot has none), so a redelivery or an older
// snapshot arriving late is a no-op.

import (
	"context"
	"database/sql"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/store"
)

func init() {
	for typ, fn := range map[string]applyFunc{
		eventsv1.TypeFieldVisitRecorded:       fieldVisit,
		eventsv1.TypeServicePlanItemCreated:   serviceItem(func(m *eventsv1.ServicePlanItemCreated) planEvent { return planEvent{item: m.GetItem()} }),
		eventsv1.TypeServicePlanMilestoneDone: serviceItem(func(m *eventsv1.ServicePlanMilestoneDone) planEvent { return planEvent{item: m.GetItem()} }),
		eventsv1.TypeServiceBeneficiaryAdded: serviceItem(func(m *eventsv1.ServiceBeneficiaryAdded) planEvent {
			return planEvent{item: m.GetItem(), beneficiary: m.GetBeneficiary()}
		}),
		eventsv1.TypeServiceFeedbackGiven: feedback,
	} {
		projected[ServiceMeetings][typ] = fn
	}
	for typ, fn := range map[string]applyFunc{
		eventsv1.TypeWageDeclared:              wage(func(m *eventsv1.WageDeclared) *eventsv1.WageDeclaration { return m.GetDeclaration() }),
		eventsv1.TypeWageDeclarationReviewed:   wage(func(m *eventsv1.WageDeclarationReviewed) *eventsv1.WageDeclaration { return m.GetDeclaration() }),
		eventsv1.TypeWageDeclarationMissed:     wage(func(m *eventsv1.WageDeclarationMissed) *eventsv1.WageDeclaration { return m.GetDeclaration() }),
		eventsv1.TypeComplaintFiled:            complaint(func(m *eventsv1.ComplaintFiled) *eventsv1.ComplaintCase { return m.GetComplaint() }),
		eventsv1.TypeComplaintAnswered:         complaint(func(m *eventsv1.ComplaintAnswered) *eventsv1.ComplaintCase { return m.GetComplaint() }),
		eventsv1.TypeComplaintStatusChanged:    complaint(func(m *eventsv1.ComplaintStatusChanged) *eventsv1.ComplaintCase { return m.GetComplaint() }),
		eventsv1.TypeComplaintAnswerOverdue:    complaint(func(m *eventsv1.ComplaintAnswerOverdue) *eventsv1.ComplaintCase { return m.GetComplaint() }),
		eventsv1.TypeComplaintMediationOverdue: complaint(func(m *eventsv1.ComplaintMediationOverdue) *eventsv1.ComplaintCase { return m.GetComplaint() }),
	} {
		projected[ServiceCompliance][typ] = fn
	}
}

// --- meetings: field visits and the practical-services plan ---

var fieldVisit = applier(func(m *eventsv1.FieldVisitRecorded) *eventsv1.FieldVisit { return m.GetVisit() },
	func(_ *eventsv1.Envelope, v *eventsv1.FieldVisit) string {
		return lacks(v.GetId() == "" || v.GetCompanyId() == "" || !isDate(v.GetVisitedOn()), "a visit of a company on a day YYYY-MM-DD")
	}, (*eventsv1.FieldVisit).GetDistrict,
	func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, v *eventsv1.FieldVisit) (bool, error) {
		return p.store.PutFieldVisit(ctx, tx, store.FieldVisit{ID: v.GetId(), District: env.GetDistrict(), CompanyID: v.GetCompanyId(),
			VisitedOn: v.GetVisitedOn(), Visitors: int64(v.GetVisitors()), FollowUps: int64(v.GetFollowUps()),
			Version: versionOf(env, v.GetVersion())})
	})

// planEvent is what a plan event carries: the item after it, and the
// beneficiary it added, if any.
type planEvent struct {
	item        *eventsv1.ServicePlanItem
	beneficiary *eventsv1.ServiceBeneficiary
}

func serviceItem[M any, PM message[M]](get func(PM) planEvent) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, e planEvent) string {
		if e.item.GetId() == "" {
			return "a plan item snapshot"
		}
		return lacks(e.beneficiary != nil && (e.beneficiary.GetCompanyId() == "" || e.beneficiary.GetItemId() != e.item.GetId()),
			"a beneficiary company of the item")
	}, func(e planEvent) string {
		if d := e.beneficiary.GetDistrict(); d != "" && d != e.item.GetDistrict() {
			return d // a beneficiary of another district than its item's: ownDistrict rejects it
		}
		return e.item.GetDistrict()
	}, putPlanEvent)
}

func putPlanEvent(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, e planEvent) (bool, error) {
	it := e.item
	var done int64
	for _, m := range it.GetMilestones() {
		if m.GetDoneOn() != "" {
			done++
		}
	}
	applied, err := p.store.PutServiceItem(ctx, tx, store.ServiceItem{ID: it.GetId(), District: env.GetDistrict(), Term: it.GetTerm(),
		Kind: it.GetKind(), TargetCount: int64(it.GetTargetCount()), Achieved: int64(it.GetAchieved()),
		Milestones: int64(len(it.GetMilestones())), MilestonesDone: done, Version: versionOf(env, it.GetVersion())})
	if err != nil || e.beneficiary == nil {
		return applied, err
	}
	b, err := putBeneficiary(p, ctx, tx, env, e.beneficiary)
	return applied || b, err
}

func putBeneficiary(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, b *eventsv1.ServiceBeneficiary) (bool, error) {
	return p.store.PutBeneficiary(ctx, tx, store.Beneficiary{ItemID: b.GetItemId(), CompanyID: b.GetCompanyId(), District: env.GetDistrict(),
		Rating: int64(b.GetRating()), Version: versionOf(env, b.GetVersion())})
}

var feedback = applier(func(m *eventsv1.ServiceFeedbackGiven) *eventsv1.ServiceBeneficiary { return m.GetBeneficiary() },
	func(_ *eventsv1.Envelope, b *eventsv1.ServiceBeneficiary) string {
		return lacks(b.GetItemId() == "" || b.GetCompanyId() == "", "a beneficiary of an item")
	}, (*eventsv1.ServiceBeneficiary).GetDistrict, putBeneficiary)

// --- compliance: wages and complaints ---

func wage[M any, PM message[M]](get func(PM) *eventsv1.WageDeclaration) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, w *eventsv1.WageDeclaration) string {
		return lacks(w.GetCompanyId() == "" || !isMonth(w.GetMonth()), "a declaration of a company and month YYYY-MM")
	}, (*eventsv1.WageDeclaration).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, w *eventsv1.WageDeclaration) (bool, error) {
			return p.store.PutWage(ctx, tx, store.Wage{District: env.GetDistrict(), CompanyID: w.GetCompanyId(), Month: w.GetMonth(),
				Status: w.GetStatus(), Guarantee: w.GetGuarantee(), PaidInFull: w.GetPaidInFull(), OnTime: w.GetOnTime(),
				Version: versionOf(env, w.GetVersion())})
		})
}

// complaint applies a complaint snapshot. Its parties are not stored: see
// migration 00008.
func complaint[M any, PM message[M]](get func(PM) *eventsv1.ComplaintCase) applyFunc {
	return applier(get, func(_ *eventsv1.Envelope, c *eventsv1.ComplaintCase) string {
		return lacks(c.GetId() == "" || c.GetStatus() == "", "a complaint snapshot with its status")
	}, (*eventsv1.ComplaintCase).GetDistrict,
		func(p *Projector, ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, c *eventsv1.ComplaintCase) (bool, error) {
			return p.store.PutComplaint(ctx, tx, store.Complaint{ID: c.GetId(), District: env.GetDistrict(), Kind: c.GetKind(),
				Status: c.GetStatus(), Outcome: c.GetOutcome(), Answered: c.GetAnsweredAt() != nil,
				AnswerOverdue: c.GetAnswerOverdue(), MediationOverdue: c.GetMediationOverdue(), Version: versionOf(env, c.GetVersion())})
		})
}

// isMonth reports whether s is a month YYYY-MM.
func isMonth(s string) bool { return len(s) == 7 && isDate(s+"-01") }

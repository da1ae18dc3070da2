package storetest

// The seed figures' contract (seed.go): field visits, the practical-services
// plan, wage declarations and complaints, each block reported only once HQ
// holds a row of it for the district.

import (
	"database/sql"
	"testing"
	"time"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

func seedFigures(t *testing.T, s *store.Store) {
	later := kit.At.Add(72 * time.Hour)
	in(t, s, func(tx *sql.Tx) error {
		for _, c := range []store.Company{company("c1", "north", "active"), company("c2", "north", "suspended"),
			company("c3", "north", "applied"), company("c7", "west", "active")} {
			kit.Must(t, s.PutCompany(ctx, tx, c, seenAt))
		}
		// c1 updated while active keeps the day it became active; c2
		// becoming active takes the day it did.
		c1 := company("c1", "north", "active")
		c1.Version, c1.UpdatedAt = 3, later
		kit.Must(t, s.PutCompany(ctx, tx, c1, seenAt))
		c2 := company("c2", "north", "active")
		c2.Version, c2.UpdatedAt = 3, later
		kit.Must(t, s.PutCompany(ctx, tx, c2, seenAt))

		visit := func(id, c, on string, version int64) store.FieldVisit {
			return store.FieldVisit{ID: id, District: "north", CompanyID: c, VisitedOn: on, Visitors: 2, FollowUps: 1, Version: version}
		}
		wrote(t, "v1", true)(s.PutFieldVisit(ctx, tx, visit("v1", "c1", "2026-04-15", 1)))
		wrote(t, "v2", true)(s.PutFieldVisit(ctx, tx, visit("v2", "c1", "2026-03-01", 1)))
		wrote(t, "v3", true)(s.PutFieldVisit(ctx, tx, visit("v3", "c2", "2026-04-01", 1)))
		wrote(t, "v4", true)(s.PutFieldVisit(ctx, tx, visit("v4", "c2", "2026-04-30", 1)))
		wrote(t, "v5", true)(s.PutFieldVisit(ctx, tx, visit("v5", "c1", "2026-05-01", 1))) // the window's end: outside it
		wrote(t, "v1's older", false)(s.PutFieldVisit(ctx, tx, visit("v1", "c3", "2026-04-15", 0)))

		item := func(id string, target, achieved, milestones, done int64) store.ServiceItem {
			return store.ServiceItem{ID: id, District: "north", Term: "2026", Kind: "training", TargetCount: target, Achieved: achieved,
				Milestones: milestones, MilestonesDone: done, Version: 1}
		}
		wrote(t, "it1", true)(s.PutServiceItem(ctx, tx, item("it1", 3, 3, 4, 2)))
		wrote(t, "it2", true)(s.PutServiceItem(ctx, tx, item("it2", 5, 1, 2, 2)))
		wrote(t, "it2 again", false)(s.PutServiceItem(ctx, tx, item("it2", 5, 5, 2, 2)))
		ben := func(itemID, c string, rating int64) store.Beneficiary {
			return store.Beneficiary{ItemID: itemID, CompanyID: c, District: "north", Rating: rating, Version: 1}
		}
		wrote(t, "it1/c1", true)(s.PutBeneficiary(ctx, tx, ben("it1", "c1", 5)))
		wrote(t, "it1/c2", true)(s.PutBeneficiary(ctx, tx, ben("it1", "c2", 0)))
		wrote(t, "it2/c1", true)(s.PutBeneficiary(ctx, tx, ben("it2", "c1", 3)))

		wage := func(c, month, status, guarantee string, paid, onTime bool) store.Wage {
			return store.Wage{District: "north", CompanyID: c, Month: month, Status: status, Guarantee: guarantee, PaidInFull: paid, OnTime: onTime, Version: 1}
		}
		wrote(t, "c1's wages", true)(s.PutWage(ctx, tx, wage("c1", "2026-04", "declared", "bond", true, true)))
		wrote(t, "c2's wages", true)(s.PutWage(ctx, tx, wage("c2", "2026-04", "disputed", "none", false, false)))
		wrote(t, "c3's wages", true)(s.PutWage(ctx, tx, wage("c3", "2026-04", "missed", "", false, false)))
		wrote(t, "c4's wages", true)(s.PutWage(ctx, tx, wage("c4", "2026-04", "confirmed", "", true, true)))
		wrote(t, "c1's wages of another month", true)(s.PutWage(ctx, tx, wage("c1", "2026-03", "confirmed", "bond", true, true)))
		wrote(t, "c1's older wages", false)(s.PutWage(ctx, tx, store.Wage{District: "north", CompanyID: "c1", Month: "2026-04", Status: "missed"}))
		south := wage("c9", "2026-03", "declared", "bond", true, true)
		south.District = "south"
		wrote(t, "south's wages of another month", true)(s.PutWage(ctx, tx, south))

		complaint := func(id, kind, status, outcome string, answered, answerOverdue, mediationOverdue bool) store.Complaint {
			return store.Complaint{ID: id, District: "north", Kind: kind, Status: status, Outcome: outcome, Answered: answered,
				AnswerOverdue: answerOverdue, MediationOverdue: mediationOverdue, Version: 1}
		}
		for _, c := range []store.Complaint{
			complaint("k1", "below_cost_bidding", "filed", "", false, true, false), // overdue: no answer
			complaint("k2", "poaching", "answered", "", true, true, false),         // answered: not overdue
			complaint("k3", "poaching", "mediating", "", true, false, true),        // mediation overdue
			complaint("k4", "defamation", "resolved", "upheld", false, true, true), // resolved: not overdue
			complaint("k5", "other", "withdrawn", "", false, true, false),
		} {
			wrote(t, c.ID, true)(s.PutComplaint(ctx, tx, c))
		}
		return nil
	})
	t.Run("A district's seed figures count its visits in the window, the plan, the month's declarations and the complaints; its active companies come with the day each became active and its newest visit.", func(t *testing.T) {
		got, err := s.Seed(ctx, "", "2026-04-01", "2026-05-01", "2026-04")
		kit.Must(t, err)
		var north service.SeedData
		north.FieldVisits.Reported, north.FieldVisits.Total, north.FieldVisits.Held, north.FieldVisits.Visited = true, 5, 3, 2
		north.ServicePlan = service.ServicePlanStats{Reported: true, Items: 2, ItemsDone: 1, Milestones: 6, MilestonesDone: 4,
			Beneficiaries: 3, CompaniesServed: 2, Feedbacks: 2, RatingSum: 8}
		north.Wages = service.WageStats{Reported: true, Declared: 3, OnTime: 2, InArrears: 1, Guarantee: 1, Confirmed: 1, Disputed: 1, Missed: 1}
		north.Complaints = service.ComplaintStats{Reported: true, Filed: 5, Open: 3, Overdue: 2, Resolved: 1, Withdrawn: 1,
			ByKind:    map[string]int64{"below_cost_bidding": 1, "poaching": 2, "defamation": 1, "other": 1},
			ByOutcome: map[string]int64{"upheld": 1}}
		north.Companies = []service.SeedCompany{
			{ID: "c1", Name: "公司c1", ActiveSince: service.Today(kit.At), LastVisitedOn: "2026-05-01"},
			{ID: "c2", Name: "公司c2", ActiveSince: service.Today(later), LastVisitedOn: "2026-04-30"},
		}
		kit.Equal(t, "north", got["north"], north)
		// Declarations of another month only: reported, every count 0.
		var south service.SeedData
		south.Wages.Reported = true
		kit.Equal(t, "south", got["south"], south)
		// Nothing reported: only its active company, never visited.
		kit.Equal(t, "west", got["west"], service.SeedData{Companies: []service.SeedCompany{{ID: "c7", Name: "公司c7", ActiveSince: service.Today(kit.At)}}})
		if len(got) != 3 {
			t.Fatalf("districts %v", got)
		}
		one, err := s.Seed(ctx, "west", "2026-04-01", "2026-05-01", "2026-04")
		kit.Must(t, err)
		kit.Equal(t, "west alone", one, map[string]service.SeedData{"west": got["west"]})
	})
}

// Package storetest is the compliance store's contract: what the service
// relies on its store to do, checked through the service's Queries and
// nothing else (no SQL), so that a store over another SQL dialect runs it
// unchanged. The SQLite store's test runs it today.
package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/guildhall/guildhall/pkg/policy"
	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
	"github.com/guildhall/guildhall/services/compliance/internal/store"
)

// District is the district of the stores Run is given.
const District = "north"

var ctx = context.Background()

// Run runs the contract on stores open returns: each over an empty,
// migrated database of its own, with an outbox of District.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	kit.Run(t, open,
		kit.Group[*store.Store]{Name: "Guards and trainings", Run: guards},
		kit.Group[*store.Store]{Name: "Company counts", Run: counts},
		kit.Group[*store.Store]{Name: "Warnings and snapshots", Run: warnings},
		kit.Group[*store.Store]{Name: "Templates", Run: templates},
		kit.Group[*store.Store]{Name: "Disputes", Run: disputes},
		kit.Group[*store.Store]{Name: "Outbox", Run: outbox})
}

func guards(t *testing.T, s *store.Store) {
	g := service.Guard{ID: "g1", CompanyID: "c1", EmploymentStatus: "active", BackgroundCheckStatus: "passed", HasCertificate: true,
		CertificateValidUntil: "2027-01-01", BadgeService: true, Version: 3, PreJobHours: 8, Year: "2026", YearPreJobHours: 8, YearInServiceHours: 1.5}
	kit.Must(t, s.PutGuard(ctx, g))
	got, ok, err := s.Guard(ctx, "g1")
	kit.Must(t, err)
	kit.Equal(t, "stored guard", got, g)
	kit.Equal(t, "found", ok, true)
	if _, ok, _ := s.Guard(ctx, "nope"); ok {
		t.Fatal("an unknown guard was found")
	}
	tr := service.Training{GuardID: "g1", GuardVersion: 4, Type: "in_service", Hours: 2, TrainedOn: "2026-05-01"}
	first, err := s.AddTraining(ctx, tr)
	kit.Must(t, err)
	again, err := s.AddTraining(ctx, tr)
	kit.Must(t, err)
	kit.Equal(t, "a training is recorded once by guard version", []bool{first, again}, []bool{true, false})
	if _, err := s.AddTraining(ctx, service.Training{GuardID: "g1", GuardVersion: 5, Type: "pre_job", Hours: 4, TrainedOn: "2025-12-01"}); err != nil {
		t.Fatal(err)
	}
	// Recounting 2026 from the records: 2 h in service; every pre-job hour
	// (4) on record; none of 2026's pre-job.
	kit.Must(t, s.ResetYearHours(ctx, "2026"))
	got, _, _ = s.Guard(ctx, "g1")
	kit.Equal(t, "recounted hours", [3]float64{got.PreJobHours, got.YearPreJobHours, got.YearInServiceHours}, [3]float64{4, 0, 2})
	var n int
	kit.Must(t, s.EachGuard(ctx, func(service.Guard) error { n++; return nil }))
	kit.Equal(t, "guards scanned", n, 1)
	kit.Must(t, s.PutCompany(ctx, service.Company{ID: "c1", Name: "新", Status: "active", Version: 2}))
	kit.Must(t, s.PutCompany(ctx, service.Company{ID: "c1", Name: "旧", Status: "lapsed", Version: 1}))
	kit.Must(t, s.PutCompanyScore(ctx, service.CompanyScore{CompanyID: "c1", Version: 1}))
	sc, _, err := s.CompanyScore(ctx, "c1")
	kit.Must(t, err)
	kit.Equal(t, "a company's versions only move forward", [2]string{sc.Name, sc.Status}, [2]string{"新", "active"})
}

func counts(t *testing.T, s *store.Store) {
	r, err := s.AddCounts(ctx, "c1", service.Counts{Active: 2, BackgroundChecked: 1})
	kit.Must(t, err)
	kit.Equal(t, "a new row", r, service.CompanyScore{CompanyID: "c1", Counts: service.Counts{Active: 2, BackgroundChecked: 1}, Version: 1})
	r, err = s.AddCounts(ctx, "c1", service.Counts{Active: -1, Trained: 1})
	kit.Must(t, err)
	kit.Equal(t, "the delta added", r.Counts, service.Counts{Active: 1, BackgroundChecked: 1, Trained: 1})
	kit.Must(t, s.PutCompanyScore(ctx, service.CompanyScore{CompanyID: "c0", Counts: service.Counts{Active: 3}, Full: service.MetBadge, Version: 4}))
	all, err := s.CompanyScores(ctx)
	kit.Must(t, err)
	kit.Equal(t, "every company, by id", kit.IDs(all, func(c service.CompanyScore) string { return c.CompanyID }), []string{"c0", "c1"})
	kit.Equal(t, "the mask kept", all[0].Full, service.MetBadge)
	d, n, err := s.DistrictCounts(ctx)
	kit.Must(t, err)
	kit.Equal(t, "the district's sum", [2]int64{d.Active, n}, [2]int64{4, 2})
	st := service.State{Day: "2026-06-10", Policy: policy.DefaultCompliance}
	kit.Must(t, s.PutState(ctx, st))
	got, ok, err := s.State(ctx)
	kit.Must(t, err)
	kit.Equal(t, "the state", got, st)
	kit.Equal(t, "found", ok, true)
}

func warnings(t *testing.T, s *store.Store) {
	a, err := s.MarkWarned(ctx, "g1", "certificate", "2026-07-01", "2026-06-10")
	kit.Must(t, err)
	b, err := s.MarkWarned(ctx, "g1", "certificate", "2026-07-01", "2026-06-11")
	kit.Must(t, err)
	c, err := s.MarkWarned(ctx, "g1", "certificate", "2029-07-01", "2026-06-11")
	kit.Must(t, err)
	kit.Equal(t, "once per key", []bool{a, b, c}, []bool{true, false, true})
	for _, day := range []string{"2025-01-01", "2026-06-09", "2026-06-10"} {
		kit.Must(t, s.PutSnapshot(ctx, service.Snapshot{Day: day, CompanyID: "c1", Counts: service.Counts{Active: 1}}))
	}
	kit.Must(t, s.PutSnapshot(ctx, service.Snapshot{Day: "2026-06-10", CompanyID: "c1", Counts: service.Counts{Active: 5}}))
	kit.Must(t, s.PruneSnapshots(ctx, "2026-01-01"))
	snaps, err := s.Snapshots(ctx, "c1", "2000-01-01")
	kit.Must(t, err)
	kit.Equal(t, "pruned, oldest first, the day's latest", fmt.Sprint(snaps), fmt.Sprint([]service.Snapshot{
		{Day: "2026-06-09", CompanyID: "c1", Counts: service.Counts{Active: 1}}, {Day: "2026-06-10", CompanyID: "c1", Counts: service.Counts{Active: 5}}}))
}

func templates(t *testing.T, s *store.Store) {
	for v := 1; v <= 3; v++ {
		kit.Must(t, s.PutTemplate(ctx, service.Template{ID: "t1", Version: v, Name: fmt.Sprint("v", v), PassMark: 0.8, CreatedAt: kit.At,
			Sections: []service.Section{{Title: "s", Items: []service.Item{{ID: "i", Text: "x", Kind: "yes_no", Weight: 1}}}}}))
	}
	latest, ok, err := s.Template(ctx, "t1", 0)
	kit.Must(t, err)
	kit.Equal(t, "version 0 is the latest", [2]any{latest.Version, ok}, [2]any{3, true})
	two, _, _ := s.Template(ctx, "t1", 2)
	kit.Equal(t, "a version as published", [3]any{two.Name, two.CreatedAt, len(two.Sections[0].Items)}, [3]any{"v2", kit.At, 1})
	if _, ok, _ := s.Template(ctx, "t1", 4); ok {
		t.Fatal("a version never published was found")
	}
}

func disputes(t *testing.T, s *store.Store) {
	for i, st := range []string{"reported", "mediating", "resolved"} {
		kit.Must(t, s.PutDispute(ctx, service.Dispute{ID: fmt.Sprint("d", i), CompanyID: "c1", Kind: "wages", Status: st, Version: 1,
			Parties: []service.Party{{Role: "guard", Name: "张某"}}, Timeline: []service.Step{}}))
	}
	open, err := s.OpenDisputes(ctx)
	kit.Must(t, err)
	kit.Equal(t, "open ones", kit.IDs(open, func(d service.Dispute) string { return d.ID }), []string{"d0", "d1"})
	list, err := s.ListDisputes(ctx, service.DisputeFilter{Status: "resolved"}, "", 10)
	kit.Must(t, err)
	kit.Equal(t, "filtered", kit.IDs(list, func(d service.Dispute) string { return d.ID }), []string{"d2"})
	page, err := s.ListDisputes(ctx, service.DisputeFilter{}, "d0", 1)
	kit.Must(t, err)
	kit.Equal(t, "a page after d0", kit.IDs(page, func(d service.Dispute) string { return d.ID }), []string{"d1"})
}

func outbox(t *testing.T, s *store.Store) {
	company := func(n int) string { return fmt.Sprint("c", n) }
	kit.Outbox(t, kit.Changes[service.Queries, service.Change]{
		Tx: s.Tx, In: s.In, Outbox: s.Outbox(),
		Create: func(ctx context.Context, q service.Queries, n int) (service.Change, error) {
			sc := service.Schedule{CompanyID: company(n), Period: policy.Month, Count: 1, StartsOn: "2026-01-01", CreatedAt: kit.At}
			return service.Change{Type: service.EventInspectionScheduleSet, Schedule: &sc}, q.PutSchedule(ctx, sc)
		},
		Stored: func(ctx context.Context, n int) (bool, error) {
			_, ok, err := s.Schedule(ctx, company(n))
			return ok, err
		},
		Unmappable: func(c service.Change) service.Change { c.Schedule = nil; return c },
	})
}

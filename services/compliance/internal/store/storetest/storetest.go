// Package storetest is the compliance store's contract: what the service
// relies on its store to do, checked through the service's Queries and
// nothing else (no SQL), so that a store over another SQL dialect runs it
// unchanged: the store's tests run it on SQLite and on PostgreSQL.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

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
		kit.Group[*store.Store]{Name: "Guards in batches", Run: guardBatches},
		kit.Group[*store.Store]{Name: "Counts in batches and their announcement", Run: announcements},
		kit.Group[*store.Store]{Name: "Evaluations", Run: evaluations},
		kit.Group[*store.Store]{Name: "Meetings, signatures and the register", Run: meetings},
		kit.Group[*store.Store]{Name: "Inspections and findings", Run: inspections},
		kit.Group[*store.Store]{Name: "Complaints, wages and two-four-one checks", Run: casework},
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

func guardBatches(t *testing.T, s *store.Store) {
	g := func(id, company string, version int64, flag bool) service.Guard {
		return service.Guard{ID: id, CompanyID: company, EmploymentStatus: "active", BackgroundCheckStatus: "passed", HasCertificate: flag,
			CertificateValidUntil: "2027-01-01", BadgeService: !flag, PreJobTrained: flag, Version: version, PreJobHours: 8, Year: "2026",
			YearPreJobHours: 8, YearInServiceHours: 0.5}
	}
	kit.Must(t, s.PutGuards(ctx, []service.Guard{g("g1", "c1", 1, true), g("g2", "c1", 1, false), g("g3", "c2", 1, true)}))
	// g1 stays in c1 (rewritten in place), g2 moves to c2 (upserted),
	// g4 is new: one call.
	moved := []service.Guard{g("g1", "c1", 2, false), g("g2", "c2", 2, true), g("g4", "c2", 1, false)}
	kit.Must(t, s.PutGuards(ctx, moved))
	got, err := s.Guards(ctx, []string{"g1", "g2", "g4", "nope"})
	kit.Must(t, err)
	kit.Equal(t, "the guards as last written, flags and all", got, map[string]service.Guard{"g1": moved[0], "g2": moved[1], "g4": moved[2]})
	page, err := s.ActiveGuards(ctx, "c2", "g2", 1)
	kit.Must(t, err)
	kit.Equal(t, "a company's active guards, a page after g2", kit.IDs(page, func(g service.Guard) string { return g.ID }), []string{"g3"})
	checks := []service.StoredFourOne{
		{FourOneCheck: service.FourOneCheck{ID: "f1", GuardID: "g2", CompanyID: "c2", CheckedOn: "2026-06-02", Period: "2026-06", CheckedBy: "u", CreatedAt: kit.At}, Sealed: "s1"},
		{FourOneCheck: service.FourOneCheck{ID: "f2", GuardID: "g2", CompanyID: "c2", CheckedOn: "2026-06-03", Period: "2026-06", CheckedBy: "u", CreatedAt: kit.At}, Sealed: "s2"},
		{FourOneCheck: service.FourOneCheck{ID: "f3", GuardID: "g1", CompanyID: "c2", CheckedOn: "2026-06-03", Period: "2026-06", CheckedBy: "u", CreatedAt: kit.At}, Sealed: "s3"},
	}
	for _, c := range checks {
		kit.Must(t, s.PutFourOne(ctx, c))
	}
	checked, active, err := s.FourOneCoverage(ctx, "c2", "2026-06")
	kit.Must(t, err)
	// g2 twice counts once; g1 is c1's now; c2 has g2, g3 and g4 active.
	kit.Equal(t, "two-four-one coverage", [2]int64{checked, active}, [2]int64{1, 3})
}

func announcements(t *testing.T, s *store.Store) {
	rows, err := s.AddCountsMany(ctx, map[string]service.Counts{"c1": {Active: 2, Certified: 1}, "c2": {Active: 1}}, []string{"c1", "c2"})
	kit.Must(t, err)
	kit.Equal(t, "new rows, in order", kit.IDs(rows, func(c service.CompanyScore) string { return c.CompanyID }), []string{"c1", "c2"})
	rows, err = s.AddCountsMany(ctx, map[string]service.Counts{"c1": {Active: -1, Trained: 2}}, []string{"c1"})
	kit.Must(t, err)
	kit.Equal(t, "the delta added to the stored row", rows, []service.CompanyScore{{CompanyID: "c1", Counts: service.Counts{Active: 1, Certified: 1, Trained: 2}, Version: 1}})
	dirty := func() []string {
		t.Helper()
		d, err := s.DirtyScores(ctx)
		kit.Must(t, err)
		return kit.IDs(d, func(c service.CompanyScore) string { return c.CompanyID })
	}
	kit.Equal(t, "added counts are to announce", dirty(), []string{"c1", "c2"})
	kit.Must(t, s.Announced(ctx, "c1", 2))
	kit.Equal(t, "an announced company is not", dirty(), []string{"c2"})
	kit.Must(t, s.Announced(ctx, "c2", 2))
	// The same counts at a new version: nothing to announce; other counts:
	// to announce again.
	kit.Must(t, s.PutCompanyScore(ctx, service.CompanyScore{CompanyID: "c1", Counts: service.Counts{Active: 1, Certified: 1, Trained: 2}, Full: service.MetBadge, Version: 3}))
	kit.Equal(t, "a version moved on with the same counts", dirty(), []string{})
	kit.Must(t, s.PutCompanyScore(ctx, service.CompanyScore{CompanyID: "c2", Counts: service.Counts{Active: 4}, Version: 3}))
	kit.Equal(t, "changed counts", dirty(), []string{"c2"})
	one, ok, err := s.CompanyScore(ctx, "c1")
	kit.Must(t, err)
	kit.Equal(t, "the row as put", [3]any{one.Version, one.Full, ok}, [3]any{int64(3), service.MetBadge, true})
	kit.Must(t, s.PutCompanyScore(ctx, service.CompanyScore{CompanyID: "c3", Version: 1}))
	page, err := s.ListCompanyScores(ctx, "c1", 1)
	kit.Must(t, err)
	kit.Equal(t, "a page of one after c1", kit.IDs(page, func(c service.CompanyScore) string { return c.CompanyID }), []string{"c2"})
	all, err := s.ListCompanyScores(ctx, "", -1)
	kit.Must(t, err)
	kit.Equal(t, "a negative limit is none", kit.IDs(all, func(c service.CompanyScore) string { return c.CompanyID }), []string{"c1", "c2", "c3"})
}

func evaluations(t *testing.T, s *store.Store) {
	score := 80.0
	e := service.Evaluation{ID: "c1.2026-Q2", CompanyID: "c1", Period: "2026-Q2", Version: 1, Status: "draft", Score: &score,
		Criteria: []service.CriterionScore{}, Adjustments: []service.Adjustment{}, ComputedAt: kit.At}
	kit.Must(t, s.PutEvaluation(ctx, e))
	e.Grade = "B"
	kit.Must(t, s.PutEvaluation(ctx, e))
	got, ok, err := s.EvaluationVersion(ctx, e.ID, 1)
	kit.Must(t, err)
	kit.Equal(t, "a draft is recomputed in place", [2]any{got.Grade, ok}, [2]any{"B", true})
	if _, ok, _ := s.LatestPublished(ctx, e.ID); ok {
		t.Fatal("a draft was found published")
	}
	e.Status = "published"
	kit.Must(t, s.PutEvaluation(ctx, e))
	changed := e
	changed.Grade = "A"
	if err := s.PutEvaluation(ctx, changed); err == nil {
		t.Fatal("a published version was overwritten")
	}
	got, _, _ = s.EvaluationVersion(ctx, e.ID, 1)
	kit.Equal(t, "the published version unchanged", [2]string{got.Status, got.Grade}, [2]string{"published", "B"})
	v2 := e
	v2.Version, v2.Status, v2.CorrectionReason = 2, "draft", "late evidence"
	kit.Must(t, s.PutEvaluation(ctx, v2))
	other := service.Evaluation{ID: "c2.2026-Q2", CompanyID: "c2", Period: "2026-Q2", Version: 1, Status: "draft",
		Criteria: []service.CriterionScore{}, Adjustments: []service.Adjustment{}, ComputedAt: kit.At}
	kit.Must(t, s.PutEvaluation(ctx, other))
	latest, _, _ := s.EvaluationVersion(ctx, e.ID, 0)
	pub, _, _ := s.LatestPublished(ctx, e.ID)
	kit.Equal(t, "version 0 is the newest; the newest published", [2]int64{latest.Version, pub.Version}, [2]int64{2, 1})
	list, err := s.ListEvaluations(ctx, service.EvaluationFilter{Period: "2026-Q2"}, "", 10)
	kit.Must(t, err)
	kit.Equal(t, "the newest version of each, by id", kit.IDs(list, func(e service.Evaluation) string { return fmt.Sprint(e.ID, "@", e.Version) }),
		[]string{"c1.2026-Q2@2", "c2.2026-Q2@1"})
	first, err := s.MarkObligation(ctx, "c1", "inspection", "2026-06", "missed")
	kit.Must(t, err)
	again, err := s.MarkObligation(ctx, "c1", "inspection", "2026-06", "missed")
	kit.Must(t, err)
	kit.Equal(t, "an obligation is marked once", []bool{first, again}, []bool{true, false})
}

func meetings(t *testing.T, s *store.Store) {
	day := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	kit.Must(t, s.PutMeeting(ctx, service.Meeting{ID: "m1", Type: service.RoundtableType, Status: "closed", StartsAt: day, Version: 3, EventID: "e3"}))
	kit.Must(t, s.PutMeeting(ctx, service.Meeting{ID: "m1", Type: service.RoundtableType, Status: "scheduled", StartsAt: day, Version: 2, EventID: "e2"}))
	kit.Must(t, s.PutMeeting(ctx, service.Meeting{ID: "m2", Type: "training", Status: "closed", StartsAt: day.Add(time.Hour), Version: 1, EventID: "e4"}))
	for _, m := range []string{"m1", "m2"} {
		kit.Must(t, s.PutAttendance(ctx, service.Attendance{MeetingID: m, CompanyID: "c1", Status: "invited", RecordedAt: kit.At, EventID: "a0"}))
		kit.Must(t, s.PutAttendance(ctx, service.Attendance{MeetingID: m, CompanyID: "c1", Status: "present", RecordedAt: kit.At, EventID: "a1"}))
	}
	all, err := s.AttendanceOf(ctx, "c1", day, day.Add(24*time.Hour), false)
	kit.Must(t, err)
	kit.Equal(t, "the latest attendance, the newest meeting", fmt.Sprintf("%d %s %s %d", len(all), all[0].Status, all[0].Meeting.Status, all[0].Meeting.Version), "2 present closed 3")
	round, err := s.AttendanceOf(ctx, "c1", day, day.Add(24*time.Hour), true)
	kit.Must(t, err)
	kit.Equal(t, "roundtables only", kit.IDs(round, func(a service.CompanyAttendance) string { return a.MeetingID }), []string{"m1"})
	old := service.Signature{ID: "s1", CompanyID: "c1", ConventionVersion: "2025", Current: false, SignedAt: kit.At, EventID: "e5"}
	cur := service.Signature{ID: "s2", CompanyID: "c1", ConventionVersion: "2026", Current: true, SignedAt: kit.At.Add(time.Hour), EventID: "e6"}
	for _, sg := range []service.Signature{old, cur, cur} {
		kit.Must(t, s.PutSignature(ctx, sg))
	}
	sigs, err := s.Signatures(ctx, "c1")
	kit.Must(t, err)
	kit.Equal(t, "the signatures once each, the current flag kept", sigs, []service.Signature{old, cur})
	kit.Must(t, s.PutCompany(ctx, service.Company{ID: "c1", Name: "甲", Status: "active", Version: 1, At: day, EventID: "ev1"}))
	kit.Must(t, s.PutCompany(ctx, service.Company{ID: "c1", Name: "甲", Status: "lapsed", Version: 2, At: day.Add(30 * 24 * time.Hour), EventID: "ev2"}))
	kit.Must(t, s.PutCompany(ctx, service.Company{ID: "c2", Name: "乙", Status: "active", Version: 1, At: day, EventID: "ev3"}))
	reg, err := s.Register(ctx)
	kit.Must(t, err)
	kit.Equal(t, "the register's active windows", reg, []service.RegisteredCompany{
		{ID: "c1", Status: "lapsed", ActiveSince: "2026-06-01", LapsedOn: "2026-07-01", WindowEventID: "ev2"},
		{ID: "c2", Status: "active", ActiveSince: "2026-06-01", WindowEventID: "ev3"}})
	since, lapsed, err := s.CompanyWindow(ctx, "c1")
	kit.Must(t, err)
	kit.Equal(t, "a company's window", [2]string{since, lapsed}, [2]string{"2026-06-01", "2026-07-01"})
}

func inspections(t *testing.T, s *store.Store) {
	in := service.Inspection{ID: "i1", CompanyID: "c1", Site: "gate", TemplateID: "t1", TemplateVersion: 1, Inspector: "u", InspectedOn: "2026-06-02",
		Answers: []service.Answer{}, RecordedAt: kit.At}
	kit.Must(t, s.PutInspection(ctx, in))
	f := service.Finding{ID: "f1", InspectionID: "i1", CompanyID: "c1", ItemID: "x", Text: "灭火器过期", Severity: "high", PhotoRefs: []string{"p1"},
		RemediationOwner: "c1", RemediationDue: "2026-06-09", Status: "open", Version: 1, UpdatedAt: kit.At}
	kit.Must(t, s.PutFinding(ctx, f))
	f.Status, f.Escalated, f.Version = "remediating", "district", 2
	kit.Must(t, s.PutFinding(ctx, f))
	got, ok, err := s.Inspection(ctx, "i1")
	kit.Must(t, err)
	kit.Equal(t, "an inspection with its findings", [3]any{ok, len(got.Findings), got.Findings[0].Escalated}, [3]any{true, 1, "district"})
	due, err := s.UnclosedFindingsDue(ctx, "2026-06-10")
	kit.Must(t, err)
	kit.Equal(t, "unclosed past due", kit.IDs(due, func(f service.Finding) string { return f.ID }), []string{"f1"})
	due, err = s.FindingsDue(ctx, "c1", "2026-06-10", "2026-07-01")
	kit.Must(t, err)
	kit.Equal(t, "none due in a later window", len(due), 0)
	list, err := s.CompanyInspections(ctx, "c1", "2026-06-01")
	kit.Must(t, err)
	kit.Equal(t, "a company's inspections since a day", kit.IDs(list, func(i service.Inspection) string { return i.ID }), []string{"i1"})
}

func casework(t *testing.T, s *store.Store) {
	for i, c := range []struct{ from, against, status string }{{"c1", "c2", "filed"}, {"c2", "c1", "resolved"}, {"c3", "c2", "answered"}} {
		kit.Must(t, s.PutComplaint(ctx, service.Complaint{ID: fmt.Sprint("k", i), ComplainantID: c.from, AccusedID: c.against, Kind: "poaching",
			Status: c.status, Evidence: []service.EvidenceRef{}, Version: 1}))
	}
	ids := func(cs []service.Complaint, err error) []string {
		t.Helper()
		kit.Must(t, err)
		return kit.IDs(cs, func(c service.Complaint) string { return c.ID })
	}
	kit.Equal(t, "either side", ids(s.ListComplaints(ctx, service.ComplaintFilter{CompanyID: "c1"}, "", 10)), []string{"k0", "k1"})
	kit.Equal(t, "received", ids(s.ListComplaints(ctx, service.ComplaintFilter{CompanyID: "c2", Side: "received"}, "", 10)), []string{"k0", "k2"})
	kit.Equal(t, "open ones", ids(s.OpenComplaints(ctx)), []string{"k0", "k2"})
	for _, w := range []service.WageDeclaration{{ID: "c1.2026-04", CompanyID: "c1", Month: "2026-04", Status: "missed", Version: 1},
		{ID: "c1.2026-05", CompanyID: "c1", Month: "2026-05", Status: "declared", PaidInFull: true, Version: 1}} {
		kit.Must(t, s.PutWageDeclaration(ctx, w))
	}
	first, err := s.FirstWageMonth(ctx)
	kit.Must(t, err)
	kit.Equal(t, "the first month declared (a missed one is not)", first, "2026-05")
	w, ok, err := s.WageDeclaration(ctx, "c1.2026-05")
	kit.Must(t, err)
	kit.Equal(t, "a declaration", [2]any{w.PaidInFull, ok}, [2]any{true, true})
	kit.Must(t, s.PutFourOne(ctx, service.StoredFourOne{FourOneCheck: service.FourOneCheck{ID: "f1", GuardID: "g1", CompanyID: "c1", CheckedOn: "2026-06-02",
		Period: "2026-06", CheckedBy: "u", CreatedAt: kit.At}, Sealed: "k1:sealed"}))
	c, ok, err := s.FourOne(ctx, "f1")
	kit.Must(t, err)
	kit.Equal(t, "a check with its sealed contents", [3]any{c.Sealed, c.CreatedAt, ok}, [3]any{"k1:sealed", kit.At, true})
	n, at, err := s.FourOneMonth(ctx, "c1", "2026-06")
	kit.Must(t, err)
	kit.Equal(t, "a month's checked guards", [2]int{int(n), len(at)}, [2]int{1, 1})
}

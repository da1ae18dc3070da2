package storetest

// The city view's contract (cityread.go, city.go, obligations.go): what
// the projector's writes of the districts' compliance, patrols and
// messaging snapshots add up to in City and its drill-downs, exactly, and
// "not reported" (a service never heard from) apart from 0.

import (
	"database/sql"
	"testing"
	"time"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// The moment the city view is read at: cityToday is its day, cityMonth the
// four-one month, cityPeriods the obligation periods it covers.
var (
	cityNow     = time.Date(2026, 5, 10, 4, 0, 0, 0, time.UTC)
	cityToday   = "2026-05-10"
	cityMonth   = "2026-05"
	cityPeriods = []string{"2026-Q1", "2026-04"}
)

// wrote fails t unless a Put reported want (whether it changed a row).
func wrote(t *testing.T, what string, want bool) func(bool, error) {
	t.Helper()
	return func(got bool, err error) {
		t.Helper()
		kit.Must(t, err)
		if got != want {
			t.Fatalf("%s wrote %v, want %v", what, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// compliance writes north's compliance snapshots; south is only heard from.
func complianceWrites(t *testing.T, s *store.Store) {
	in(t, s, func(tx *sql.Tx) error {
		for _, c := range []store.Company{company("c1", "north", "active"), company("c2", "north", "active")} {
			kit.Must(t, s.PutCompany(ctx, tx, c, seenAt))
		}
		// Heard from later, then earlier: last_event_at stays the later.
		kit.Must(t, s.TouchService(ctx, tx, "north", "compliance", kit.At.Add(time.Hour)))
		kit.Must(t, s.TouchService(ctx, tx, "north", "compliance", kit.At))
		kit.Must(t, s.TouchService(ctx, tx, "south", "compliance", kit.At))

		score := func(c, day string, n, version int64) store.FourHundred {
			return store.FourHundred{District: "north", CompanyID: c, Day: day, Active: n, BackgroundChecked: n - 1, Trained: n - 2,
				Certified: n - 3, BadgeService: n - 4, Version: version}
		}
		wrote(t, "c1's score", true)(s.PutScore(ctx, tx, score("c1", "2026-05-09", 10, 2)))
		wrote(t, "c1's older score", false)(s.PutScore(ctx, tx, score("c1", "2026-05-10", 50, 1)))
		wrote(t, "c2's score", true)(s.PutScore(ctx, tx, score("c2", "2026-05-10", 6, 1)))

		insp := func(id, c string, scored bool, score float64, result string, findings int64) store.Inspection {
			return store.Inspection{ID: id, District: "north", CompanyID: c, InspectedOn: "2026-05-01", ForPeriod: "2026-Q2",
				ScoreReported: scored, Score: score, Result: result, Findings: findings, RecordedAt: kit.At}
		}
		wrote(t, "i1", true)(s.PutInspection(ctx, tx, insp("i1", "c1", true, 0.5, "passed", 2)))
		wrote(t, "i1 again", false)(s.PutInspection(ctx, tx, insp("i1", "c1", true, 0.5, "passed", 2)))
		// A score not reported counts in no sum, whatever the field holds.
		wrote(t, "i2", true)(s.PutInspection(ctx, tx, insp("i2", "c1", false, 0.9, "failed", 1)))
		wrote(t, "i3", true)(s.PutInspection(ctx, tx, insp("i3", "c2", true, 0.75, "passed", 0)))

		finding := func(id, c, due, status, escalated string, version int64) store.Finding {
			return store.Finding{ID: id, District: "north", InspectionID: "i1", CompanyID: c, Severity: "major", RemediationDue: due,
				Status: status, Escalated: escalated, Version: version}
		}
		wrote(t, "f1", true)(s.PutFinding(ctx, tx, finding("f1", "c1", "2026-05-09", "open", "", 1)))         // overdue: due before today
		wrote(t, "f2", true)(s.PutFinding(ctx, tx, finding("f2", "c1", "2026-06-01", "rectifying", "hq", 1))) // overdue: escalated
		wrote(t, "f3", true)(s.PutFinding(ctx, tx, finding("f3", "c1", "2026-05-01", "closed", "district", 2)))
		wrote(t, "f3's older", false)(s.PutFinding(ctx, tx, finding("f3", "c1", "2026-05-01", "open", "", 1)))
		wrote(t, "f4", true)(s.PutFinding(ctx, tx, finding("f4", "c2", cityToday, "open", "", 1))) // due today: not overdue

		dispute := func(id, c, status string, ro, ed bool, version int64) store.Dispute {
			return store.Dispute{ID: id, District: "north", CompanyID: c, Kind: "wages", Status: status, ResponseOverdue: ro, EscalationDue: ed, Version: version}
		}
		wrote(t, "d1", true)(s.PutDispute(ctx, tx, dispute("d1", "c1", "reported", true, false, 1)))
		wrote(t, "d2", true)(s.PutDispute(ctx, tx, dispute("d2", "c1", "mediating", false, true, 1)))
		// Concluded: its flags count no more.
		wrote(t, "d3", true)(s.PutDispute(ctx, tx, dispute("d3", "c2", "resolved", true, true, 2)))
		wrote(t, "d3's older", false)(s.PutDispute(ctx, tx, dispute("d3", "c2", "reported", true, true, 1)))

		fourOne := func(c, period string, checked int64) store.FourOne {
			return store.FourOne{District: "north", CompanyID: c, Period: period, Checked: checked, Active: 4}
		}
		wrote(t, "c1's four-one", true)(s.PutFourOne(ctx, tx, fourOne("c1", cityMonth, 3)))
		wrote(t, "c1's four-one checking fewer", false)(s.PutFourOne(ctx, tx, fourOne("c1", cityMonth, 2)))
		wrote(t, "c1's four-one checking more", true)(s.PutFourOne(ctx, tx, fourOne("c1", cityMonth, 4)))
		wrote(t, "c2's four-one of last month", true)(s.PutFourOne(ctx, tx, fourOne("c2", "2026-04", 1)))

		eval := func(c, period string, version int64, scored bool, score float64, grade string) store.Evaluation {
			return store.Evaluation{District: "north", CompanyID: c, Period: period, ID: "e-" + c + period, Version: version, ScoreReported: scored,
				Score: score, Grade: grade, PolicyVersion: 3, PublishedAt: kit.At}
		}
		wrote(t, "c1's rating", true)(s.PutEvaluation(ctx, tx, eval("c1", "2026-Q1", 1, true, 80, "B")))
		wrote(t, "c1's correction", true)(s.PutEvaluation(ctx, tx, eval("c1", "2026-Q1", 2, true, 90, "A")))
		wrote(t, "c1's superseded rating", false)(s.PutEvaluation(ctx, tx, eval("c1", "2026-Q1", 1, true, 80, "B")))
		wrote(t, "c2's unscored rating", true)(s.PutEvaluation(ctx, tx, eval("c2", "2026-Q1", 1, false, 50, "")))
		wrote(t, "c2's older period", true)(s.PutEvaluation(ctx, tx, eval("c2", "2025-Q4", 1, true, 70, "C")))
		// c3 is rated but membership never told HQ of it.
		wrote(t, "c3's rating", true)(s.PutEvaluation(ctx, tx, eval("c3", "2025-Q4", 1, true, 60, "C")))

		ob := func(c, obligation, period string, expected, done, onTime int64, missed bool, id string) store.Obligation {
			return store.Obligation{District: "north", CompanyID: c, Obligation: obligation, Period: period, Expected: expected, Done: done,
				OnTime: onTime, Missed: missed, EventID: id}
		}
		wrote(t, "c1 missed", true)(s.PutObligation(ctx, tx, ob("c1", service.ObligationInspection, "2026-Q1", 2, 1, 1, true, "ev-m")))
		wrote(t, "c1 completed late", true)(s.PutObligation(ctx, tx, ob("c1", service.ObligationInspection, "2026-Q1", 2, 2, 1, false, "ev-c")))
		wrote(t, "c1's missed again", false)(s.PutObligation(ctx, tx, ob("c1", service.ObligationInspection, "2026-Q1", 2, 1, 1, true, "ev-m2")))
		wrote(t, "c2 missed", true)(s.PutObligation(ctx, tx, ob("c2", service.ObligationInspection, "2026-Q1", 1, 0, 0, true, "ev-m3")))
		wrote(t, "c1's four-one done", true)(s.PutObligation(ctx, tx, ob("c1", service.ObligationFourOne, "2026-04", 1, 1, 1, false, "ev-c2")))
		// A period the figures do not cover: reported, counted nowhere.
		wrote(t, "c1's old roundtable", true)(s.PutObligation(ctx, tx, ob("c1", service.ObligationRoundtable, "2025-Q4", 1, 1, 1, false, "ev-c3")))

		snap := func(d, c, day string, n int64) store.FourHundred {
			return store.FourHundred{District: d, CompanyID: c, Day: day, Active: n, BackgroundChecked: n, Trained: n, Certified: n, BadgeService: n}
		}
		wrote(t, "a day's close", true)(s.PutSnapshot(ctx, tx, snap("north", "", "2026-05-08", 5)))
		wrote(t, "the same close again", false)(s.PutSnapshot(ctx, tx, snap("north", "", "2026-05-08", 5)))
		wrote(t, "the day closed again otherwise", true)(s.PutSnapshot(ctx, tx, snap("north", "", "2026-05-08", 7)))
		wrote(t, "the day before", true)(s.PutSnapshot(ctx, tx, snap("north", "", "2026-05-07", 6)))
		wrote(t, "a day not after since", true)(s.PutSnapshot(ctx, tx, snap("north", "", "2026-05-01", 1)))
		wrote(t, "a company's close", true)(s.PutSnapshot(ctx, tx, snap("north", "c1", "2026-05-08", 2)))
		wrote(t, "another district's close", true)(s.PutSnapshot(ctx, tx, snap("south", "", "2026-05-08", 3)))
		return nil
	})
}

// northTimeliness is north's timeliness as the store reads it (raw).
func northTimeliness() service.Timeliness {
	return service.Timeliness{
		Inspection: service.ObligationTimeliness{Reported: true, Periods: []string{"2026-Q1"}, CompanyPeriods: 2,
			ObligationCounts: service.ObligationCounts{Expected: 3, Done: 2, OnTime: 1}},
		FourOne: service.ObligationTimeliness{Reported: true, Periods: []string{"2026-04"}, CompanyPeriods: 1,
			ObligationCounts: service.ObligationCounts{Expected: 1, Done: 1, OnTime: 1}},
		Roundtable: service.ObligationTimeliness{Reported: true},
	}
}

func cityCompliance(t *testing.T, s *store.Store) {
	complianceWrites(t, s)
	t.Run("A district's compliance figures add up its companies' snapshots, the newest version of each; a service never heard from is not reported.", func(t *testing.T) {
		got, err := s.City(ctx, "", cityToday, cityMonth, cityNow, cityPeriods)
		kit.Must(t, err)
		want := service.ComplianceStats{
			Reported: true, LastEventAt: ptr(kit.At.Add(time.Hour)),
			FourHundred: service.FourHundred{Reported: true, CompaniesReported: 2, Day: "2026-05-10",
				FourHundredCounts: service.FourHundredCounts{Active: 16, BackgroundChecked: 14, Trained: 12, Certified: 10, BadgeService: 8}},
			Hazards: service.Hazards{Inspections: 3, InspectionsScored: 2, ScoreSum: 1.25, Passed: 2, Failed: 1, FindingsRecorded: 3,
				FindingsOpen: 2, FindingsOverdue: 2, FindingsEscalatedHQ: 1},
			Disputes: service.Disputes{Total: 3, ByStatus: map[string]int64{"reported": 1, "mediating": 1, "resolved": 1},
				ResponseOverdue: 1, EscalationDue: 1},
			FourOne:    service.FourOne{CompaniesReported: 1, Checked: 4, Active: 4},
			Ratings:    service.Ratings{Period: "2026-Q1", CompaniesRated: 2, ByGrade: map[string]int64{"A": 1, "": 1}, ScoreSum: 90, Scored: 1},
			Timeliness: northTimeliness(),
		}
		kit.Equal(t, "north", got["north"], service.CityData{Compliance: want})
		// Heard from, nothing reported: every figure is 0 because nothing
		// was, and the obligations are not reported.
		kit.Equal(t, "south", got["south"], service.CityData{Compliance: service.ComplianceStats{Reported: true, LastEventAt: ptr(kit.At)}})
		if len(got) != 2 {
			t.Fatalf("districts %v", got)
		}
		one, err := s.City(ctx, "south", cityToday, cityMonth, cityNow, cityPeriods)
		kit.Must(t, err)
		kit.Equal(t, "south alone", one, map[string]service.CityData{"south": got["south"]})
	})
	t.Run("A district's compliance companies are every company of its snapshots or figures, in id order, each with its own figures.", func(t *testing.T) {
		got, err := s.ComplianceCompanies(ctx, "north", cityToday, cityMonth, cityPeriods)
		kit.Must(t, err)
		c1 := service.ComplianceCompanyRow{CompanyID: "c1", Name: "公司c1",
			Hazards: service.Hazards{Inspections: 2, InspectionsScored: 1, ScoreSum: 0.5, Passed: 1, Failed: 1, FindingsRecorded: 3,
				FindingsOpen: 2, FindingsOverdue: 2, FindingsEscalatedHQ: 1},
			Disputes: service.Disputes{Total: 2, ByStatus: map[string]int64{"reported": 1, "mediating": 1}, ResponseOverdue: 1, EscalationDue: 1},
			Rating: &service.CompanyRating{Period: "2026-Q1", Version: 2, ScoreReported: true, Score: ptr(90.0), Grade: "A", PolicyVersion: 3,
				PublishedAt: ptr(kit.At)},
			Timeliness: service.Timeliness{
				Inspection: service.ObligationTimeliness{Reported: true, Periods: []string{"2026-Q1"}, CompanyPeriods: 1,
					ObligationCounts: service.ObligationCounts{Expected: 2, Done: 2, OnTime: 1}},
				FourOne: service.ObligationTimeliness{Reported: true, Periods: []string{"2026-04"}, CompanyPeriods: 1,
					ObligationCounts: service.ObligationCounts{Expected: 1, Done: 1, OnTime: 1}},
				Roundtable: service.ObligationTimeliness{Reported: true},
			},
		}
		c1.FourHundred.Reported, c1.FourHundred.Day = true, "2026-05-09"
		c1.FourHundred.FourHundredCounts = service.FourHundredCounts{Active: 10, BackgroundChecked: 9, Trained: 8, Certified: 7, BadgeService: 6}
		c1.FourOne.Reported, c1.FourOne.Checked, c1.FourOne.Active = true, 4, 4
		c2 := service.ComplianceCompanyRow{CompanyID: "c2", Name: "公司c2",
			Hazards:  service.Hazards{Inspections: 1, InspectionsScored: 1, ScoreSum: 0.75, Passed: 1},
			Disputes: service.Disputes{Total: 1, ByStatus: map[string]int64{"resolved": 1}},
			// Its newest period, not scored.
			Rating: &service.CompanyRating{Period: "2026-Q1", Version: 1, Grade: "", PolicyVersion: 3, PublishedAt: ptr(kit.At)},
			Timeliness: service.Timeliness{Inspection: service.ObligationTimeliness{Reported: true, Periods: []string{"2026-Q1"}, CompanyPeriods: 1,
				ObligationCounts: service.ObligationCounts{Expected: 1}}},
		}
		c2.FourHundred.Reported, c2.FourHundred.Day = true, "2026-05-10"
		c2.FourHundred.FourHundredCounts = service.FourHundredCounts{Active: 6, BackgroundChecked: 5, Trained: 4, Certified: 3, BadgeService: 2}
		c3 := service.ComplianceCompanyRow{CompanyID: "c3",
			Rating: &service.CompanyRating{Period: "2025-Q4", Version: 1, ScoreReported: true, Score: ptr(60.0), Grade: "C", PolicyVersion: 3,
				PublishedAt: ptr(kit.At)}}
		kit.Equal(t, "north's companies", got, []service.ComplianceCompanyRow{c1, c2, c3})
		none, err := s.ComplianceCompanies(ctx, "west", cityToday, cityMonth, cityPeriods)
		kit.Must(t, err)
		kit.Equal(t, "a district HQ holds nothing of", none, []service.ComplianceCompanyRow{})
	})
	t.Run("The trend is a district's own daily closes after the day given, oldest first, each as last written.", func(t *testing.T) {
		got, err := s.Trend(ctx, "north", "2026-05-01")
		kit.Must(t, err)
		point := func(day string, n int64) service.TrendPoint {
			return service.TrendPoint{Day: day, FourHundredCounts: service.FourHundredCounts{Active: n, BackgroundChecked: n, Trained: n, Certified: n, BadgeService: n}}
		}
		kit.Equal(t, "trend", got, []service.TrendPoint{point("2026-05-07", 6), point("2026-05-08", 7)})
		got, err = s.Trend(ctx, "west", "2026-05-01")
		kit.Must(t, err)
		kit.Equal(t, "no trend", got, []service.TrendPoint{})
	})
	t.Run("An obligation's row is the larger of every count its events carried, with each kind's first event id.", func(t *testing.T) {
		got, err := s.Obligations(ctx, "north", "c1")
		kit.Must(t, err)
		row := func(ob, period string, e, d, o int64, completed, missed string) store.ObligationRow {
			return store.ObligationRow{Obligation: store.Obligation{District: "north", CompanyID: "c1", Obligation: ob, Period: period,
				Expected: e, Done: d, OnTime: o, Missed: missed != ""}, CompletedEventID: completed, MissedEventID: missed}
		}
		kit.Equal(t, "c1's obligations", got, []store.ObligationRow{
			row(service.ObligationFourOne, "2026-04", 1, 1, 1, "ev-c2", ""),
			row(service.ObligationInspection, "2026-Q1", 2, 2, 1, "ev-c", "ev-m"),
			row(service.ObligationRoundtable, "2025-Q4", 1, 1, 1, "ev-c3", ""),
		})
	})
}

func cityObligationOrder(t *testing.T, s *store.Store) {
	ob := func(e, d, o int64, missed bool, id string) store.Obligation {
		return store.Obligation{District: "east", CompanyID: "c5", Obligation: service.ObligationInspection, Period: "2026-Q1",
			Expected: e, Done: d, OnTime: o, Missed: missed, EventID: id}
	}
	t.Run("Each count is the largest any event carried, whatever the order; each kind keeps its first event id.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			wrote(t, "completed", true)(s.PutObligation(ctx, tx, ob(3, 3, 1, false, "c")))
			wrote(t, "missed", true)(s.PutObligation(ctx, tx, ob(4, 2, 2, true, "m")))
			// A later count of done with an older expected: done moves, expected does not.
			wrote(t, "completed again", true)(s.PutObligation(ctx, tx, ob(3, 4, 1, false, "c2")))
			wrote(t, "completed once more", false)(s.PutObligation(ctx, tx, ob(3, 4, 1, false, "c3")))
			return nil
		})
		got, err := s.Obligations(ctx, "east", "c5")
		kit.Must(t, err)
		kit.Equal(t, "row", got, []store.ObligationRow{{Obligation: store.Obligation{District: "east", CompanyID: "c5",
			Obligation: service.ObligationInspection, Period: "2026-Q1", Expected: 4, Done: 4, OnTime: 2, Missed: true},
			CompletedEventID: "c", MissedEventID: "m"}})
	})
}

func cityPatrols(t *testing.T, s *store.Store) {
	start := kit.At
	in(t, s, func(tx *sql.Tx) error {
		for _, c := range []store.Company{company("c1", "north", "active"), company("c2", "north", "active"), company("c3", "north", "active")} {
			kit.Must(t, s.PutCompany(ctx, tx, c, seenAt))
		}
		for _, g := range []store.Guard{guard("g1", "north", "c1", "h1", "active"), guard("g6", "north", "c1", "h6", "active"),
			guard("g4", "north", "c2", "h4", "active"), guard("g7", "north", "c2", "h7", "left")} {
			kit.Must(t, s.PutGuard(ctx, tx, g, seenAt))
		}
		kit.Must(t, s.TouchService(ctx, tx, "north", "patrols", start))
		kit.Must(t, s.TouchService(ctx, tx, "east", "patrols", start))

		wrote(t, "t1", true)(s.PutTeam(ctx, tx, store.Team{ID: "t1", District: "north", CompanyID: "c1", ActiveMembers: 3, Version: 1}))
		wrote(t, "t1 again", false)(s.PutTeam(ctx, tx, store.Team{ID: "t1", District: "north", CompanyID: "c1", ActiveMembers: 3, Version: 1}))
		wrote(t, "t2", true)(s.PutTeam(ctx, tx, store.Team{ID: "t2", District: "north", Version: 1}))

		member := func(team, g, c string, active bool, version int64) store.TeamMember {
			return store.TeamMember{TeamID: team, GuardID: g, District: "north", CompanyID: c, Active: active, Version: version}
		}
		for _, m := range []store.TeamMember{
			member("t1", "g1", "c1", true, 1), member("t2", "g1", "", true, 1), // in two teams: one volunteer
			member("t1", "g2", "c1", false, 2),                                  // suspended
			member("t1", "g3", "c1", true, 1), member("t1", "g3", "", false, 2), // suspended later, naming no company
			member("t2", "g4", "", true, 1),                                     // a district team: g4's company from membership
			member("t1", "g5", "c1", true, 1), member("t2", "g5", "", false, 1), // active in one team: active
			// Suspended and reinstated by events naming no company: the
			// join's company stays (g8 is no guard HQ holds).
			member("t1", "g8", "c3", true, 1), member("t1", "g8", "", false, 2), member("t1", "g8", "", true, 3),
		} {
			wrote(t, m.TeamID+"/"+m.GuardID, true)(s.PutTeamMember(ctx, tx, m))
		}
		wrote(t, "g2's older standing", false)(s.PutTeamMember(ctx, tx, member("t1", "g2", "c1", true, 1)))

		shift := func(id string, hours, required, assigned int64) store.Shift {
			return store.Shift{ID: id, District: "north", PlanID: "p1", StartsAt: start, EndsAt: start.Add(time.Duration(hours) * time.Hour),
				Required: required, Assigned: assigned, ExpectedScans: 4, Version: 1}
		}
		wrote(t, "s1", true)(s.PutShift(ctx, tx, shift("s1", 2, 2, 3))) // overfilled: 2 seats
		wrote(t, "s2", true)(s.PutShift(ctx, tx, shift("s2", 1, 3, 1)))
		wrote(t, "s3", true)(s.PutShift(ctx, tx, shift("s3", 5, -1, 2))) // an odd snapshot counts no seat
		wrote(t, "s1's older", false)(s.PutShift(ctx, tx, store.Shift{ID: "s1", District: "north", Required: 9, Version: 0}))

		scan := func(id, shiftID, g string, mock, offline bool) store.Scan {
			return store.Scan{ID: id, District: "north", ShiftID: shiftID, GuardID: g, ScannedAt: start, MockLocation: mock, Offline: offline}
		}
		wrote(t, "sc1", true)(s.PutScan(ctx, tx, scan("sc1", "s1", "g1", true, false)))
		wrote(t, "sc1 again", false)(s.PutScan(ctx, tx, scan("sc1", "s1", "g1", true, false)))
		wrote(t, "sc2", true)(s.PutScan(ctx, tx, scan("sc2", "s1", "g1", false, true)))
		wrote(t, "sc3", true)(s.PutScan(ctx, tx, scan("sc3", "s2", "g4", false, false)))
		wrote(t, "sc4", true)(s.PutScan(ctx, tx, scan("sc4", "s9", "g1", false, false))) // a shift HQ has no snapshot of

		tour := func(id, kind string) store.MissedTour {
			return store.MissedTour{ID: id, District: "north", ShiftID: "s1", GuardID: "g1", Kind: kind}
		}
		wrote(t, "m1", true)(s.PutMissedTour(ctx, tx, tour("m1", "not_started")))
		wrote(t, "m1 again", false)(s.PutMissedTour(ctx, tx, tour("m1", "not_started")))
		wrote(t, "m2", true)(s.PutMissedTour(ctx, tx, tour("m2", "not_finished")))
		wrote(t, "m2 withdrawn", true)(s.WithdrawMissedTour(ctx, tx, tour("m2", "not_finished")))
		wrote(t, "m2 withdrawn again", false)(s.WithdrawMissedTour(ctx, tx, tour("m2", "not_finished")))
		wrote(t, "m3 withdrawn before it is seen", true)(s.WithdrawMissedTour(ctx, tx, tour("m3", "not_finished")))
		wrote(t, "m3 seen late", false)(s.PutMissedTour(ctx, tx, tour("m3", "not_finished")))
		wrote(t, "m4", true)(s.PutMissedTour(ctx, tx, tour("m4", "not_started")))

		wrote(t, "i1", true)(s.PutIncident(ctx, tx, store.Incident{ID: "i1", District: "north", Kind: "theft", Severity: "high", Status: "open", Version: 1}))
		wrote(t, "i2", true)(s.PutIncident(ctx, tx, store.Incident{ID: "i2", District: "north", Kind: "theft", Severity: "low", Status: "resolved", Version: 2}))
		wrote(t, "i2's older", false)(s.PutIncident(ctx, tx, store.Incident{ID: "i2", District: "north", Status: "dispatched", Version: 1}))

		wrote(t, "dp1", true)(s.PutDispatch(ctx, tx, store.Dispatch{ID: "dp1", District: "north", Urgency: "urgent", Status: "closed", RaisedAt: start,
			AcceptedAt: start.Add(time.Minute), ArrivedAt: start.Add(10 * time.Minute), FeedbackAt: start.Add(20 * time.Minute),
			ClosedAt: start.Add(time.Hour), Escalated: true, Version: 3}))
		// Accepted before it was raised (a skewed clock): no sample.
		wrote(t, "dp2", true)(s.PutDispatch(ctx, tx, store.Dispatch{ID: "dp2", District: "north", Status: "accepted", RaisedAt: start,
			AcceptedAt: start.Add(-time.Second), Version: 1}))
		// Never raised as far as HQ knows: no sample.
		wrote(t, "dp3", true)(s.PutDispatch(ctx, tx, store.Dispatch{ID: "dp3", District: "north", Status: "accepted", AcceptedAt: start, Version: 1}))
		wrote(t, "dp1's older", false)(s.PutDispatch(ctx, tx, store.Dispatch{ID: "dp1", District: "north", Version: 2}))
		return nil
	})
	t.Run("A district's patrol figures count its teams, volunteers once each, seats, scans, hours, tours, incidents and dispatches.", func(t *testing.T) {
		got, err := s.City(ctx, "", cityToday, cityMonth, cityNow, cityPeriods)
		kit.Must(t, err)
		want := service.PatrolStats{Reported: true, LastEventAt: ptr(start), Teams: 2, VolunteersActive: 4, VolunteersSuspended: 2,
			Shifts: 3, SeatsRequired: 5, SeatsFilled: 3, PatrolHours: 3, Scans: 4, ScansMockLocation: 1, ScansOffline: 1,
			MissedTours: 2, MissedToursByKind: map[string]int64{"not_started": 2},
			Incidents: 2, IncidentsByStatus: map[string]int64{"open": 1, "resolved": 1}, Dispatches: 3, DispatchesEscalated: 1}
		want.SetSamples([]float64{60}, []float64{600}, []float64{1200})
		kit.Equal(t, "north", got["north"], service.CityData{Patrols: want})
		kit.Equal(t, "east", got["east"], service.CityData{Patrols: service.PatrolStats{Reported: true, LastEventAt: ptr(start)}})
		if len(got) != 2 {
			t.Fatalf("districts %v", got)
		}
	})
	t.Run("A district's patrol companies are those with an active guard or volunteer, a volunteer counted for the team's company or else the guard's.", func(t *testing.T) {
		got, err := s.PatrolCompanies(ctx, "north")
		kit.Must(t, err)
		kit.Equal(t, "companies", got, []service.PatrolCompanyRow{
			{CompanyID: "c1", Name: "公司c1", VolunteersActive: 2, GuardsActive: 2},
			{CompanyID: "c2", Name: "公司c2", VolunteersActive: 1, GuardsActive: 1},
			// No active guard: its name comes with the guards' figures only.
			{CompanyID: "c3", VolunteersActive: 1},
		})
	})
}

func cityMessaging(t *testing.T, s *store.Store) {
	notice := func(id, directive string, ack bool, deadline time.Time, recipients, read, acked int64, receipt time.Time, seq int64) store.Notice {
		return store.Notice{ID: id, District: "north", Origin: "district", DirectiveID: directive, Title: "通知" + id, Priority: "normal",
			AckRequired: ack, AckDeadline: deadline, Revision: 1, Recipients: recipients, Read: read, Acknowledged: acked,
			PublishedAt: kit.At.Add(time.Duration(seq) * time.Minute), LastReceiptAt: receipt, Seq: seq}
	}
	past, future := cityNow.Add(-time.Hour), cityNow.Add(time.Hour)
	in(t, s, func(tx *sql.Tx) error {
		kit.Must(t, s.TouchService(ctx, tx, "north", "messaging", kit.At))
		// More acknowledged than read: read counts the acknowledged.
		wrote(t, "n1", true)(s.PutNotice(ctx, tx, notice("n1", "", true, past, 10, 4, 5, kit.At.Add(2*time.Hour), 1)))
		// A newer event with an earlier receipt: the counts move, the last receipt does not.
		wrote(t, "n1's next", true)(s.PutNotice(ctx, tx, notice("n1", "", true, past, 10, 4, 6, kit.At, 2)))
		wrote(t, "n1's older", false)(s.PutNotice(ctx, tx, notice("n1", "", true, past, 1, 1, 1, kit.At, 1)))
		wrote(t, "n2", true)(s.PutNotice(ctx, tx, notice("n2", "d1", true, future, 5, 5, 2, kit.At.Add(3*time.Hour), 3)))
		// Asks no acknowledgement: counts in no receipt figure, never overdue.
		wrote(t, "n3", true)(s.PutNotice(ctx, tx, notice("n3", "", false, past, 7, 3, 0, time.Time{}, 4)))
		wrote(t, "n4", true)(s.PutNotice(ctx, tx, notice("n4", "d2", false, time.Time{}, 3, 0, 0, time.Time{}, 5)))
		// Everyone acknowledged in time: not overdue.
		wrote(t, "n5", true)(s.PutNotice(ctx, tx, notice("n5", "", true, past, 2, 2, 2, kit.At, 6)))
		return nil
	})
	t.Run("A district's notice figures count the receipts of the notices asking for them, the overdue, and the directives materialised.", func(t *testing.T) {
		got, err := s.City(ctx, "north", cityToday, cityMonth, cityNow, cityPeriods)
		kit.Must(t, err)
		want := service.NoticeStats{Reported: true, LastEventAt: ptr(kit.At), Notices: 5, AckRequired: 3, Recipients: 17, Read: 13,
			Acknowledged: 10, Overdue: 1, Directives: service.DirectiveDelivery{Materialised: 2, Recipients: 5, Acknowledged: 2,
				LastDeliveredAt: ptr(kit.At.Add(5 * time.Minute)), LastReceiptAt: ptr(kit.At.Add(3 * time.Hour))},
			// n2's deadline is the next at which Overdue changes.
			NextDeadline: ptr(future)}
		kit.Equal(t, "north", got, map[string]service.CityData{"north": {Messaging: want}})
	})
	t.Run("The overdue hold up to the next deadline, which is then counted.", func(t *testing.T) {
		got, err := s.City(ctx, "north", cityToday, cityMonth, future, cityPeriods)
		kit.Must(t, err)
		if m := got["north"].Messaging; m.Overdue != 1 || m.NextDeadline == nil || !m.NextDeadline.Equal(future) {
			t.Errorf("at the deadline: %d overdue, next deadline %v; want 1, %v", m.Overdue, m.NextDeadline, future)
		}
		got, err = s.City(ctx, "north", cityToday, cityMonth, future.Add(time.Nanosecond), cityPeriods)
		kit.Must(t, err)
		if m := got["north"].Messaging; m.Overdue != 2 || m.NextDeadline != nil {
			t.Errorf("past the deadline: %d overdue, next deadline %v; want 2, none", m.Overdue, m.NextDeadline)
		}
	})
	t.Run("A district's notices come in id order after a cursor, each with its counts and times.", func(t *testing.T) {
		got, err := s.Notices(ctx, "north", "n1", 2)
		kit.Must(t, err)
		kit.Equal(t, "after n1", got, []service.NoticeRow{
			{ID: "n2", Origin: "district", DirectiveID: "d1", Title: "通知n2", Priority: "normal", AckRequired: true, AckDeadline: ptr(future),
				Revision: 1, Recipients: 5, Read: 5, Acknowledged: 2, PublishedAt: ptr(kit.At.Add(3 * time.Minute)), LastReceiptAt: ptr(kit.At.Add(3 * time.Hour))},
			{ID: "n3", Origin: "district", Title: "通知n3", Priority: "normal", AckDeadline: ptr(past), Revision: 1, Recipients: 7, Read: 3,
				PublishedAt: ptr(kit.At.Add(4 * time.Minute))},
		})
		got, err = s.Notices(ctx, "north", "", 1)
		kit.Must(t, err)
		if len(got) != 1 || got[0].ID != "n1" || got[0].Acknowledged != 6 || !got[0].LastReceiptAt.Equal(kit.At.Add(2*time.Hour)) {
			t.Fatalf("first page %+v", got)
		}
	})
	t.Run("A city with no service heard from reads empty.", func(t *testing.T) {
		got, err := s.City(ctx, "south", cityToday, cityMonth, cityNow, cityPeriods)
		kit.Must(t, err)
		kit.Equal(t, "south", got, map[string]service.CityData{})
	})
}

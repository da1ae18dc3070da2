package compliance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// TestAGuardWhoLeavesLeavesTheDenominators: a guard's GuardLeft takes it
// out of every count of its company and the district, so the rates are of
// the active guards only, and a company whose last guard left is not
// reported (null), not 0%.
func TestAGuardWhoLeavesLeavesTheDenominators(t *testing.T) {
	e := newEnv(t)
	a := e.hireTrained(okGuard("g1", "c1"))
	b := okGuard("g2", "c1")
	b.BadgeService = false
	e.apply(hired(b))
	c := e.company("c1")
	if c.Counts != (counts{Active: 2, BackgroundChecked: 2, Trained: 1, Certified: 2, BadgeService: 1}) || *c.Rates.BadgeService != 0.5 {
		t.Fatalf("before: %+v", c)
	}
	left := next(b, func(g *guard) { g.EmploymentStatus = "left"; g.LeftOn = "2026-06-10" })
	e.apply(envelope(eventsv1.TypeGuardLeft, left, &eventsv1.GuardLeft{Guard: left}))
	c = e.company("c1")
	if c.Counts != (counts{Active: 1, BackgroundChecked: 1, Trained: 1, Certified: 1, BadgeService: 1}) || *c.Rates.BadgeService != 1 {
		t.Fatalf("after g2 left: %+v", c)
	}
	if !slices.Equal(c.Full, []string{"background_check", "training", "certificate", "badge"}) {
		t.Fatalf("full %v", c.Full)
	}
	gone := next(a, func(g *guard) { g.EmploymentStatus = "left" })
	e.apply(envelope(eventsv1.TypeGuardLeft, gone, &eventsv1.GuardLeft{Guard: gone}))
	c = e.company("c1")
	if c.Counts != (counts{}) || c.Rates.BackgroundChecked != nil || c.Rates.Trained != nil || len(c.Full) != 0 {
		t.Fatalf("no active guard: %+v, want zero counts and null rates", c)
	}
	if s := e.scoreboard(); s.Counts.Active != 0 || s.Rates.Certified != nil {
		t.Fatalf("district %+v", s)
	}
}

// TestAnOlderSnapshotArrivingLateChangesNothing: the scoreboard keeps a
// guard's newest version; an older snapshot (another partition's replay,
// a re-published batch) is ignored, and a training's hours count once.
func TestAnOlderSnapshotArrivingLateChangesNothing(t *testing.T) {
	e := newEnv(t)
	g1 := okGuard("g1", "c1")
	e.apply(hired(g1))
	g2 := next(g1, func(g *guard) { g.BackgroundCheckStatus = "failed" })
	e.apply(updated(g2))
	e.apply(hired(g1)) // v1 again, after v2
	if c := e.company("c1"); c.Counts.BackgroundChecked != 0 {
		t.Fatalf("an older snapshot won: %+v", c)
	}
	g3 := next(g2, func(*guard) {})
	tr := trained(g3, "in_service", 12, "2026-05-01")
	e.apply(tr, tr)
	g4 := next(g3, func(*guard) {})
	e.apply(trained(g4, "in_service", 11, "2026-05-02"))
	if c := e.company("c1"); c.Counts.Trained != 0 {
		t.Fatalf("12 h counted twice: %+v", c)
	}
	g5 := next(g4, func(*guard) {})
	e.apply(trained(g5, "in_service", 1, "2026-05-03"))
	if c := e.company("c1"); c.Counts.Trained != 1 {
		t.Fatalf("24 h: %+v", c)
	}
}

// TestDrillDownListsExactlyTheGapGuards: for each criterion the gaps are
// the active guards who fail it, with the reason, across pages, in one
// company or the district, and as many as the counts say are missing.
func TestDrillDownListsExactlyTheGapGuards(t *testing.T) {
	e := newEnv(t)
	e.hireTrained(okGuard("g1", "c1"))
	noCheck := okGuard("g2", "c1")
	noCheck.BackgroundCheckStatus = "pending"
	e.hireTrained(noCheck)
	expired := okGuard("g3", "c1")
	expired.CertificateValidUntil = "2026-06-09"
	e.hireTrained(expired)
	noCert := okGuard("g4", "c1")
	noCert.HasCertificate, noCert.CertificateValidUntil = false, ""
	e.hireTrained(noCert)
	short := okGuard("g5", "c1")
	e.apply(hired(short)) // no hours this year
	noPreJob := okGuard("g6", "c1")
	noPreJob.PreJobTrained = false
	e.hireTrained(noPreJob)
	noBadge := okGuard("g7", "c2")
	noBadge.BadgeService, noBadge.BackgroundCheckStatus = false, "failed"
	e.hireTrained(noBadge)
	gone := okGuard("g8", "c1")
	gone.EmploymentStatus, gone.BackgroundCheckStatus = "left", "none"
	e.apply(hired(gone)) // not active: in no gap

	ids := func(gs []gap) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.GuardID+":"+g.Reason)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"criterion=background_check", []string{"g2:background_check_pending", "g7:background_check_failed"}},
		{"criterion=background_check&company_id=c1", []string{"g2:background_check_pending"}},
		{"criterion=training&company_id=c1", []string{"g5:hours_short", "g6:pre_job_missing"}},
		{"criterion=certificate", []string{"g3:certificate_expired", "g4:certificate_missing"}},
		{"criterion=badge", []string{"g7:badge_missing"}},
		{"criterion=badge&company_id=c1", nil},
	} {
		if got := ids(e.gaps(tc.query)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	c1 := e.company("c1")
	if c1.Counts.Active != 6 || c1.Counts.Active-c1.Counts.Trained != int64(len(e.gaps("criterion=training&company_id=c1"))) ||
		c1.Counts.Active-c1.Counts.Certified != 2 {
		t.Fatalf("counts %+v do not match the gaps", c1.Counts)
	}
	if g := e.gaps("criterion=training&company_id=c1"); *g[0].Hours != 0 {
		t.Fatalf("g5's hours %v", *g[0].Hours)
	}
}

// TestCertificateExpiresTheDayAfterValidUntilAtMidnightShanghai: a
// certificate valid through today counts today and not from the next day
// in China time, with no event from membership: the scoreboard rolls over
// at midnight (Refresh, Run's ticker), snapshots the closing day for the
// trend, announces the company's fall from 100% once, and warned of the
// lapse once when it entered the warning window.
func TestCertificateExpiresTheDayAfterValidUntilAtMidnightShanghai(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := okGuard("g1", "c1")
	g.CertificateValidUntil = "2026-06-11"
	e.hireTrained(g)
	evs := e.events(0)
	if got := typesOf(evs); !slices.Contains(got, eventsv1.TypeRequirementLapsing) {
		t.Fatalf("no lapse warning inside the 30-day window: %v", got)
	}
	var warned int
	for _, ev := range evs {
		if ev.Type == eventsv1.TypeRequirementLapsing {
			m := testutil.Payload(t, ev, &eventsv1.RequirementLapsing{})
			if m.GetCriterion() != "certificate" || m.GetLapsesOn() != "2026-06-11" || m.GetDaysLeft() != 1 || m.GetGuardId() != "g1" {
				t.Fatalf("warning %+v", m)
			}
			warned++
		}
	}
	if warned != 1 {
		t.Fatalf("%d warnings, want 1", warned)
	}

	// 23:59:59 on the last valid day: still certified.
	e.clock.set(time.Date(2026, 6, 11, 23, 59, 59, 0, cst))
	if _, err := e.node.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if c := e.company("c1"); c.Counts.Certified != 1 {
		t.Fatalf("on its last day: %+v", c)
	}
	seq := e.lastSeq()
	// Midnight in Shanghai (16:00 UTC): expired.
	e.clock.set(time.Date(2026, 6, 11, 16, 0, 0, 0, time.UTC))
	if did, err := e.node.Refresh(ctx); err != nil || !did {
		t.Fatalf("refresh at midnight: %v %v", did, err)
	}
	c := e.company("c1")
	if c.Counts.Certified != 0 || *c.Rates.Certified != 0 || slices.Contains(c.Full, "certificate") {
		t.Fatalf("the day after valid_until: %+v", c)
	}
	if got := e.gaps("criterion=certificate"); len(got) != 1 || got[0].Reason != "certificate_expired" || got[0].CertificateValidUntil != "2026-06-11" {
		t.Fatalf("gaps %+v", got)
	}
	after := e.events(seq)
	var lost, snaps int
	for _, ev := range after {
		switch ev.Type {
		case eventsv1.TypeFourHundredLost:
			m := testutil.Payload(t, ev, &eventsv1.FourHundredLost{})
			if m.GetCriterion() != "certificate" || m.GetCounts().GetCompanyId() != "c1" || m.GetCounts().GetDay() != "2026-06-12" {
				t.Fatalf("lost %+v", m)
			}
			lost++
		case eventsv1.TypeScoreboardSnapshot:
			m := testutil.Payload(t, ev, &eventsv1.ScoreboardSnapshot{})
			if m.GetCounts().GetDay() != "2026-06-11" || m.GetCounts().GetCertified() != 1 {
				t.Fatalf("snapshot %+v", m)
			}
			snaps++
		case eventsv1.TypeRequirementLapsing:
			t.Fatalf("warned twice")
		}
	}
	if lost != 1 || snaps != 2 { // c1 and the district
		t.Fatalf("events %v", typesOf(after))
	}
	// Refreshing again the same day changes nothing and says nothing.
	seq = e.lastSeq()
	if did, err := e.node.Refresh(ctx); err != nil || did {
		t.Fatalf("second refresh: %v %v", did, err)
	}
	if n := len(e.events(seq)); n != 0 {
		t.Fatalf("%d events from an idle refresh", n)
	}
	// The trend holds the closing day, with its rates.
	var trend struct {
		Items []struct {
			Day    string `json:"day"`
			Counts counts `json:"counts"`
			Rates  rates  `json:"rates"`
		} `json:"items"`
	}
	e.Must(200, "GET", "/compliance/trend?company_id=c1", nil, &trend)
	if len(trend.Items) != 2 || trend.Items[1].Day != "2026-06-11" || trend.Items[1].Counts.Certified != 1 || *trend.Items[1].Rates.Certified != 1 {
		t.Fatalf("trend %+v", trend)
	}
	e.Must(200, "GET", "/compliance/trend", nil, &trend)
	if len(trend.Items) != 2 || trend.Items[1].Counts.Active != 1 {
		t.Fatalf("district trend %+v", trend)
	}
	// Renewed: certified again, and 100% again.
	seq = e.lastSeq()
	g3 := next(g, func(g *guard) { g.Version = 3; g.CertificateValidUntil = "2029-06-11" })
	e.apply(envelope(eventsv1.TypeCertificateIssued, g3, &eventsv1.CertificateIssued{Guard: g3, IssuedOn: "2026-06-12"}))
	if c := e.company("c1"); c.Counts.Certified != 1 {
		t.Fatalf("renewed: %+v", c)
	}
	if got := typesOf(e.events(seq)); !slices.Equal(got, []string{eventsv1.TypeFourHundredReached}) {
		t.Fatalf("events after renewal %v", got)
	}
}

// TestSnapshotsAreKept400Days: each rollover snapshots the closing day,
// and a snapshot older than 400 days is pruned.
func TestSnapshotsAreKept400Days(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.hireTrained(okGuard("g1", "c1"))
	day := start
	for range 3 {
		day = day.AddDate(0, 0, 1)
		e.clock.set(day)
		if _, err := e.node.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var trend struct {
		Items []struct {
			Day string `json:"day"`
		} `json:"items"`
	}
	e.Must(200, "GET", "/compliance/trend?company_id=c1&days=400", nil, &trend)
	if len(trend.Items) != 3 || trend.Items[0].Day != "2026-06-10" {
		t.Fatalf("trend %+v", trend)
	}
	e.clock.set(start.AddDate(0, 0, 401))
	if _, err := e.node.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e.Must(200, "GET", "/compliance/trend?company_id=c1&days=400", nil, &trend)
	// 06-10 is 401 days back: pruned; 06-11 and 06-12 stay, and the day
	// before the jump closed.
	if len(trend.Items) != 3 || trend.Items[0].Day != "2026-06-11" {
		t.Fatalf("after 401 days %+v", trend)
	}
	n := testutil.Counts(t, e.node.DB().DB, "snapshots")["snapshots"]
	if n != 6 { // 3 days × (c1 + district)
		t.Fatalf("%d snapshot rows", n)
	}
}

// TestTrainingShortfallIsWarnedOnceBeforeTheYearEnds: a guard short of
// the year's hours within 30 days of 31 December is warned once.
func TestTrainingShortfallIsWarnedOnceBeforeTheYearEnds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.apply(hired(okGuard("g1", "c1")))
	seq := e.lastSeq()
	e.clock.set(time.Date(2026, 12, 1, 0, 0, 1, 0, cst)) // 30 days before the end
	for range 2 {
		if _, err := e.node.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.set(time.Date(2026, 12, 2, 0, 0, 1, 0, cst))
	if _, err := e.node.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var warnings []*eventsv1.RequirementLapsing
	for _, ev := range e.events(seq) {
		if ev.Type == eventsv1.TypeRequirementLapsing {
			warnings = append(warnings, testutil.Payload(t, ev, &eventsv1.RequirementLapsing{}))
		}
	}
	if len(warnings) != 1 || warnings[0].GetCriterion() != "training" || warnings[0].GetLapsesOn() != "2026-12-31" ||
		warnings[0].GetDaysLeft() != 30 || warnings[0].GetRequiredHours() != 24 || warnings[0].GetHours() != 0 {
		t.Fatalf("warnings %+v", warnings)
	}
}

// TestChangedCountsAreAnnouncedCoalesced: however many membership events
// move a company's counts between two refreshes, one
// FourHundredCountsChanged per company carries its counts as they are
// then; nothing changed, nothing announced; versions only move forward.
func TestChangedCountsAreAnnouncedCoalesced(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.hireTrained(okGuard("g1", "c1"))
	e.apply(hired(okGuard("g2", "c1")), hired(okGuard("g3", "c2")))
	seq := e.lastSeq()
	if n, err := e.node.AnnounceCounts(ctx); err != nil || n != 2 {
		t.Fatalf("announced %d, %v; want c1 and c2", n, err)
	}
	var last int64
	for _, ev := range e.events(seq) {
		m := testutil.Payload(t, ev, &eventsv1.FourHundredCountsChanged{})
		c := m.GetCounts()
		if c.GetCompanyId() == "c1" && (c.GetActive() != 2 || c.GetTrained() != 1) {
			t.Fatalf("c1 %+v", c)
		}
		if c.GetCompanyId() == "c1" {
			last = c.GetVersion()
		}
	}
	if n, _ := e.node.AnnounceCounts(ctx); n != 0 {
		t.Fatalf("announced %d with nothing changed", n)
	}
	// A change that moves no count (a new version, same standing) is not one.
	g := next(okGuard("g2", "c1"), func(*guard) {})
	e.apply(updated(g))
	if n, _ := e.node.AnnounceCounts(ctx); n != 0 {
		t.Fatalf("announced %d for an unscored change", n)
	}
	g = next(g, func(g *guard) { g.BadgeService = false })
	e.apply(updated(g))
	seq = e.lastSeq()
	if n, _ := e.node.AnnounceCounts(ctx); n != 1 {
		t.Fatalf("announced %d, want c1", n)
	}
	for _, ev := range e.events(seq) {
		if ev.Type != eventsv1.TypeFourHundredCountsChanged {
			continue
		}
		c := testutil.Payload(t, ev, &eventsv1.FourHundredCountsChanged{}).GetCounts()
		if c.GetBadgeService() != 1 || c.GetVersion() <= last {
			t.Fatalf("c1 %+v after version %d", c, last)
		}
	}
}

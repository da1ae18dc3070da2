// Package storetest is the patrols store's contract: what the service
// relies on its repository to do, checked through service.Repository and
// nothing else (no SQL), so a store over another SQL dialect runs it
// unchanged. The store's tests run it on SQLite and on PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
	"github.com/guildhall/guildhall/services/patrols/internal/store"
)

// District is the district of the stores Run is given.
const District = "north"

var ctx = context.Background()

// Run runs the contract on stores open returns: each over an empty,
// migrated database of its own, with an outbox of District.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	kit.Run(t, open,
		kit.Group[*store.Store]{Name: "Guards (membership's, projected)", Run: guards},
		kit.Group[*store.Store]{Name: "Teams and members", Run: teams},
		kit.Group[*store.Store]{Name: "Shifts, assignments and scans", Run: scans},
		kit.Group[*store.Store]{Name: "Missed tours", Run: missedTours},
		kit.Group[*store.Store]{Name: "Tours watched", Run: tours},
		kit.Group[*store.Store]{Name: "Other districts' bookings", Run: bookings},
		kit.Group[*store.Store]{Name: "Dispatches", Run: dispatches},
		kit.Group[*store.Store]{Name: "Outbox", Run: outbox})
}

func guards(t *testing.T, s *store.Store) {
	if _, err := s.GetGuard(ctx, "g1"); !errors.Is(err, service.ErrGuardUnknown) {
		t.Fatalf("unknown guard: %v", err)
	}
	g := service.Guard{ID: "g1", CompanyID: "c1", EmploymentStatus: "active", VolunteerPolice: true, HasCertificate: true,
		CertificateValidUntil: "2027-01-01", BackgroundCheckStatus: "passed", IDHash: "p1", Version: 2}
	for _, tc := range []struct {
		version int64
		status  string
		applied bool
	}{{2, "active", true}, {2, "left", false}, {1, "left", false}, {3, "left", true}} {
		g.Version, g.EmploymentStatus = tc.version, tc.status
		ok, err := s.PutGuard(ctx, g)
		kit.Must(t, err)
		if ok != tc.applied {
			t.Fatalf("put version %d: applied %v, want %v", tc.version, ok, tc.applied)
		}
	}
	got, err := s.GetGuard(ctx, "g1")
	kit.Must(t, err)
	kit.Equal(t, "guard", got, service.Guard{ID: "g1", CompanyID: "c1", EmploymentStatus: "left", VolunteerPolice: true, HasCertificate: true,
		CertificateValidUntil: "2027-01-01", BackgroundCheckStatus: "passed", IDHash: "p1", Version: 3})
}

func teams(t *testing.T, s *store.Store) {
	for i := range 3 {
		kit.Must(t, s.InsertTeam(ctx, service.Team{ID: fmt.Sprintf("t%d", i), Name: "队", LeaderGuardID: "g1", CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}))
	}
	ids, pages := kit.Pages(t, func(p kitx.Page) ([]service.Team, string, error) { p.Size = 2; return s.ListTeams(ctx, p) },
		func(tm service.Team) string { return tm.ID })
	if !slices.Equal(ids, []string{"t0", "t1", "t2"}) || pages != 2 {
		t.Fatalf("pages %v in %d", ids, pages)
	}
	tm, err := s.GetTeam(ctx, "t0")
	kit.Must(t, err)
	tm.Version, tm.ActiveMembers = 2, 1
	kit.Must(t, s.TouchTeam(ctx, &tm))
	tm.Version = 2 // again over version 1: stale
	if err := s.TouchTeam(ctx, &tm); !errors.Is(err, kitx.ErrEtagStale) {
		t.Fatalf("stale touch: %v", err)
	}
	m := service.Member{TeamID: "t0", GuardID: "g1", CompanyID: "c1", Status: service.MemberActive, Reasons: []string{}, JoinedAt: kit.At, UpdatedAt: kit.At}
	kit.Must(t, s.PutMember(ctx, m))
	m.Status, m.Reasons = service.MemberSuspended, []string{"team.guard_not_active", "team.guard_uncertified"}
	kit.Must(t, s.PutMember(ctx, m))
	got, err := s.MembershipsOf(ctx, "g1")
	kit.Must(t, err)
	if len(got) != 1 || got[0].Status != service.MemberSuspended || !slices.Equal(got[0].Reasons, m.Reasons) {
		t.Fatalf("memberships %+v", got)
	}
	if _, err := s.GetTeam(ctx, "nope"); !errors.Is(err, service.ErrTeamNotFound) {
		t.Fatalf("unknown team: %v", err)
	}
}

func world(t *testing.T, s *store.Store) {
	t.Helper()
	kit.Must(t, s.InsertArea(ctx, service.Area{ID: "a1", Name: "区", Shape: service.ShapeCircle, Center: &service.LatLng{Lat: 30.5, Lng: 114.2}, RadiusM: 500, CreatedAt: kit.At}))
	kit.Must(t, s.InsertCheckpoint(ctx, service.Checkpoint{ID: "cp1", AreaID: "a1", Name: "门", TagKind: "qr", TagValue: "QR-00000001", Location: service.LatLng{Lat: 30.5, Lng: 114.2}, CreatedAt: kit.At}))
	kit.Must(t, s.InsertPlan(ctx, service.Plan{ID: "p1", Name: "计划", AreaID: "a1", StartsAt: kit.At, EndsAt: kit.At.Add(48 * time.Hour), CreatedAt: kit.At}))
	kit.Must(t, s.InsertShift(ctx, service.Shift{ID: "s1", PlanID: "p1", AreaID: "a1", StartsAt: kit.At.Add(time.Hour), EndsAt: kit.At.Add(3 * time.Hour),
		Required: 2, Route: []string{"cp1"}, ExpectedScans: 1, Version: 1}))
	kit.Must(t, s.InsertTeam(ctx, service.Team{ID: "t1", Name: "队", LeaderGuardID: "g1", CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}))
	kit.Must(t, s.PutMember(ctx, service.Member{TeamID: "t1", GuardID: "g1", Status: service.MemberActive, JoinedAt: kit.At, UpdatedAt: kit.At}))
	kit.Must(t, s.InsertAssignment(ctx, service.Assignment{ShiftID: "s1", GuardID: "g1", TeamID: "t1", AssignedAt: kit.At}))
}

func scans(t *testing.T, s *store.Store) {
	world(t, s)
	if _, err := s.CheckpointByTag(ctx, "QR-unknown"); !errors.Is(err, service.ErrScanTagUnknown) {
		t.Fatalf("unknown tag: %v", err)
	}
	sh, err := s.GetShift(ctx, "s1")
	kit.Must(t, err)
	if !slices.Equal(sh.Route, []string{"cp1"}) || !slices.Equal(sh.GuardIDs, []string{"g1"}) {
		t.Fatalf("shift %+v", sh)
	}
	// The shift runs 1h–3h after At: with 10 minutes' grace, a scan at
	// 50 min counts, one at 49 does not.
	for _, tc := range []struct {
		at       time.Duration
		guard    string
		n        int
		assigned bool
	}{{50 * time.Minute, "g1", 1, true}, {49 * time.Minute, "g1", 0, false}, {190 * time.Minute, "g1", 1, true}, {2 * time.Hour, "g2", 1, false}} {
		got, err := s.ScanShifts(ctx, "cp1", tc.guard, kit.At.Add(tc.at), 10*time.Minute)
		kit.Must(t, err)
		if len(got) != tc.n || (tc.n == 1 && got[0].GuardAssigned != tc.assigned) {
			t.Fatalf("scan shifts at %v for %s: %+v", tc.at, tc.guard, got)
		}
	}
	busy, err := s.GuardShiftsOverlapping(ctx, "g1", kit.At.Add(3*time.Hour), kit.At.Add(4*time.Hour))
	kit.Must(t, err)
	if len(busy) != 0 {
		t.Fatalf("a shift ending when the next starts overlaps: %v", busy)
	}
	at := kit.At.Add(2 * time.Hour)
	sc := service.Scan{ID: "x1", ShiftID: "s1", GuardID: "g1", CheckpointID: "cp1", ScannedAt: at, DeviceTime: at, ReceivedAt: at,
		DeviceID: "d1", DeviceSeq: 7, MockLocation: true}
	kit.Must(t, s.InsertScan(ctx, sc))
	if err := s.InsertScan(ctx, service.Scan{ID: "x2", ShiftID: "s1", GuardID: "g1", CheckpointID: "cp1", DeviceID: "d1", DeviceSeq: 7}); err == nil {
		t.Fatal("a second scan under the same device and sequence was stored")
	}
	got, ok, err := s.ScanByDevice(ctx, "d1", 7)
	kit.Must(t, err)
	if !ok || got.ID != "x1" || !got.MockLocation || !got.ScannedAt.Equal(at) {
		t.Fatalf("by device: %+v %v", got, ok)
	}
	// The repeat window is open at both ends.
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{{at.Add(59 * time.Second), true}, {at.Add(-59 * time.Second), true}, {at.Add(time.Minute), false}} {
		near, err := s.ScanNear(ctx, "g1", "cp1", tc.t, time.Minute)
		kit.Must(t, err)
		if near != tc.want {
			t.Fatalf("near %v: %v", tc.t.Sub(at), near)
		}
	}
	worked, err := s.WorkedShifts(ctx, kit.At, kit.At.Add(24*time.Hour))
	kit.Must(t, err)
	if len(worked) != 1 || worked[0].GuardID != "g1" || worked[0].ShiftID != "s1" {
		t.Fatalf("worked %+v", worked)
	}
	after, err := s.GuardShiftsAfter(ctx, "g1", kit.At)
	kit.Must(t, err)
	if len(after) != 1 {
		t.Fatalf("shifts after: %+v", after)
	}
	kit.Must(t, s.DeleteAssignment(ctx, "s1", "g1"))
	if after, _ := s.GuardShiftsAfter(ctx, "g1", kit.At); len(after) != 0 {
		t.Fatalf("after delete: %+v", after)
	}
}

func missedTours(t *testing.T, s *store.Store) {
	m := service.MissedTour{ID: "m1", ShiftID: "s1", PlanID: "p1", GuardID: "g1", Kind: service.TourNotStarted, RaisedAt: kit.At}
	for i, want := range []bool{true, false} {
		m.ID = fmt.Sprintf("m%d", i)
		ok, err := s.InsertMissedTour(ctx, m)
		kit.Must(t, err)
		if ok != want {
			t.Fatalf("insert %d: %v", i, ok)
		}
	}
	m.ID, m.Kind = "m9", service.TourNotFinished
	if ok, err := s.InsertMissedTour(ctx, m); err != nil || !ok {
		t.Fatalf("the other kind: %v %v", ok, err)
	}
	list, _, err := s.ListMissedTours(ctx, service.TourNotStarted, "", kitx.Page{Size: 10})
	kit.Must(t, err)
	if len(list) != 1 || list[0].ID != "m0" {
		t.Fatalf("list %+v", list)
	}
	// A withdrawn anomaly leaves the lists but keeps its place: the same
	// shift, guard and kind is not raised again.
	kit.Must(t, s.WithdrawMissedTour(ctx, "m0", kit.At))
	live, err := s.LiveMissedTours(ctx, "s1", "g1")
	kit.Must(t, err)
	if len(live) != 1 || live[0].ID != "m9" {
		t.Fatalf("live %+v", live)
	}
	if list, _, err = s.ListMissedTours(ctx, "", "", kitx.Page{Size: 10}); err != nil || len(list) != 1 || list[0].ID != "m9" {
		t.Fatalf("list after the withdrawal %+v %v", list, err)
	}
	m.ID, m.Kind = "m10", service.TourNotStarted
	if ok, err := s.InsertMissedTour(ctx, m); err != nil || ok {
		t.Fatalf("raised again after its withdrawal: %v %v", ok, err)
	}
}

// tours: what the missed-tour sweep reads of an assigned guard's shift,
// its scans and the anomalies already raised (flags the database computes,
// so both engines must hand them back as booleans).
func tours(t *testing.T, s *store.Store) {
	world(t, s)
	state := func() service.TourState {
		t.Helper()
		got, err := s.TourCandidates(ctx, kit.At.Add(2*time.Hour))
		kit.Must(t, err)
		if len(got) != 1 || got[0].Shift.ID != "s1" || got[0].GuardID != "g1" {
			t.Fatalf("tour candidates %+v", got)
		}
		return got[0]
	}
	if ts := state(); !ts.FirstScan.IsZero() || ts.Scans != 0 || ts.HasNotStarted || ts.HasNotFinish {
		t.Fatalf("before any scan or anomaly: %+v", ts)
	}
	if got, _ := s.TourCandidates(ctx, kit.At); len(got) != 0 {
		t.Fatalf("a shift not yet started is a candidate: %+v", got)
	}
	for i, d := range []time.Duration{100 * time.Minute, 70 * time.Minute} {
		at := kit.At.Add(d)
		kit.Must(t, s.InsertScan(ctx, service.Scan{ID: fmt.Sprintf("x%d", i), ShiftID: "s1", GuardID: "g1", CheckpointID: "cp1",
			ScannedAt: at, DeviceTime: at, ReceivedAt: at, DeviceID: "d1", DeviceSeq: int64(i)}))
	}
	_, err := s.InsertMissedTour(ctx, service.MissedTour{ID: "m1", ShiftID: "s1", PlanID: "p1", GuardID: "g1", Kind: service.TourNotFinished, RaisedAt: kit.At})
	kit.Must(t, err)
	if ts := state(); !ts.FirstScan.Equal(kit.At.Add(70*time.Minute)) || ts.Scans != 2 || ts.HasNotStarted || !ts.HasNotFinish {
		t.Fatalf("after two scans and a not-finished anomaly: %+v", ts)
	}
	first, n, err := s.GuardShiftScans(ctx, "s1", "g1")
	kit.Must(t, err)
	if !first.Equal(kit.At.Add(70*time.Minute)) || n != 2 {
		t.Fatalf("guard shift scans: %v %d", first, n)
	}
	if first, n, err := s.GuardShiftScans(ctx, "s1", "g2"); err != nil || !first.IsZero() || n != 0 {
		t.Fatalf("a guard without scans: %v %d %v", first, n, err)
	}
}

func bookings(t *testing.T, s *store.Store) {
	b := service.ForeignBooking{District: "south", ShiftID: "s9", GuardID: "g9", Person: "p1", StartsAt: kit.At, EndsAt: kit.At.Add(2 * time.Hour),
		AssignedAt: kit.At.Add(-time.Hour)}
	kit.Must(t, s.PutForeignBooking(ctx, b))
	kit.Must(t, s.PutForeignBooking(ctx, b)) // a replay replaces it
	for _, c := range []struct {
		person   string
		from, to time.Time
		want     int
	}{
		{"p1", kit.At.Add(time.Hour), kit.At.Add(3 * time.Hour), 1},
		{"p1", kit.At.Add(2 * time.Hour), kit.At.Add(3 * time.Hour), 0}, // starts as it ends
		{"p1", kit.At.Add(-time.Hour), kit.At, 0},                       // ends as it starts
		{"p2", kit.At, kit.At.Add(time.Hour), 0},
	} {
		got, err := s.ForeignBookingsOf(ctx, c.person, c.from, c.to)
		kit.Must(t, err)
		if len(got) != c.want {
			t.Fatalf("%s [%s, %s): %+v, want %d", c.person, c.from, c.to, got, c.want)
		}
		if c.want == 1 {
			kit.Equal(t, "booking", got[0], b)
		}
	}
	c := service.BookingConflict{ID: "x1", ShiftID: "s1", GuardID: "g1", Other: b, Outcome: service.BookingKept, FoundAt: kit.At}
	for i, want := range []bool{true, false} {
		c.ID = fmt.Sprintf("x%d", i)
		ok, err := s.InsertBookingConflict(ctx, c)
		kit.Must(t, err)
		if ok != want {
			t.Fatalf("conflict %d: %v", i, ok)
		}
	}
	if n, err := s.PruneForeignBookings(ctx, kit.At.Add(2*time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune at its end: %d %v", n, err)
	}
	if n, err := s.PruneForeignBookings(ctx, kit.At.Add(2*time.Hour+time.Second)); err != nil || n != 1 {
		t.Fatalf("prune after its end: %d %v", n, err)
	}
	kit.Must(t, s.PutForeignBooking(ctx, b))
	kit.Must(t, s.DeleteForeignBooking(ctx, "south", "s9", "g9"))
	if got, err := s.ForeignBookingsOf(ctx, "p1", kit.At, kit.At.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("after the delete: %+v %v", got, err)
	}
}

func dispatches(t *testing.T, s *store.Store) {
	world(t, s)
	duty, err := s.OnDutyTeams(ctx, kit.At.Add(2*time.Hour))
	kit.Must(t, err)
	if len(duty) != 1 || duty[0] != (service.OnDuty{TeamID: "t1", LeaderGuardID: "g1", AreaID: "a1"}) {
		t.Fatalf("on duty %+v", duty)
	}
	if duty, _ := s.OnDutyTeams(ctx, kit.At.Add(3*time.Hour)); len(duty) != 0 {
		t.Fatalf("on duty at the shift's end: %+v", duty)
	}
	d := service.Dispatch{ID: "d1", Kind: "纠纷", Urgency: "urgent", Status: service.DispatchOffered, RaisedAt: kit.At, Breaches: []string{}, Version: 1}
	kit.Must(t, s.InsertDispatch(ctx, d))
	d.Version, d.Status = 2, service.DispatchClosed
	kit.Must(t, s.WriteDispatch(ctx, d))
	if err := s.WriteDispatch(ctx, d); !errors.Is(err, kitx.ErrEtagStale) {
		t.Fatalf("stale write: %v", err)
	}
	open, err := s.OpenDispatches(ctx)
	kit.Must(t, err)
	if len(open) != 0 {
		t.Fatalf("a closed request is open: %+v", open)
	}
	got, err := s.GetDispatch(ctx, "d1")
	kit.Must(t, err)
	if got.Status != service.DispatchClosed || got.Version != 2 {
		t.Fatalf("dispatch %+v", got)
	}
	if _, err := s.GetDispatch(ctx, "nope"); !errors.Is(err, service.ErrDispatchNotFound) {
		t.Fatalf("unknown dispatch: %v", err)
	}
}

func outbox(t *testing.T, s *store.Store) {
	kit.Outbox(t, kit.Changes[service.Queries, service.Change]{
		Tx: s.Tx, In: s.In, Outbox: s.Outbox(),
		Create: func(ctx context.Context, q service.Queries, n int) (service.Change, error) {
			a := service.Area{ID: fmt.Sprintf("a%d", n), Name: "区", Shape: service.ShapeCircle, Center: &service.LatLng{Lat: 30, Lng: 114}, RadiusM: 100, CreatedAt: kit.At}
			return service.Change{Type: service.EventKeyAreaCreated, Area: &a}, q.InsertArea(ctx, a)
		},
		Stored: func(ctx context.Context, n int) (bool, error) {
			_, err := s.GetArea(ctx, fmt.Sprintf("a%d", n))
			if errors.Is(err, service.ErrAreaNotFound) {
				return false, nil
			}
			return err == nil, err
		},
		Unmappable: func(c service.Change) service.Change { c.Area = nil; return c },
	})
}

// Package storetest is the contract of HQ's read-model store: what the
// projector and the HQ service rely on it to do, checked through the
// store's methods and nothing else (no SQL, no SQLite), so that a store
// over another SQL dialect runs it unchanged. The SQLite store's test runs
// it today; a PostgreSQL store calls Run with a store over its own
// database.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// Run runs the contract on stores open returns: each a store over an
// empty, migrated database of its own.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	kit.Run(t, open,
		kit.Group[*store.Store]{Name: "Companies", Run: companies},
		kit.Group[*store.Store]{Name: "Guards and conflicts", Run: guards},
		kit.Group[*store.Store]{Name: "Council members", Run: council},
		kit.Group[*store.Store]{Name: "Districts", Run: districts},
		kit.Group[*store.Store]{Name: "Meetings", Run: meetings},
		kit.Group[*store.Store]{Name: "Action items", Run: actionItems},
		kit.Group[*store.Store]{Name: "Heartbeats", Run: heartbeats},
		kit.Group[*store.Store]{Name: "City compliance", Run: cityCompliance},
		kit.Group[*store.Store]{Name: "Obligation events in either order", Run: cityObligationOrder},
		kit.Group[*store.Store]{Name: "City patrols", Run: cityPatrols},
		kit.Group[*store.Store]{Name: "City messaging", Run: cityMessaging},
		kit.Group[*store.Store]{Name: "Seed figures", Run: seedFigures},
		kit.Group[*store.Store]{Name: "Key conflicts", Run: keyConflicts},
		kit.Group[*store.Store]{Name: "Guard tallies", Run: guardTallies},
		kit.Group[*store.Store]{Name: "Guards in bulk", Run: bulkGuards},
		kit.Group[*store.Store]{Name: "Certified at a day rollover", Run: certifiedAtRollover},
		kit.Group[*store.Store]{Name: "Transactions", Run: transactions})
}

var ctx = context.Background()

// in runs fn in a transaction of s's database, as the projector runs in
// a consumer's.
func in(t *testing.T, s *store.Store, fn func(tx *sql.Tx) error) {
	t.Helper()
	kit.Must(t, s.DB().InTx(ctx, fn))
}

func company(id, district, status string) store.Company {
	return store.Company{ID: id, District: district, Name: "公司" + id, CreditCode: "CC" + id, Kind: "service_company", Level: "member",
		Status: status, PartyOrg: true, TradeUnion: id != "c2", WorkersHome: false, ConventionVersion: "2026", Version: 2, UpdatedAt: kit.At}
}

func guard(id, district, companyID, hash, status string) store.Guard {
	g := store.Guard{ID: id, District: district, CompanyID: companyID, IDHash: hash, EmploymentStatus: status, HiredOn: "2024-01-01",
		HasCertificate: true, BackgroundCheckStatus: "passed", PreJobTrained: true, BadgeService: id != "g2", VolunteerPolice: false,
		PartyMember: true, Version: 1, UpdatedAt: kit.At}
	if status == "active" {
		g.ActiveSince = kit.At
	}
	return g
}

func companies(t *testing.T, s *store.Store) {
	in(t, s, func(tx *sql.Tx) error {
		for _, c := range []store.Company{company("c1", "north", "active"), company("c2", "north", "active"),
			company("c3", "north", "applied"), company("c9", "south", "active")} {
			kit.Must(t, s.PutCompany(ctx, tx, c, seenAt))
		}
		for _, g := range []store.Guard{guard("g1", "north", "c1", "h1", "active"), guard("g2", "north", "c1", "h2", "active"),
			guard("g3", "north", "c1", "h3", "left"), guard("g4", "north", "c2", "h4", "active")} {
			kit.Must(t, s.PutGuard(ctx, tx, g, seenAt))
		}
		return nil
	})
	t.Run("A company's stored version is found, and a company never put is not.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			v, found, err := s.CompanyVersion(ctx, tx, "c1")
			if err != nil || !found || v != 2 {
				t.Fatalf("CompanyVersion = %d %v %v", v, found, err)
			}
			if _, found, err := s.CompanyVersion(ctx, tx, "nope"); found || err != nil {
				t.Fatalf("an unknown company: %v %v", found, err)
			}
			return nil
		})
	})
	t.Run("A company put again is replaced.", func(t *testing.T) {
		c := company("c3", "north", "active")
		c.Name, c.Version, c.UpdatedAt = "改名", 5, kit.At.Add(time.Hour)
		in(t, s, func(tx *sql.Tx) error { return s.PutCompany(ctx, tx, c, seenAt) })
		rows, err := s.Companies(ctx, "north", today, "c2", 1)
		kit.Must(t, err)
		if len(rows) != 1 || rows[0].Name != "改名" || rows[0].Version != 5 || rows[0].Status != "active" || !rows[0].UpdatedAt.Equal(kit.At.Add(time.Hour)) {
			t.Fatalf("after replacing: %+v", rows)
		}
	})
	t.Run("A district's companies come in id order after a cursor, with their active guards' tallies.", func(t *testing.T) {
		rows, err := s.Companies(ctx, "north", today, "", 2)
		kit.Must(t, err)
		kit.Equal(t, "first page", kit.IDs(rows, func(r service.CompanyRow) string { return r.ID }), []string{"c1", "c2"})
		want := service.CompanyRow{ID: "c1", District: "north", Name: "公司c1", CreditCode: "CCc1", Kind: "service_company", Level: "member",
			Status: "active", PartyOrg: true, TradeUnion: true, ConventionVersion: "2026", Version: 2, UpdatedAt: kit.At,
			GuardsActive: 2, GuardsBackgroundChecked: 2, GuardsTrained: 2, GuardsCertified: 2, GuardsBadgeService: 1, GuardsPartyMembers: 2}
		kit.Equal(t, "c1", rows[0], want)
		rows, err = s.Companies(ctx, "north", today, "c2", 10)
		kit.Must(t, err)
		kit.Equal(t, "after c2", kit.IDs(rows, func(r service.CompanyRow) string { return r.ID }), []string{"c3"})
		if rows[0].GuardsActive != 0 {
			t.Fatalf("a company without guards: %+v", rows[0])
		}
	})
}

func guards(t *testing.T, s *store.Store) {
	later := kit.At.Add(48 * time.Hour)
	in(t, s, func(tx *sql.Tx) error {
		for _, g := range []store.Guard{
			guard("g1", "north", "c1", "same", "active"), guard("g2", "north", "c2", "same", "active"),
			guard("g3", "south", "c9", "same", "active"), guard("g4", "south", "c9", "other", "active"),
			guard("g5", "east", "c8", "other", "left"), guard("g6", "west", "c7", "", "active"), guard("g7", "east", "c8", "", "active"),
			guard("g8", "west", "c7", "twice", "active"), guard("g9", "west", "c6", "twice", "active"),
		} {
			if g.ID == "g3" {
				g.ActiveSince = later
			}
			kit.Must(t, s.PutGuard(ctx, tx, g, seenAt))
		}
		return nil
	})
	t.Run("A guard's stored state is found with the time it became active; a guard never put is not.", func(t *testing.T) {
		undo := errors.New("undo") // keeps g1 active for the conflicts below
		err := s.DB().InTx(ctx, func(tx *sql.Tx) error {
			st, found, err := s.GuardState(ctx, tx, "g3")
			if err != nil || !found {
				t.Fatalf("GuardState: %v %v", found, err)
			}
			kit.Equal(t, "state", st, store.GuardState{Version: 1, EmploymentStatus: "active", ActiveSince: later, IDHash: "same",
				District: "south", CompanyID: "c9", BackgroundCheckStatus: "passed", PreJobTrained: true, HasCertificate: true,
				BadgeService: true, PartyMember: true})
			if _, found, err := s.GuardState(ctx, tx, "nope"); found || err != nil {
				t.Fatalf("an unknown guard: %v %v", found, err)
			}
			left := guard("g1", "north", "c1", "same", "left")
			left.Version = 2
			kit.Must(t, s.PutGuard(ctx, tx, left, seenAt))
			st, _, err = s.GuardState(ctx, tx, "g1")
			kit.Must(t, err)
			kit.Equal(t, "after leaving", st, store.GuardState{Version: 2, EmploymentStatus: "left", IDHash: "same",
				District: "north", CompanyID: "c1", BackgroundCheckStatus: "passed", PreJobTrained: true, HasCertificate: true,
				BadgeService: true, PartyMember: true})
			return undo
		})
		if !errors.Is(err, undo) {
			t.Fatal(err)
		}
	})
	t.Run("One person active in two districts is a conflict since the later start; twice in one district, a left guard or an empty hash is none.", func(t *testing.T) {
		got, err := s.Conflicts(ctx)
		kit.Must(t, err)
		if len(got) != 1 {
			t.Fatalf("conflicts %+v", got)
		}
		c := got[0]
		if c.IDHash != "same" || fmt.Sprint(c.Districts) != "[north south]" || len(c.Guards) != 3 || !c.Since.Equal(later) ||
			c.Guards[2] != (service.GuardPosition{District: "south", CompanyID: "c9", GuardID: "g3", HiredOn: "2024-01-01", ActiveSince: later}) {
			t.Fatalf("conflict %+v", c)
		}
	})
}

func council(t *testing.T, s *store.Store) {
	m := store.CouncilMember{ID: "m1", District: "north", Term: 3, Position: "director", PersonName: "理事", Active: true, Version: 2}
	t.Run("A council member is written only by a newer version.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			for _, tc := range []struct {
				version int64
				want    bool
			}{{2, true}, {2, false}, {1, false}, {3, true}} {
				m.Version = tc.version
				wrote, err := s.PutCouncilMember(ctx, tx, m)
				if err != nil || wrote != tc.want {
					t.Fatalf("version %d: wrote %v, %v; want %v", tc.version, wrote, err, tc.want)
				}
			}
			return nil
		})
	})
}

func districts(t *testing.T, s *store.Store) {
	in(t, s, func(tx *sql.Tx) error {
		for _, c := range []store.Company{company("c1", "north", "active"), company("c2", "north", "active"), company("c3", "north", "applied")} {
			kit.Must(t, s.PutCompany(ctx, tx, c, seenAt))
		}
		for _, g := range []store.Guard{guard("g1", "north", "c1", "h1", "active"), guard("g2", "north", "c1", "h2", "active"),
			guard("g3", "north", "c2", "h3", "left")} {
			kit.Must(t, s.PutGuard(ctx, tx, g, seenAt))
		}
		kit.Must(t, s.TouchDistrict(ctx, tx, "north", kit.At.Add(time.Minute), kit.At.Add(2*time.Minute)))
		// An older event applied later: last_event_at stays, applied moves.
		kit.Must(t, s.TouchDistrict(ctx, tx, "north", kit.At, kit.At.Add(3*time.Minute)))
		kit.Must(t, s.TouchDistrict(ctx, tx, "quiet", kit.At, kit.At))
		return nil
	})
	t.Run("A district's counts are its companies by status and its active companies' and guards' tallies, with its freshness.", func(t *testing.T) {
		got, err := s.Districts(ctx, today)
		kit.Must(t, err)
		kit.Equal(t, "north", got["north"], service.DistrictData{
			Counts: service.Counts{Companies: 3, CompaniesByStatus: map[string]int64{"active": 2, "applied": 1}, CompaniesActive: 2,
				GuardsActive: 2, GuardsBackgroundChecked: 2, GuardsTrained: 2, GuardsCertified: 2, GuardsBadgeService: 1, GuardsPartyMembers: 2,
				PartyOrgCompanies: 2, UnionCompanies: 1, ConventionSigned: 2},
			Freshness: service.Freshness{LastEventAt: kit.At.Add(time.Minute), LastAppliedAt: kit.At.Add(3 * time.Minute), EventsApplied: 2},
		})
		kit.Equal(t, "quiet", got["quiet"], service.DistrictData{Counts: service.Counts{CompaniesByStatus: map[string]int64{}},
			Freshness: service.Freshness{LastEventAt: kit.At, LastAppliedAt: kit.At, EventsApplied: 1}})
		if len(got) != 2 {
			t.Fatalf("districts %v", got)
		}
	})
}

func meetings(t *testing.T, s *store.Store) {
	meeting := func(id, district, typ, status string, day int) store.Meeting {
		start := kit.At.Add(time.Duration(day) * 24 * time.Hour)
		return store.Meeting{ID: id, District: district, Type: typ, Title: "会议" + id, Status: status, StartsAt: start, EndsAt: start.Add(time.Hour),
			InvitedCompanies: 10, AttendedCompanies: 8, InvitedPeople: 3, AttendedPeople: 2, Version: 3, UpdatedAt: kit.At}
	}
	in(t, s, func(tx *sql.Tx) error {
		for _, m := range []store.Meeting{
			meeting("m1", "north", service.MeetingDistrictRoundtable, "closed", 1), meeting("m2", "north", service.MeetingDistrictRoundtable, "closed", 10),
			meeting("m3", "north", service.MeetingCouncil, "closed", 2), meeting("m4", "north", service.MeetingDistrictRoundtable, "scheduled", 3),
			meeting("m5", "south", service.MeetingDistrictRoundtable, "closed", 1),
			// Not held yet: its invitees count nowhere.
			meeting("m6", "north", service.MeetingCouncil, "scheduled", 4),
		} {
			kit.Must(t, s.PutMeeting(ctx, tx, m))
		}
		for _, c := range []store.Company{company("c1", "north", "active"), company("c2", "north", "suspended"), company("c9", "south", "active")} {
			kit.Must(t, s.PutCompany(ctx, tx, c, seenAt))
		}
		return nil
	})
	t.Run("A meeting's snapshot state is found, replaced by a newer put; a meeting never put is not found.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			st, found, err := s.MeetingState(ctx, tx, "m1")
			if err != nil || !found || st != (store.SnapshotState{Version: 3, UpdatedAt: kit.At}) {
				t.Fatalf("MeetingState = %+v %v %v", st, found, err)
			}
			m := meeting("m4", "north", service.MeetingDistrictRoundtable, "in_progress", 3)
			m.Version, m.UpdatedAt = 4, kit.At.Add(time.Hour)
			kit.Must(t, s.PutMeeting(ctx, tx, m))
			if st, _, err := s.MeetingState(ctx, tx, "m4"); err != nil || st != (store.SnapshotState{Version: 4, UpdatedAt: kit.At.Add(time.Hour)}) {
				t.Fatalf("after a newer put: %+v %v", st, err)
			}
			if _, found, err := s.MeetingState(ctx, tx, "nope"); found || err != nil {
				t.Fatalf("an unknown meeting: %v %v", found, err)
			}
			return nil
		})
	})
	t.Run("A resolution and a signature are recorded once.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			for _, want := range []bool{true, false} {
				if n, err := s.PutResolution(ctx, tx, store.Resolution{ID: "r1", District: "north", MeetingID: "m1", Title: "决议", ActionItems: 2}); err != nil || n != want {
					t.Fatalf("PutResolution = %v %v, want %v", n, err, want)
				}
			}
			for _, g := range []store.Signature{
				{ID: "s1", District: "north", CompanyID: "c1", ConventionVersion: "2026", Current: true, SignedAt: kit.At},
				{ID: "s2", District: "north", CompanyID: "c1", ConventionVersion: "2026", Current: true, SignedAt: kit.At},
				{ID: "s3", District: "north", CompanyID: "c2", ConventionVersion: "2026", Current: true, SignedAt: kit.At},
				{ID: "s4", District: "south", CompanyID: "c9", ConventionVersion: "2025", Current: true, SignedAt: kit.At},
				{ID: "s5", District: "south", CompanyID: "c9", ConventionVersion: "2026", Current: false, SignedAt: kit.At},
			} {
				for _, want := range []bool{true, false} {
					if n, err := s.PutSignature(ctx, tx, g); err != nil || n != want {
						t.Fatalf("PutSignature(%s) = %v %v, want %v", g.ID, n, err, want)
					}
				}
			}
			return nil
		})
	})
	t.Run("Closed meetings count per type; attendance sums the meetings held, in progress as well as closed; resolutions count per district.", func(t *testing.T) {
		got, err := s.Meetings(ctx, "2026-05-01")
		kit.Must(t, err)
		// m1, m2 and m3 closed, m4 in progress (its check-ins count as
		// they happen), m6 scheduled (nothing).
		kit.Equal(t, "north", got["north"], service.MeetingCounts{
			Held:        map[string]int64{service.MeetingDistrictRoundtable: 2, service.MeetingCouncil: 1},
			Resolutions: 1, InvitedCompanies: 40, AttendedCompanies: 32, InvitedPeople: 12, AttendedPeople: 8,
		})
	})
	t.Run("The signers of a version are active companies that signed it while it was current, once each.", func(t *testing.T) {
		got, err := s.ConventionSigners(ctx, "2026")
		kit.Must(t, err)
		kit.Equal(t, "signers", got, map[string]int64{"north": 1})
	})
	t.Run("Roundtables held are a district's closed roundtables starting in the window.", func(t *testing.T) {
		n, err := s.RoundtablesHeld(ctx, "north", kit.At, kit.At.Add(10*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("RoundtablesHeld = %d, %v", n, err)
		}
		n, err = s.RoundtablesHeld(ctx, "north", kit.At, kit.At.Add(10*24*time.Hour+time.Nanosecond))
		if err != nil || n != 2 {
			t.Fatalf("RoundtablesHeld to the start of m2 = %d, %v", n, err)
		}
	})
}

func actionItems(t *testing.T, s *store.Store) {
	item := func(n int, status, due string) store.ActionItem {
		return store.ActionItem{ID: fmt.Sprintf("a%d", n), District: "north", ResolutionID: "r1", MeetingID: "m1", Title: fmt.Sprintf("任务%d", n),
			OwnerKind: "company", OwnerCompanyID: "c1", DueOn: due, Status: status, Version: 1, UpdatedAt: kit.At}
	}
	in(t, s, func(tx *sql.Tx) error {
		for _, a := range []store.ActionItem{item(1, "open", "2026-04-01"), item(2, "open", "2026-06-01"), item(3, "done", "2026-04-01"),
			item(4, "accepted", ""), item(5, "open", "")} {
			kit.Must(t, s.PutActionItem(ctx, tx, a))
		}
		other := item(9, "open", "2026-01-01")
		other.District = "south"
		return s.PutActionItem(ctx, tx, other)
	})
	t.Run("An action item's snapshot state is found; one never put is not.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			if st, found, err := s.ActionItemState(ctx, tx, "a2"); err != nil || !found || st != (store.SnapshotState{Version: 1, UpdatedAt: kit.At}) {
				t.Fatalf("ActionItemState = %+v %v %v", st, found, err)
			}
			if _, found, err := s.ActionItemState(ctx, tx, "nope"); found || err != nil {
				t.Fatalf("an unknown item: %v %v", found, err)
			}
			return nil
		})
	})
	t.Run("Action items count per status; open ones due before today are overdue.", func(t *testing.T) {
		got, err := s.Meetings(ctx, "2026-05-01")
		kit.Must(t, err)
		n := got["north"]
		if n.ActionItemsOpen != 3 || n.ActionItemsOverdue != 1 || n.ActionItemsDone != 1 || n.ActionItemsAccepted != 1 {
			t.Fatalf("counts %+v", n)
		}
	})
	t.Run("A district's action items come in id order after a cursor, all or only the overdue.", func(t *testing.T) {
		id := func(r service.ActionItemRow) string { return r.ID }
		rows, err := s.ActionItems(ctx, "north", "", "a1", 3)
		kit.Must(t, err)
		kit.Equal(t, "after a1", kit.IDs(rows, id), []string{"a2", "a3", "a4"})
		kit.Equal(t, "a2", rows[0], service.ActionItemRow{ID: "a2", District: "north", ResolutionID: "r1", MeetingID: "m1", Title: "任务2",
			OwnerKind: "company", OwnerCompanyID: "c1", DueOn: "2026-06-01", Status: "open", Version: 1, UpdatedAt: kit.At})
		rows, err = s.ActionItems(ctx, "north", "2026-05-01", "", 10)
		kit.Must(t, err)
		kit.Equal(t, "overdue", kit.IDs(rows, id), []string{"a1"})
	})
}

func transactions(t *testing.T, s *store.Store) {
	t.Run("Writes in a transaction that rolls back leave nothing behind.", func(t *testing.T) {
		err := s.DB().InTx(ctx, func(tx *sql.Tx) error {
			kit.Must(t, s.PutCompany(ctx, tx, company("c1", "north", "active"), seenAt))
			kit.Must(t, s.TouchDistrict(ctx, tx, "north", kit.At, kit.At))
			return errors.New("the event is refused")
		})
		if err == nil {
			t.Fatal("the transaction committed")
		}
		got, err := s.Districts(ctx, today)
		kit.Must(t, err)
		if len(got) != 0 {
			t.Fatalf("after a rollback: %+v", got)
		}
	})
}

// seenAt is when the suite's writes happen (the first-seen time of any
// conflict they start) and today the day HQ reads them on; the contract
// holds whatever they are, as long as no certificate has lapsed by today.
var (
	seenAt = time.Date(2025, 9, 23, 10, 0, 0, 0, time.UTC)
	today  = "2025-09-23"
)

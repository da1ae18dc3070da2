// Package storetest is the meetings store's contract: what the service
// relies on its repository to do, checked through service.Repository and
// nothing else (no SQL, no SQLite), so that a store over another SQL
// dialect runs it unchanged. The SQLite store's test runs it today; a
// PostgreSQL store calls Run with a store over its own database.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
	"github.com/guildhall/guildhall/services/meetings/internal/store"
)

// Run runs the contract on stores open returns: each a store over an
// empty, migrated database of its own, with an outbox of District.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	kit.Run(t, open,
		kit.Group[*store.Store]{Name: "Meetings", Run: meetings},
		kit.Group[*store.Store]{Name: "Agenda", Run: agenda},
		kit.Group[*store.Store]{Name: "Invitations", Run: invitations},
		kit.Group[*store.Store]{Name: "Minutes", Run: minutes},
		kit.Group[*store.Store]{Name: "Resolutions and action items", Run: actionItems},
		kit.Group[*store.Store]{Name: "Convention signatures", Run: signatures},
		kit.Group[*store.Store]{Name: "Companies (membership's, projected)", Run: companies},
		kit.Group[*store.Store]{Name: "Outbox", Run: outbox})
}

// District is the district of the stores Run is given.
const District = "north"

var ctx = context.Background()

// meeting is the n-th meeting: odd ones are roundtables in progress, even
// ones council meetings in draft, a day apart.
func meeting(n int) service.Meeting {
	start := kit.At.Add(time.Duration(n) * 24 * time.Hour)
	return service.Meeting{
		ID: fmt.Sprintf("m%02d", n), Type: []string{"council", "district_roundtable"}[n%2], Title: fmt.Sprintf("第%d次工作会议", n),
		StartsAt: start, EndsAt: start.Add(2 * time.Hour), Venue: "协会三楼", Host: "罗灯亮",
		Status: []string{"draft", "in_progress"}[n%2], CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1,
	}
}

func meetingID(m service.Meeting) string { return m.ID }

// The versioned rows as the service declares them, from the interface.
var (
	meetingRow = versioned.Row[service.Queries, service.Meeting]{
		Get: service.Queries.GetMeeting, Write: service.Queries.WriteMeeting,
		Version: func(m *service.Meeting) *int64 { return &m.Version }, UpdatedAt: func(m *service.Meeting) *time.Time { return &m.UpdatedAt },
	}
	itemRow = versioned.Row[service.Queries, service.ActionItem]{
		Get: service.Queries.GetActionItem, Write: service.Queries.WriteActionItem,
		Version: func(a *service.ActionItem) *int64 { return &a.Version }, UpdatedAt: func(a *service.ActionItem) *time.Time { return &a.UpdatedAt },
	}
)

func entryRow(meetingID string) versioned.Row[service.Queries, service.MinuteEntry] {
	return versioned.Row[service.Queries, service.MinuteEntry]{
		Get: func(q service.Queries, ctx context.Context, id string) (service.MinuteEntry, error) {
			return q.GetMinuteEntry(ctx, meetingID, id)
		},
		Write:     service.Queries.WriteMinuteEntry,
		Version:   func(e *service.MinuteEntry) *int64 { return &e.Version },
		UpdatedAt: func(e *service.MinuteEntry) *time.Time { return &e.UpdatedAt },
	}
}

func meetings(t *testing.T, s *store.Store) {
	for n := 1; n <= 5; n++ {
		kit.Must(t, s.InsertMeeting(ctx, meeting(n)))
	}
	t.Run("A meeting reads back as inserted; one that is not there is ErrMeetingNotFound.", func(t *testing.T) {
		got, err := s.GetMeeting(ctx, "m03")
		kit.Must(t, err)
		kit.Equal(t, "meeting", got, meeting(3))
		if _, err := s.GetMeeting(ctx, "nope"); !errors.Is(err, service.ErrMeetingNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Lists filter by type and status, in pages in id order.", func(t *testing.T) {
		items, _, err := s.ListMeetings(ctx, service.MeetingFilter{Type: "district_roundtable", Status: "in_progress"}, kitx.Page{Size: 50})
		kit.Must(t, err)
		kit.Equal(t, "roundtables", kit.IDs(items, meetingID), []string{"m01", "m03", "m05"})
		got, n := kit.Pages(t, func(p kitx.Page) ([]service.Meeting, string, error) {
			return s.ListMeetings(ctx, service.MeetingFilter{}, p)
		}, meetingID)
		kit.Equal(t, "pages", fmt.Sprint(got, n), "[m01 m02 m03 m04 m05] 3")
	})
	t.Run("A meeting is written only over the version read.", func(t *testing.T) {
		kit.Versioned(t, service.Queries(s), meetingRow, "m02", func(m *service.Meeting) {
			m.Title, m.StartsAt, m.EndsAt, m.Venue, m.Host = "改期", kit.At.Add(time.Hour), kit.At.Add(3*time.Hour), "新址", "薛龙"
			m.Status, m.MinutesVersion, m.UpdatedAt = "scheduled", 2, kit.At.Add(time.Minute)
		})
	})
	t.Run("Roundtables held are those in progress or closed that start in the window, earliest first.", func(t *testing.T) {
		closed := meeting(7)
		closed.Status = "closed"
		kit.Must(t, s.InsertMeeting(ctx, closed))
		got, err := s.RoundtableStarts(ctx, meeting(3).StartsAt, meeting(7).StartsAt.Add(time.Nanosecond))
		kit.Must(t, err)
		kit.Equal(t, "starts", got, []time.Time{meeting(3).StartsAt, meeting(5).StartsAt, closed.StartsAt})
		got, err = s.RoundtableStarts(ctx, meeting(3).StartsAt, meeting(5).StartsAt)
		kit.Must(t, err)
		kit.Equal(t, "starts before m05", got, []time.Time{meeting(3).StartsAt})
	})
}

func agenda(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertMeeting(ctx, meeting(1)))
	item := func(id string, pos int) service.AgendaItem {
		return service.AgendaItem{ID: id, MeetingID: "m01", Position: pos, Kind: "signing", Title: "签订公约" + id, Presenter: "秘书长",
			DurationMin: 15, Signing: true, CreatedAt: kit.At}
	}
	t.Run("A meeting's agenda comes back in position order; no items is an empty agenda.", func(t *testing.T) {
		none, err := s.ListAgenda(ctx, "m01")
		if err != nil || none == nil || len(none) != 0 {
			t.Fatalf("empty agenda: %#v, %v", none, err)
		}
		for _, a := range []service.AgendaItem{item("a1", 2), item("a2", 1), item("a3", 3)} {
			kit.Must(t, s.InsertAgendaItem(ctx, a))
		}
		got, err := s.ListAgenda(ctx, "m01")
		kit.Must(t, err)
		kit.Equal(t, "agenda", got, []service.AgendaItem{item("a2", 1), item("a1", 2), item("a3", 3)})
	})
	t.Run("An item's position and resolution change; an item that is not there is an error.", func(t *testing.T) {
		a := item("a2", 4)
		a.ResolutionID = "r1"
		kit.Must(t, s.UpdateAgendaItem(ctx, a))
		got, err := s.ListAgenda(ctx, "m01")
		kit.Must(t, err)
		kit.Equal(t, "agenda", got, []service.AgendaItem{item("a1", 2), item("a3", 3), a})
		if err := s.UpdateAgendaItem(ctx, item("nope", 1)); err == nil {
			t.Fatal("updated an item that is not there")
		}
	})
}

func invitationID(v service.Invitation) string { return v.ID }

func invitations(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertMeeting(ctx, meeting(1)))
	kit.Must(t, s.InsertMeeting(ctx, meeting(2)))
	company := func(id, meetingID, companyID string) service.Invitation {
		return service.Invitation{ID: id, MeetingID: meetingID, Kind: "company", CompanyID: companyID, CompanyName: "公司" + companyID,
			CodeHash: "hash-" + id, Status: "invited", CreatedAt: kit.At, UpdatedAt: kit.At}
	}
	person := service.Invitation{ID: "i3", MeetingID: "m01", Kind: "person", PersonName: "王警官", PersonRole: "police", Organization: "经开分局",
		CodeHash: "hash-i3", Status: "invited", CreatedAt: kit.At, UpdatedAt: kit.At}
	for _, v := range []service.Invitation{company("i1", "m01", "c1"), company("i2", "m01", "c2"), person, company("i4", "m02", "c1")} {
		kit.Must(t, s.InsertInvitation(ctx, v))
	}
	t.Run("An invitation reads back by meeting and id, or by its code's hash; elsewhere it is ErrInvitationNotFound.", func(t *testing.T) {
		got, err := s.GetInvitation(ctx, "m01", "i3")
		kit.Must(t, err)
		kit.Equal(t, "invitation", got, person)
		got, err = s.InvitationByCode(ctx, "m01", "hash-i2")
		kit.Must(t, err)
		kit.Equal(t, "by code", got, company("i2", "m01", "c2"))
		for _, err := range []error{
			func() error { _, err := s.GetInvitation(ctx, "m02", "i3"); return err }(),
			func() error { _, err := s.InvitationByCode(ctx, "m02", "hash-i2"); return err }(),
		} {
			if !errors.Is(err, service.ErrInvitationNotFound) {
				t.Fatalf("another meeting's invitation: %v", err)
			}
		}
	})
	t.Run("A company is invited to a meeting once.", func(t *testing.T) {
		if err := s.InsertInvitation(ctx, company("i9", "m01", "c1")); !errors.Is(err, service.ErrInviteCompanyDuplicate) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Attendance is written with its check-in, and cleared again.", func(t *testing.T) {
		v := company("i1", "m01", "c1")
		in := kit.At.Add(time.Hour)
		v.Status, v.CheckedInAt, v.CheckedInBy, v.UpdatedAt = "present", &in, "door", in
		kit.Must(t, s.UpdateInvitation(ctx, v))
		got, err := s.GetInvitation(ctx, "m01", "i1")
		kit.Must(t, err)
		kit.Equal(t, "checked in", got, v)
		p := person
		p.Status, p.UpdatedAt = "absent", in
		kit.Must(t, s.UpdateInvitation(ctx, p))
		got, err = s.GetInvitation(ctx, "m01", "i3")
		kit.Must(t, err)
		kit.Equal(t, "absent", got, p)
	})
	t.Run("Counts: companies and people invited and attended.", func(t *testing.T) {
		m := meeting(1)
		kit.Must(t, s.FillCounts(ctx, &m))
		if m.InvitedCompanies != 2 || m.AttendedCompanies != 1 || m.InvitedPeople != 1 || m.AttendedPeople != 0 {
			t.Fatalf("counts %+v", m)
		}
	})
	t.Run("A meeting's invitations come in pages in id order.", func(t *testing.T) {
		got, n := kit.Pages(t, func(p kitx.Page) ([]service.Invitation, string, error) { return s.ListInvitations(ctx, "m01", p) }, invitationID)
		kit.Equal(t, "pages", fmt.Sprint(got, n), "[i1 i2 i3] 2")
	})
	t.Run("A company's invitations come with their meetings, oldest first, within the window.", func(t *testing.T) {
		invs, ms, err := s.CompanyInvitations(ctx, "c1", time.Time{}, time.Time{})
		kit.Must(t, err)
		if len(invs) != 2 || len(ms) != 2 || ms[0].ID != "m01" || ms[1].ID != "m02" || invs[0].Status != "present" ||
			invs[1].MeetingID != "m02" || !ms[1].StartsAt.Equal(meeting(2).StartsAt) || ms[1].Title != meeting(2).Title {
			t.Fatalf("invitations %+v, meetings %+v", invs, ms)
		}
		_, ms, err = s.CompanyInvitations(ctx, "c1", meeting(2).StartsAt, meeting(2).StartsAt.Add(time.Hour))
		kit.Must(t, err)
		kit.Equal(t, "window", kit.IDs(ms, meetingID), []string{"m02"})
	})
}

func minutes(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertMeeting(ctx, meeting(1)))
	entry := func(id string, pos int) service.MinuteEntry {
		return service.MinuteEntry{ID: id, MeetingID: "m01", Position: pos, Speaker: "余朦", SpeakerRole: "会长", CompanyID: "c1",
			Kind: "speech", Text: "讲话" + id, CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}
	}
	for _, e := range []service.MinuteEntry{entry("e1", 2), entry("e2", 1), entry("e3", 3)} {
		kit.Must(t, s.InsertMinuteEntry(ctx, e))
	}
	t.Run("Entries read back by meeting and id, and list in position order; elsewhere ErrMinuteEntryNotFound.", func(t *testing.T) {
		got, err := s.GetMinuteEntry(ctx, "m01", "e1")
		kit.Must(t, err)
		kit.Equal(t, "entry", got, entry("e1", 2))
		if _, err := s.GetMinuteEntry(ctx, "m02", "e1"); !errors.Is(err, service.ErrMinuteEntryNotFound) {
			t.Fatalf("got %v", err)
		}
		list, err := s.ListMinuteEntries(ctx, "m01")
		kit.Must(t, err)
		kit.Equal(t, "entries", kit.IDs(list, func(e service.MinuteEntry) string { return e.ID }), []string{"e2", "e1", "e3"})
	})
	t.Run("A draft entry is written only over the version read.", func(t *testing.T) {
		kit.Versioned(t, service.Queries(s), entryRow("m01"), "e3", func(e *service.MinuteEntry) {
			e.Speaker, e.SpeakerRole, e.Text, e.UpdatedAt = "薛龙", "副会长", "更正", kit.At.Add(time.Hour)
		})
	})
	t.Run("A draft entry may be deleted.", func(t *testing.T) {
		kit.Must(t, s.DeleteMinuteEntry(ctx, "m01", "e3"))
		if _, err := s.GetMinuteEntry(ctx, "m01", "e3"); !errors.Is(err, service.ErrMinuteEntryNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	})
	t.Run("Publishing marks the drafts once; a published entry is never written or deleted again.", func(t *testing.T) {
		n, err := s.PublishDrafts(ctx, "m01", 1)
		if err != nil || n != 2 {
			t.Fatalf("PublishDrafts = %d, %v", n, err)
		}
		if n, err := s.PublishDrafts(ctx, "m01", 2); err != nil || n != 0 {
			t.Fatalf("PublishDrafts again = %d, %v", n, err)
		}
		e, err := s.GetMinuteEntry(ctx, "m01", "e1")
		kit.Must(t, err)
		if e.PublishedIn != 1 {
			t.Fatalf("published in %d", e.PublishedIn)
		}
		e.Text, e.Version = "改", e.Version+1
		if err := s.WriteMinuteEntry(ctx, e); !errors.Is(err, kitx.ErrEtagStale) {
			t.Fatalf("writing a published entry: %v", err)
		}
		if err := s.DeleteMinuteEntry(ctx, "m01", "e1"); !errors.Is(err, service.ErrMinuteEntryPublished) {
			t.Fatalf("deleting a published entry: %v", err)
		}
	})
	t.Run("Versions of the minutes list in order.", func(t *testing.T) {
		v := func(n int) service.MinutesVersion {
			return service.MinutesVersion{Version: n, Entries: n + 1, PublishedAt: kit.At.Add(time.Duration(n) * time.Hour), PublishedBy: "admin"}
		}
		kit.Must(t, s.InsertMinutesVersion(ctx, "m01", v(2)))
		kit.Must(t, s.InsertMinutesVersion(ctx, "m01", v(1)))
		got, err := s.ListMinutesVersions(ctx, "m01")
		kit.Must(t, err)
		kit.Equal(t, "versions", got, []service.MinutesVersion{v(1), v(2)})
	})
}

func itemID(a service.ActionItem) string { return a.ID }

func actionItems(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertMeeting(ctx, meeting(1)))
	kit.Must(t, s.InsertMeeting(ctx, meeting(2)))
	res := func(id, meetingID string) service.Resolution {
		return service.Resolution{ID: id, MeetingID: meetingID, AgendaItemID: "a1", Title: "决议" + id, Text: "全文", AdoptedAt: kit.At}
	}
	for _, r := range []service.Resolution{res("r1", "m01"), res("r2", "m01"), res("r3", "m02")} {
		kit.Must(t, s.InsertResolution(ctx, r))
	}
	item := func(n int) service.ActionItem {
		return service.ActionItem{ID: fmt.Sprintf("x%d", n), ResolutionID: []string{"r1", "r3"}[n%2], MeetingID: []string{"m01", "m02"}[n%2],
			Title: fmt.Sprintf("任务%d", n), OwnerKind: "company", OwnerCompanyID: []string{"c1", "c2"}[n%2], DueOn: fmt.Sprintf("2026-05-0%d", n),
			Status: []string{"open", "done"}[n/4], CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}
	}
	for n := 1; n <= 5; n++ {
		kit.Must(t, s.InsertActionItem(ctx, item(n)))
	}
	t.Run("A resolution reads back as adopted; one that is not there is ErrResolutionNotFound; a meeting's list in pages.", func(t *testing.T) {
		got, err := s.GetResolution(ctx, "r2")
		kit.Must(t, err)
		kit.Equal(t, "resolution", got, res("r2", "m01"))
		if _, err := s.GetResolution(ctx, "nope"); !errors.Is(err, service.ErrResolutionNotFound) {
			t.Fatalf("got %v", err)
		}
		ids, n := kit.Pages(t, func(p kitx.Page) ([]service.Resolution, string, error) { return s.ListResolutions(ctx, "m01", p) },
			func(r service.Resolution) string { return r.ID })
		kit.Equal(t, "pages", fmt.Sprint(ids, n), "[r1 r2] 1")
	})
	t.Run("An action item reads back as created; one that is not there is ErrActionItemNotFound; a resolution's in id order.", func(t *testing.T) {
		got, err := s.GetActionItem(ctx, "x3")
		kit.Must(t, err)
		kit.Equal(t, "item", got, item(3))
		if _, err := s.GetActionItem(ctx, "nope"); !errors.Is(err, service.ErrActionItemNotFound) {
			t.Fatalf("got %v", err)
		}
		of, err := s.ActionItemsOf(ctx, "r3")
		kit.Must(t, err)
		kit.Equal(t, "of r3", kit.IDs(of, itemID), []string{"x1", "x3", "x5"})
	})
	t.Run("Lists filter by status, owner, meeting and overdue, in pages.", func(t *testing.T) {
		for _, tc := range []struct {
			f    service.ActionItemFilter
			want []string
		}{
			{service.ActionItemFilter{Status: "open", OwnerCompanyID: "c2"}, []string{"x1", "x3"}},
			{service.ActionItemFilter{MeetingID: "m01"}, []string{"x2", "x4"}},
			{service.ActionItemFilter{Overdue: true, Today: "2026-05-03"}, []string{"x1", "x2"}},
		} {
			items, _, err := s.ListActionItems(ctx, tc.f, kitx.Page{Size: 50})
			kit.Must(t, err)
			kit.Equal(t, fmt.Sprintf("%+v", tc.f), kit.IDs(items, itemID), tc.want)
		}
		ids, n := kit.Pages(t, func(p kitx.Page) ([]service.ActionItem, string, error) {
			return s.ListActionItems(ctx, service.ActionItemFilter{}, p)
		}, itemID)
		kit.Equal(t, "pages", fmt.Sprint(ids, n), "[x1 x2 x3 x4 x5] 3")
	})
	t.Run("An action item is written only over the version read.", func(t *testing.T) {
		kit.Versioned(t, service.Queries(s), itemRow, "x2", func(a *service.ActionItem) {
			a.Status, a.UpdatedAt = "done", kit.At.Add(time.Hour)
		})
	})
	t.Run("Open items due by a day and not reminded today are due; each is marked reminded once a day.", func(t *testing.T) {
		due, err := s.DueActionItems(ctx, "2026-05-03", "2026-05-01", 10)
		kit.Must(t, err)
		kit.Equal(t, "due", kit.IDs(due, itemID), []string{"x1", "x3"})
		for _, want := range []bool{true, false} {
			if done, err := s.MarkReminded(ctx, "x1", "2026-05-01"); err != nil || done != want {
				t.Fatalf("MarkReminded = %v, %v; want %v", done, err, want)
			}
		}
		due, err = s.DueActionItems(ctx, "2026-05-03", "2026-05-01", 1)
		kit.Must(t, err)
		kit.Equal(t, "due after a reminder", kit.IDs(due, itemID), []string{"x3"})
	})
}

func signatures(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertMeeting(ctx, meeting(1)))
	sig := func(id, companyID, version string) service.Signature {
		return service.Signature{ID: id, CompanyID: companyID, ConventionVersion: version, SignedBy: "法人", SignedAt: kit.At,
			MeetingID: "m01", Current: version == "2026", CreatedAt: kit.At}
	}
	for _, g := range []service.Signature{sig("s1", "c1", "2025"), sig("s2", "c1", "2026"), sig("s3", "c2", "2026")} {
		kit.Must(t, s.InsertSignature(ctx, g))
	}
	kit.Must(t, s.InsertInvitation(ctx, service.Invitation{ID: "i1", MeetingID: "m01", Kind: "company", CompanyID: "c3",
		CodeHash: "h1", Status: "invited", CreatedAt: kit.At, UpdatedAt: kit.At}))
	t.Run("A company signs a version once.", func(t *testing.T) {
		if err := s.InsertSignature(ctx, sig("s9", "c1", "2026")); !errors.Is(err, service.ErrSignatureDuplicate) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Signatures list by company and version, as signed, in pages.", func(t *testing.T) {
		items, _, err := s.ListSignatures(ctx, service.SignatureFilter{CompanyID: "c1", ConventionVersion: "2026"}, kitx.Page{Size: 50})
		kit.Must(t, err)
		kit.Equal(t, "c1's 2026", items, []service.Signature{sig("s2", "c1", "2026")})
		ids, n := kit.Pages(t, func(p kitx.Page) ([]service.Signature, string, error) {
			return s.ListSignatures(ctx, service.SignatureFilter{}, p)
		}, func(g service.Signature) string { return g.ID })
		kit.Equal(t, "pages", fmt.Sprint(ids, n), "[s1 s2 s3] 2")
	})
	t.Run("The signature counts are the active companies that signed the version while it was current, of the active companies.", func(t *testing.T) {
		// c1 and c2 signed 2026 while current, c4 (active) did not sign,
		// c3 only has an invitation; c2 is suspended: it counts nowhere.
		for _, c := range []service.Company{{ID: "c1", Name: "一", Status: "active", Version: 1}, {ID: "c2", Name: "二", Status: "suspended", Version: 2},
			{ID: "c4", Name: "四", Status: "active", Version: 1}} {
			_, err := s.PutCompany(ctx, c)
			kit.Must(t, err)
		}
		kit.Must(t, s.InsertSignature(ctx, service.Signature{ID: "s4", CompanyID: "c4", ConventionVersion: "2026", SignedBy: "法人",
			SignedAt: kit.At, Current: false, CreatedAt: kit.At}))
		signed, companies, err := s.SignatureCounts(ctx, "2026")
		if err != nil || signed != 1 || companies != 2 {
			t.Fatalf("SignatureCounts = %d of %d, %v; want 1 of 2", signed, companies, err)
		}
	})
}

func companies(t *testing.T, s *store.Store) {
	put := func(c service.Company) bool {
		t.Helper()
		ok, err := s.PutCompany(ctx, c)
		kit.Must(t, err)
		return ok
	}
	t.Run("An unknown company is company.not_found.", func(t *testing.T) {
		if _, err := s.GetCompany(ctx, "c1"); !errors.Is(err, service.ErrCompanyNotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("A company's versions only move forward.", func(t *testing.T) {
		if !put(service.Company{ID: "c1", Name: "旧名", Status: "applied", Version: 1}) {
			t.Fatal("the first version was not stored")
		}
		if !put(service.Company{ID: "c1", Name: "新名", Status: "active", Version: 3}) {
			t.Fatal("a newer version was not stored")
		}
		// A redelivered or late older snapshot changes nothing.
		if put(service.Company{ID: "c1", Name: "新名", Status: "active", Version: 3}) || put(service.Company{ID: "c1", Name: "旧名", Status: "applied", Version: 2}) {
			t.Fatal("a version not newer than the stored one was stored")
		}
		got, err := s.GetCompany(ctx, "c1")
		kit.Must(t, err)
		kit.Equal(t, "c1", got, service.Company{ID: "c1", Name: "新名", Status: "active", Version: 3})
	})
}

func outbox(t *testing.T, s *store.Store) {
	kit.Outbox(t, kit.Changes[service.Queries, service.Change]{
		Tx: s.Tx, In: s.In, Outbox: s.Outbox(),
		Create: func(ctx context.Context, q service.Queries, n int) (service.Change, error) {
			m := meeting(n)
			return service.Change{Type: service.EventMeetingScheduled, Meeting: &m}, q.InsertMeeting(ctx, m)
		},
		Stored: func(ctx context.Context, n int) (bool, error) {
			_, err := s.GetMeeting(ctx, meeting(n).ID)
			if errors.Is(err, service.ErrMeetingNotFound) {
				return false, nil
			}
			return err == nil, err
		},
		Unmappable: func(c service.Change) service.Change { c.Meeting = nil; return c },
	})
}

// Package storetest is the messaging store's contract: what the service
// relies on its repository to do, checked through service.Repository and
// nothing else, so that a store over another SQL dialect runs it
// unchanged. The store's tests run it on SQLite and on PostgreSQL.
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
	"github.com/guildhall/guildhall/services/messaging/internal/service"
	"github.com/guildhall/guildhall/services/messaging/internal/store"
)

// Run runs the contract on stores open returns: each over an empty,
// migrated database of its own, with an outbox of District.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	kit.Run(t, open,
		kit.Group[*store.Store]{Name: "Notices", Run: notices},
		kit.Group[*store.Store]{Name: "Receipts", Run: receipts},
		kit.Group[*store.Store]{Name: "Companies (membership's, projected)", Run: companies},
		kit.Group[*store.Store]{Name: "Directives and deliveries", Run: deliveries},
		kit.Group[*store.Store]{Name: "Liaison threads and markers", Run: liaison},
		kit.Group[*store.Store]{Name: "Mutual aid", Run: aid},
		kit.Group[*store.Store]{Name: "Publicity and the city's notice rates", Run: publicity},
		kit.Group[*store.Store]{Name: "Team leaders' notices", Run: teamNotices},
		kit.Group[*store.Store]{Name: "Outbox", Run: outbox})
}

// District is the district of the stores Run is given.
const District = "north"

var ctx = context.Background()

func notice(n int) service.Notice {
	deadline := kit.At.Add(time.Duration(n) * time.Hour)
	return service.Notice{ID: fmt.Sprintf("n%02d", n), Origin: []string{"district", "police"}[n%2], Title: fmt.Sprintf("通知%d", n),
		BodyMarkdown: "正文", BodyHTML: "<p>正文</p>", Attachments: []service.Attachment{{Name: "a", URL: "https://x.cn/a"}},
		Priority: "normal", AckRequired: true, AckDeadline: &deadline, Audience: service.Audience{Kind: "district"},
		Recipients: 2, Version: 1, Seq: 1, SentBy: "lead", PublishedAt: kit.At, UpdatedAt: kit.At}
}

var noticeRow = versioned.Row[service.Queries, service.Notice]{
	Get: service.Queries.GetNotice, Write: service.Queries.WriteNotice,
	Version: func(n *service.Notice) *int64 { return &n.Version }, UpdatedAt: func(n *service.Notice) *time.Time { return &n.UpdatedAt },
}

func notices(t *testing.T, s *store.Store) {
	for n := 1; n <= 5; n++ {
		kit.Must(t, s.InsertNotice(ctx, notice(n)))
	}
	got, err := s.GetNotice(ctx, "n01")
	kit.Must(t, err)
	want := notice(1)
	kit.Equal(t, "a notice read back", got, want)
	if _, err := s.GetNotice(ctx, "nope"); !errors.Is(err, service.ErrNoticeNotFound) {
		t.Fatalf("an unknown notice: %v", err)
	}
	ids, pages := kit.Pages(t, func(p kitx.Page) ([]service.Notice, string, error) {
		return s.ListNotices(ctx, service.NoticeFilter{}, p)
	},
		func(n service.Notice) string { return n.ID })
	kit.Equal(t, "every notice in id order", ids, []string{"n01", "n02", "n03", "n04", "n05"})
	if pages < 2 {
		t.Fatalf("%d pages", pages)
	}
	police, _, err := s.ListNotices(ctx, service.NoticeFilter{Origin: "police"}, kitx.Page{Size: 50})
	kit.Must(t, err)
	kit.Equal(t, "the police's", kit.IDs(police, func(n service.Notice) string { return n.ID }), []string{"n01", "n03", "n05"})
	kit.Versioned(t, service.Queries(s), noticeRow, "n02", func(n *service.Notice) { n.Title = "改" })
	// A directive's notice is unique per directive.
	d := notice(6)
	d.DirectiveID = "dir1"
	kit.Must(t, s.InsertNotice(ctx, d))
	if got, err := s.NoticeOfDirective(ctx, "dir1"); err != nil || got.ID != "n06" {
		t.Fatalf("the notice of a directive: %+v %v", got, err)
	}
	d.ID = "n07"
	if err := s.InsertNotice(ctx, d); err == nil {
		t.Fatal("a second notice of one directive was stored")
	}
	// The state write keeps the content.
	st := notice(3)
	st.Read, st.Acknowledged, st.Seq, st.Title = 2, 1, 4, "ignored"
	kit.Must(t, s.WriteNoticeState(ctx, st))
	got, err = s.GetNotice(ctx, "n03")
	kit.Must(t, err)
	if got.Read != 2 || got.Acknowledged != 1 || got.Seq != 4 || got.Title != "通知3" {
		t.Fatalf("after a state write %+v", got)
	}
}

func receipts(t *testing.T, s *store.Store) {
	for n := 1; n <= 2; n++ {
		kit.Must(t, s.InsertNotice(ctx, notice(n)))
		for _, c := range []string{"c1", "c2", "c3"} {
			kit.Must(t, s.InsertReceipt(ctx, service.Receipt{NoticeID: notice(n).ID, CompanyID: c, CompanyName: "公司" + c, Status: "delivered", Revision: 1, DeliveredAt: kit.At}))
		}
	}
	if _, err := s.GetReceipt(ctx, "n01", "c9"); !errors.Is(err, service.ErrReceiptNotFound) {
		t.Fatalf("no receipt: %v", err)
	}
	ids, _ := kit.Pages(t, func(p kitx.Page) ([]service.Receipt, string, error) { return s.ListReceipts(ctx, "n01", p) },
		func(r service.Receipt) string { return r.CompanyID })
	kit.Equal(t, "the receipts by company", ids, []string{"c1", "c2", "c3"})
	r, err := s.GetReceipt(ctx, "n01", "c1")
	kit.Must(t, err)
	at := kit.At.Add(time.Minute)
	r.Status, r.ReadAt, r.ReadBy, r.AcknowledgedAt, r.AcknowledgedBy, r.Comment, r.LastRemindedAt, r.Reminders = "acknowledged", &at, "王", &at, "王", "好", &at, 1
	kit.Must(t, s.UpdateReceipt(ctx, r))
	got, err := s.GetReceipt(ctx, "n01", "c1")
	kit.Must(t, err)
	kit.Equal(t, "a receipt read back", got, r)
	// Reminders due: not acknowledged, deadline within the window, not
	// reminded within the interval. n01's deadline is At+1h, n02's At+2h.
	due, err := s.RemindersDue(ctx, kit.At, 90*time.Minute, time.Hour, 100)
	kit.Must(t, err)
	kit.Equal(t, "reminders due", kit.IDs(due, func(r service.Receipt) string { return r.NoticeID + "/" + r.CompanyID }), []string{"n01/c2", "n01/c3"})
	// The company's notices, and a reset asking again.
	cs, _, err := s.CompanyNotices(ctx, "c1", true, kitx.Page{})
	kit.Must(t, err)
	if len(cs) != 2 || cs[0].Receipt.Status != "acknowledged" || cs[1].Receipt.Status != "delivered" {
		t.Fatalf("c1's notices %+v", cs)
	}
	n, err := s.ResetReceipts(ctx, "n01", 2, at)
	kit.Must(t, err)
	got, err = s.GetReceipt(ctx, "n01", "c1")
	kit.Must(t, err)
	if n != 3 || got.Status != "delivered" || got.Revision != 2 || got.AcknowledgedAt != nil || got.LastRemindedAt != nil || got.Reminders != 1 {
		t.Fatalf("after a reset (%d): %+v", n, got)
	}
}

func companies(t *testing.T, s *store.Store) {
	for _, c := range []service.Company{
		{ID: "c1", Name: "一", Status: "active", Level: "council", Version: 2},
		{ID: "c2", Name: "二", Status: "active", Level: "member", Version: 1},
		{ID: "c3", Name: "三", Status: "lapsed", Level: "council", Version: 1},
	} {
		ok, err := s.PutCompany(ctx, c)
		kit.Must(t, err)
		if !ok {
			t.Fatalf("%s not stored", c.ID)
		}
	}
	if ok, err := s.PutCompany(ctx, service.Company{ID: "c1", Name: "旧", Status: "lapsed", Version: 1}); err != nil || ok {
		t.Fatalf("an older snapshot stored: %v %v", ok, err)
	}
	all, err := s.ActiveCompanies(ctx, "")
	kit.Must(t, err)
	kit.Equal(t, "active", kit.IDs(all, func(c service.Company) string { return c.ID }), []string{"c1", "c2"})
	council, err := s.ActiveCompanies(ctx, "council")
	kit.Must(t, err)
	kit.Equal(t, "active council", kit.IDs(council, func(c service.Company) string { return c.ID }), []string{"c1"})
	if _, err := s.GetCompany(ctx, "c9"); !errors.Is(err, service.ErrCompanyNotFound) {
		t.Fatalf("unknown company: %v", err)
	}
}

func deliveries(t *testing.T, s *store.Store) {
	d := service.Directive{ID: "d1", Title: "指令", BodyMarkdown: "b", BodyHTML: "<p>b</p>", Attachments: []service.Attachment{}, Priority: "urgent",
		Districts: []string{"north"}, IssuedAt: kit.At, IssuedBy: "hq"}
	kit.Must(t, s.InsertDirective(ctx, d))
	got, err := s.GetDirective(ctx, "d1")
	kit.Must(t, err)
	kit.Equal(t, "a directive read back", got, d)
	at := kit.At.Add(time.Minute)
	put := func(seq int64, ack int, last *time.Time) bool {
		ok, err := s.PutDelivery(ctx, service.Delivery{DirectiveID: "d1", District: "north", NoticeID: "n1", Recipients: 3, Acknowledged: ack, DeliveredAt: kit.At, LastReceiptAt: last, Seq: seq})
		kit.Must(t, err)
		return ok
	}
	if !put(2, 1, &at) || put(1, 0, nil) || !put(3, 1, nil) {
		t.Fatal("deliveries do not move forward by sequence")
	}
	ds, err := s.Deliveries(ctx, "d1")
	kit.Must(t, err)
	if len(ds) != 1 || ds[0].Seq != 3 || ds[0].Acknowledged != 1 || ds[0].LastReceiptAt == nil || !ds[0].LastReceiptAt.Equal(at) {
		t.Fatalf("deliveries %+v: the last receipt time must survive an event without one", ds)
	}
}

func liaison(t *testing.T, s *store.Store) {
	kit.Must(t, s.InsertThread(ctx, service.Thread{ID: "t1", Title: "联络", CreatedBy: "lead", CreatedByRole: "district-admin", Posts: 3, CreatedAt: kit.At, LastPostAt: kit.At}))
	for seq := int64(1); seq <= 3; seq++ {
		var ms []string
		if seq == 3 {
			ms = []string{"ca"}
		}
		kit.Must(t, s.InsertPost(ctx, service.Post{ID: fmt.Sprintf("p%d", seq), ThreadID: "t1", Seq: seq, Author: "lead", BodyMarkdown: "b", BodyHTML: "b", Mentions: ms, CreatedAt: kit.At}))
	}
	th, err := s.GetThread(ctx, "t1", "ca")
	kit.Must(t, err)
	if th.Unread != 3 || th.UnreadMentions != 1 || th.LastRead != 0 {
		t.Fatalf("before reading %+v", th)
	}
	moved, err := s.SetReadMarker(ctx, "t1", "ca", 3, kit.At)
	kit.Must(t, err)
	back, err := s.SetReadMarker(ctx, "t1", "ca", 1, kit.At)
	kit.Must(t, err)
	if !moved || back {
		t.Fatalf("markers: moved %v, moved back %v", moved, back)
	}
	u, err := s.UnreadSummary(ctx, "ca")
	kit.Must(t, err)
	if u != (service.Unread{}) {
		t.Fatalf("after reading all: %+v", u)
	}
	ids, _ := kit.Pages(t, func(p kitx.Page) ([]service.Post, string, error) { return s.ListPosts(ctx, "t1", p) }, func(p service.Post) string { return p.ID })
	kit.Equal(t, "posts in order", ids, []string{"p1", "p2", "p3"})
}

func outbox(t *testing.T, s *store.Store) {
	kit.Outbox(t, kit.Changes[service.Queries, service.Change]{
		Tx: s.Tx, In: s.In, Outbox: s.Outbox(),
		Create: func(ctx context.Context, q service.Queries, n int) (service.Change, error) {
			x := notice(n)
			return service.Change{Type: service.EventNoticePublished, Notice: &x}, q.InsertNotice(ctx, x)
		},
		Stored: func(ctx context.Context, n int) (bool, error) {
			_, err := s.GetNotice(ctx, notice(n).ID)
			if errors.Is(err, service.ErrNoticeNotFound) {
				return false, nil
			}
			return err == nil, err
		},
		Unmappable: func(c service.Change) service.Change { c.Notice = nil; return c },
	})
}

// aid: a request's copy keeps the newest sequence and the earliest first
// offer whichever copy brought it; the guards a company can offer count
// the active (and, when asked, currently certified) ones; its committed
// guards, the offers on requests overlapping the time.
func aid(t *testing.T, s *store.Store) {
	at := func(h int) *time.Time { v := kit.At.Add(time.Duration(h) * time.Hour); return &v }
	r := service.AidRequest{ID: "r1", District: District, Kind: "event", Title: "马拉松", Headcount: 5, StartsAt: kit.At.Add(24 * time.Hour),
		EndsAt: kit.At.Add(30 * time.Hour), Place: "江滩", RequestedBy: "lead", RequesterRole: "district_admin", Status: "open", CreatedAt: kit.At, Seq: 1}
	for _, tc := range []struct {
		seq     int64
		first   *time.Time
		written bool
		want    *time.Time
	}{{1, nil, true, nil}, {2, at(3), true, at(3)}, {3, at(2), true, at(2)}, {4, at(5), true, at(2)}, {5, nil, true, at(2)}, {5, at(1), false, at(2)}} {
		r.Seq, r.FirstOfferAt = tc.seq, tc.first
		ok, err := s.PutAidRequest(ctx, r)
		kit.Must(t, err)
		got, err := s.GetAidRequest(ctx, "r1")
		kit.Must(t, err)
		if ok != tc.written || (got.FirstOfferAt == nil) != (tc.want == nil) || (tc.want != nil && !got.FirstOfferAt.Equal(*tc.want)) {
			t.Fatalf("seq %d first %v: written %v, first offer %v", tc.seq, tc.first, ok, got.FirstOfferAt)
		}
	}
	for _, g := range []service.Guard{
		{ID: "g1", CompanyID: "c1", Active: true, Certified: true, ValidUntil: "2099-12-31", Version: 1},
		{ID: "g2", CompanyID: "c1", Active: true, Certified: true, ValidUntil: "2000-01-01", Version: 1},
		{ID: "g3", CompanyID: "c1", Active: true, Version: 1},
		{ID: "g4", CompanyID: "c1", Certified: true, Version: 1},
		{ID: "g5", CompanyID: "c2", Active: true, Certified: true, Version: 1},
	} {
		ok, err := s.PutGuard(ctx, g)
		kit.Must(t, err)
		if !ok {
			t.Fatalf("guard %s not written", g.ID)
		}
	}
	for _, tc := range []struct {
		certified bool
		want      int
	}{{false, 3}, {true, 1}} {
		n, err := s.QualifiedGuards(ctx, "c1", tc.certified, "2025-09-23")
		kit.Must(t, err)
		if n != tc.want {
			t.Fatalf("qualified guards (certified %v): %d, want %d", tc.certified, n, tc.want)
		}
	}
	kit.Must(t, s.PutOffer(ctx, service.AidOffer{ID: "o1", RequestID: "r1", RequestDistrict: District, District: District, CompanyID: "c1",
		CompanyName: "甲", Headcount: 3, Status: "offered", OfferedBy: "boss", OfferedAt: kit.At}))
	for _, tc := range []struct {
		from, to time.Duration
		except   string
		want     int
	}{{25 * time.Hour, 26 * time.Hour, "", 3}, {25 * time.Hour, 26 * time.Hour, "o1", 0}, {30 * time.Hour, 31 * time.Hour, "", 0}} {
		n, err := s.CommittedGuards(ctx, "c1", kit.At.Add(tc.from), kit.At.Add(tc.to), tc.except)
		kit.Must(t, err)
		if n != tc.want {
			t.Fatalf("committed %v–%v except %q: %d, want %d", tc.from, tc.to, tc.except, n, tc.want)
		}
	}
}

// publicity: a post is written whole, again and again; the HQ role's
// rates count only the notices that ask for an acknowledgement.
func publicity(t *testing.T, s *store.Store) {
	p := service.PublicityPost{ID: "p1", District: District, Version: 1, Title: "好人好事", BodyMarkdown: "正文", BodyHTML: "<p>正文</p>",
		Author: "guard", AuthorRole: "company_admin", Status: "pending", SubmittedAt: kit.At, UpdatedAt: kit.At}
	kit.Must(t, s.PutPublicityPost(ctx, p))
	p.Version, p.Title, p.Status, p.PublishedVersion, p.PublishedAt = 2, "好人好事（修订）", "published", 2, &kit.At
	kit.Must(t, s.PutPublicityPost(ctx, p))
	got, err := s.GetPublicityPost(ctx, "p1")
	kit.Must(t, err)
	if got.Version != 2 || got.Title != p.Title || got.Status != "published" || got.PublishedAt == nil || !got.PublishedAt.Equal(kit.At) {
		t.Fatalf("post after its rewrite: %+v", got)
	}
	for i, n := range []service.Notice{
		{District: "east", ID: "n1", Origin: "district", AckRequired: true, Recipients: 4, Acknowledged: 1, Seq: 1},
		{District: "east", ID: "n2", Origin: "district", AckRequired: false, Recipients: 9, Seq: 1},
		{District: "west", ID: "n1", Origin: "hq", AckRequired: true, Recipients: 2, Acknowledged: 2, Seq: 1},
		{District: "east", ID: "n1", Origin: "district", AckRequired: true, Recipients: 4, Acknowledged: 3, Seq: 2},
	} {
		if err := s.PutDistrictNotice(ctx, n); err != nil {
			t.Fatalf("district notice %d: %v", i, err)
		}
	}
	rates, err := s.NoticeRates(ctx)
	kit.Must(t, err)
	want := []service.DistrictNoticeRate{{District: "east", Notices: 1, Recipients: 4, Acknowledged: 3}, {District: "west", Notices: 1, Recipients: 2, Acknowledged: 2}}
	if fmt.Sprint(rates) != fmt.Sprint(want) {
		t.Fatalf("notice rates %+v, want %+v", rates, want)
	}
}

// teamNotices: one notice per patrols event and leader, whatever redelivers
// the event; a leader's list, or everyone's; read once.
func teamNotices(t *testing.T, s *store.Store) {
	n := func(id, guard, event string) service.TeamNotice {
		return service.TeamNotice{ID: id, GuardID: guard, Kind: "member_suspended", Title: "队员停队", Body: "b", TeamID: "t1",
			SubjectGuardID: "g9", Reasons: []string{"team.member_left"}, EventID: event, CreatedAt: kit.At}
	}
	for _, tc := range []struct {
		n     service.TeamNotice
		added bool
	}{{n("tn1", "g1", "e1"), true}, {n("tn2", "g1", "e1"), false}, {n("tn3", "g2", "e1"), true}, {n("tn4", "g1", "e2"), true}} {
		added, err := s.InsertTeamNotice(ctx, tc.n)
		kit.Must(t, err)
		if added != tc.added {
			t.Fatalf("notice %s (event %s to %s): added %v, want %v", tc.n.ID, tc.n.EventID, tc.n.GuardID, added, tc.added)
		}
	}
	for guard, want := range map[string][]string{"g1": {"tn1", "tn4"}, "g2": {"tn3"}, "": {"tn1", "tn3", "tn4"}} {
		got, next, err := s.ListTeamNotices(ctx, guard, kitx.Page{Size: 10})
		kit.Must(t, err)
		var ids []string
		for _, x := range got {
			ids = append(ids, x.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) || next != "" {
			t.Fatalf("notices of %q: %v (next %q), want %v", guard, ids, next, want)
		}
	}
	kit.Must(t, s.MarkTeamNoticeRead(ctx, "tn1", kit.At.Add(time.Hour)))
	kit.Must(t, s.MarkTeamNoticeRead(ctx, "tn1", kit.At.Add(2*time.Hour)))
	got, err := s.GetTeamNotice(ctx, "g1", "tn1")
	kit.Must(t, err)
	if got.ReadAt == nil || !got.ReadAt.Equal(kit.At.Add(time.Hour)) {
		t.Fatalf("read at %v, want the first reading", got.ReadAt)
	}
	if _, err := s.GetTeamNotice(ctx, "g2", "tn1"); !errors.Is(err, service.ErrTeamNoticeNotFound) {
		t.Fatalf("another leader's notice: %v", err)
	}
	// A dispatch offer's notice keeps the dispatch it names.
	offer := n("tn5", "g1", "e3")
	offer.Kind, offer.SubjectGuardID, offer.DispatchID, offer.Reasons = "dispatch_offered", "", "dp-1", []string{}
	_, err = s.InsertTeamNotice(ctx, offer)
	kit.Must(t, err)
	got, err = s.GetTeamNotice(ctx, "g1", "tn5")
	kit.Must(t, err)
	if got.DispatchID != "dp-1" || got.Kind != "dispatch_offered" {
		t.Fatalf("the offer's notice read back as %+v", got)
	}
}

package service_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// fakeClock is a settable service clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// TestACertificateLapsesAtTheShanghaiDayBoundaryWithoutAWrite: a guard is
// certified on duty through valid_until and not from 00:00:00 +08:00 the
// next day, judged on each read from the service clock: no event, no write
// in between.
func TestACertificateLapsesAtTheShanghaiDayBoundaryWithoutAWrite(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 31, 23, 59, 59, 0, shanghai)}
	f := newFixture(t, service.WithClock(clock.Now))
	ctx := context.Background()
	c := f.member(t, 1)
	g, err := f.svc.HireGuard(ctx, service.HireGuardInput{CompanyID: c.ID, Name: "甲", IDNumber: rid(1), HiredOn: "2025-01-01",
		CertificateNumber: "鄂保证1", CertificateIssuedOn: "2021-04-01", CertificateValidUntil: "2026-03-31", CertificateAuthority: "武汉市公安局"})
	if err != nil {
		t.Fatal(err)
	}
	events := f.count(t, "eventbus_outbox")
	certified := func(want bool, when string) {
		t.Helper()
		got, err := f.svc.GetGuard(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Certified != want {
			t.Errorf("%s: certified %v, want %v", when, got.Certified, want)
		}
		has, _, err := f.svc.ListGuards(ctx, service.GuardFilter{Certificate: "has"}, kitx.Page{Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		if (len(has) == 1) != want {
			t.Errorf("%s: certificate=has lists %d guards", when, len(has))
		}
		none, _, err := f.svc.ListGuards(ctx, service.GuardFilter{Certificate: "none"}, kitx.Page{Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		if (len(none) == 1) == want {
			t.Errorf("%s: certificate=none lists %d guards", when, len(none))
		}
	}
	certified(true, "23:59:59 +08:00 on valid_until")
	// 16:00 UTC is midnight in Shanghai: the UTC date is still the 31st.
	clock.Set(time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC))
	certified(false, "00:00:00 +08:00 the day after")
	if n := f.count(t, "eventbus_outbox"); n != events {
		t.Errorf("the lapse wrote %d events", n-events)
	}
	// A renewal certifies again.
	clock.Set(time.Date(2026, 4, 1, 9, 0, 0, 0, shanghai))
	if _, err := f.svc.IssueCertificate(ctx, g.ID, service.CertificateInput{CertificateNumber: "鄂保证1", IssuedOn: "2026-04-01", ValidUntil: "2031-03-31"}); err != nil {
		t.Fatal(err)
	}
	certified(true, "after the renewal")
}

// expiringEvents returns the CertificateExpiring events in f's outbox.
func expiringEvents(t *testing.T, f fixture) []*eventsv1.CertificateExpiring {
	t.Helper()
	var out []*eventsv1.CertificateExpiring
	for _, ev := range testutil.OutboxEvents(t, f.db.DB, 0) {
		if ev.Type == eventsv1.TypeCertificateExpiring {
			out = append(out, testutil.Payload(t, ev, &eventsv1.CertificateExpiring{}))
		}
	}
	return out
}

// TestACertificateEnteringTheWindowIsAnnouncedOnceAtTheShanghaiDayBoundary:
// with a 30-day window, a certificate valid through 2026-04-01 enters it at
// 00:00:00 +08:00 on 2026-03-02, not at 23:59:59 the evening before; the
// check announces it once (a second check that day and a restarted service
// announce nothing), a renewal is announced again, and a guard who left or
// a lapsed certificate never is.
func TestACertificateEnteringTheWindowIsAnnouncedOnceAtTheShanghaiDayBoundary(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 23, 59, 59, 0, shanghai)}
	window := func() policy.CertificateExpiry { return policy.CertificateExpiry{WindowDays: 30} }
	f := newFixture(t, service.WithClock(clock.Now), service.WithCertificateExpiry(window))
	ctx := context.Background()
	c := f.member(t, 1)
	hire := func(n int, number, validUntil string) service.Guard {
		t.Helper()
		g, err := f.svc.HireGuard(ctx, service.HireGuardInput{CompanyID: c.ID, Name: "甲", IDNumber: rid(n), HiredOn: "2025-01-01",
			CertificateNumber: number, CertificateIssuedOn: "2021-01-01", CertificateValidUntil: validUntil})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g := hire(1, "鄂保证1", "2026-04-01")
	hire(2, "鄂保证2", "2026-02-28") // lapsed: not expiring
	hire(3, "鄂保证3", "")           // no end date
	left := hire(4, "鄂保证4", "2026-03-10")
	if _, err := f.svc.GuardLeaves(ctx, left.ID, service.LeaveInput{LeftOn: "2026-03-01"}); err != nil {
		t.Fatal(err)
	}
	announce := func(want int, when string) {
		t.Helper()
		n, err := f.svc.AnnounceExpiringCertificates(ctx)
		if err != nil || n != want {
			t.Fatalf("%s: announced %d, %v; want %d", when, n, err, want)
		}
	}
	announce(0, "23:59:59 +08:00 on 2026-03-01")
	clock.Set(time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)) // 00:00:00 +08:00 on 2026-03-02
	announce(1, "00:00:00 +08:00 on 2026-03-02")
	announce(0, "a second check the same day")
	restarted := service.New("caidian", f.store, f.ids, f.sealer, slog.New(slog.DiscardHandler),
		service.WithClock(clock.Now), service.WithCertificateExpiry(window))
	if n, err := restarted.AnnounceExpiringCertificates(ctx); err != nil || n != 0 {
		t.Fatalf("a restarted service announced %d, %v", n, err)
	}
	evs := expiringEvents(t, f)
	if len(evs) != 1 {
		t.Fatalf("%d CertificateExpiring events", len(evs))
	}
	ev := evs[0]
	if ev.GetGuard().GetId() != g.ID || ev.GetValidUntil() != "2026-04-01" || ev.GetWindowDate() != "2026-03-02" || ev.GetDaysLeft() != 30 ||
		ev.GetGuard().GetCertificateValidUntil() != "2026-04-01" || ev.GetGuard().GetCertificateNumber() != "鄂保证1" || ev.GetGuard().GetIdHash() == "" {
		t.Fatalf("event %v", ev)
	}
	// The list of expiring certificates agrees: the window's default and
	// an explicit one.
	list, _, err := f.svc.ListExpiringCertificates(ctx, service.ExpiringFilter{}, kitx.Page{Size: 10})
	if err != nil || len(list) != 1 || list[0].ID != g.ID {
		t.Fatalf("expiring list %v, %v", list, err)
	}
	if list, _, err = f.svc.ListExpiringCertificates(ctx, service.ExpiringFilter{WithinDays: 29}, kitx.Page{Size: 10}); err != nil || len(list) != 0 {
		t.Fatalf("a 29-day window lists %v, %v", list, err)
	}
	// A renewal to a date still in the window is a new certificate.
	if _, err := f.svc.IssueCertificate(ctx, g.ID, service.CertificateInput{CertificateNumber: "鄂保证1", IssuedOn: "2026-03-02", ValidUntil: "2026-03-20"}); err != nil {
		t.Fatal(err)
	}
	announce(1, "after a renewal within the window")
	announce(0, "a second check after the renewal")
}

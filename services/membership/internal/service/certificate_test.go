package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
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

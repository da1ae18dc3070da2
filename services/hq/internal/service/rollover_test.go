package service_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// TestCertifiedAtShanghaiMidnight: a district view and the summary count a
// guard certified through their certificate's last day and not from the
// next midnight in Asia/Shanghai (16:00 UTC, still the same UTC day), with
// no event between: the figure is the day's, not the one of the day the
// tallies were last moved to (the projector's clock when it applied, the
// real one here, after every day read), nor a shared read of the day before.
func TestCertifiedAtShanghaiMidnight(t *testing.T) {
	st, apply := cityModel(t)
	carded := func(id, until string) *eventsv1.Envelope {
		return envelope("d01", "membership", "GuardHired", id, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
			Id: id, District: "d01", CompanyId: "d01-c1", IdHash: "h" + id, EmploymentStatus: "active", HiredOn: "2025-01-01",
			Version: 1, HasCertificate: true, CertificateNumber: "N" + id, CertificateValidUntil: until}})
	}
	apply(companyActive("d01", "d01-c1"), carded("g1", "2025-09-30"), carded("g2", "2025-10-01"), carded("g3", ""))
	var clock atomic.Int64
	// With and without the kept reads (a Generation nothing moves here):
	// the day's figure without any event between.
	for _, gen := range []*service.Generation{nil, new(service.Generation)} {
		svc := service.New(st, monitor{ids: []string{"d01"}}, service.Config{Now: func() time.Time { return time.Unix(0, clock.Load()) }, Generation: gen})
		certifiedEachDay(t, st, svc, &clock)
	}
}

func certifiedEachDay(t *testing.T, st *store.Store, svc service.Service, clock *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	for _, tc := range []struct {
		at        time.Time
		certified int64
	}{
		{time.Date(2025, 9, 30, 23, 59, 59, 0, service.Shanghai), 3},
		{time.Date(2025, 10, 1, 0, 0, 0, 0, service.Shanghai), 2}, // g1's last day is past
		{time.Date(2025, 10, 1, 23, 59, 59, 0, service.Shanghai), 2},
		{time.Date(2025, 10, 2, 0, 0, 0, 0, service.Shanghai), 1},
		{time.Date(2025, 9, 30, 12, 0, 0, 0, service.Shanghai), 3}, // a clock set back
	} {
		clock.Store(tc.at.UnixNano())
		v, err := svc.District(ctx, "d01")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := svc.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.GuardsActive != 3 || v.GuardsCertified != tc.certified || sum.GuardsCertified != tc.certified {
			t.Errorf("at %v (%v): district %d active, %d certified, summary %d certified; want 3, %d",
				tc.at, tc.at.UTC(), v.GuardsActive, v.GuardsCertified, sum.GuardsCertified, tc.certified)
		}
		if err := st.VerifyGuardTallies(ctx, service.Today(tc.at)); err != nil {
			t.Error(err)
		}
	}
}

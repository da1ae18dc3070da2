package hq

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/policy"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// TestCertificateLapsesAtHQOnTheShanghaiDayBoundary: a guard whose
// certificate is valid until 2026-03-31 is certified on duty through that
// day in Asia/Shanghai and not from 2026-04-01, which begins at 16:00 UTC
// on March 31. HQ recomputes it when the clock crosses midnight in
// Shanghai, with no event in between: in the district view, the company
// rows, the summary and the certified gauge.
func TestCertificateLapsesAtHQOnTheShanghaiDayBoundary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// 23:59:59 on March 31 in Shanghai is 15:59:59 UTC.
	lastSecond := time.Date(2026, 3, 31, 23, 59, 59, 0, policy.Zone)
	var clock atomic.Int64
	clock.Store(lastSecond.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	reg := prometheus.NewPedanticRegistry()
	registry := &fakeRegistry{initial: []config.District{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}}}
	n, err := New(ctx, Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}},
		Deps{Districts: registry, Registerer: reg, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// The district is registered (the gauges are per registered district);
	// its consumers are stand-ins, the events are applied below.
	n.newConsumer = func(string, string) (consumer, error) {
		return &fakeConsumer{lag: &atomic.Int64{}, stopped: make(chan struct{})}, nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	apitest.Eventually(t, "ready", func() bool { return n.Ready(ctx) == nil })
	guard := func(id, hash, until string) *eventsv1.Envelope {
		return apitest.Envelope("jingkai", "membership", eventsv1.TypeCertificateIssued, "guard", id, &eventsv1.CertificateIssued{
			Guard: &eventsv1.Guard{Id: id, District: "jingkai", CompanyId: "c1", IdHash: hash, EmploymentStatus: "active",
				HasCertificate: true, CertificateNumber: "N-" + id, CertificateValidUntil: until, Version: 1}})
	}
	for _, e := range []*eventsv1.Envelope{
		registered("jingkai", "c1", "active"),
		guard("g1", "p1", "2026-03-31"), // lapses at the boundary
		guard("g2", "p2", "2026-04-01"), // valid one more day
	} {
		if err := n.db.InTx(ctx, func(tx *sql.Tx) error { _, err := n.proj.Apply(ctx, tx, e); return err }); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(apitest.ValidatedHandler(t, openAPI, asHQAdmin(n.Handler())))
	defer srv.Close()
	api := apitest.NewClient(t, srv.URL)
	certifiedGauge := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "guildhall_hq_district_four_hundred_rate" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "target" && l.GetValue() == "certified" {
						return m.GetGauge().GetValue()
					}
				}
			}
		}
		t.Fatal("no certified rate gauge")
		return 0
	}
	check := func(when string, certified, rate float64) {
		t.Helper()
		d := api.Object("/api/v1/hq/districts/jingkai")
		if d["guards_certified"] != certified || d["certified_rate"] != rate {
			t.Errorf("%s: district certified %v rate %v, want %v and %v", when, d["guards_certified"], d["certified_rate"], certified, rate)
		}
		rows := api.Object("/api/v1/hq/districts/jingkai/companies")["items"].([]any)
		if c := rows[0].(map[string]any); c["guards_certified"] != certified || c["certified_rate"] != rate {
			t.Errorf("%s: company c1 certified %v rate %v", when, c["guards_certified"], c["certified_rate"])
		}
		if s := api.Object("/api/v1/hq/summary"); s["guards_certified"] != certified {
			t.Errorf("%s: summary certified %v", when, s["guards_certified"])
		}
		if g := certifiedGauge(); g != rate {
			t.Errorf("%s: certified gauge %v, want %v", when, g, rate)
		}
	}
	check("on the certificate's last valid day", 2, 1)
	clock.Store(lastSecond.Add(time.Second).UnixNano()) // 2026-04-01 00:00:00 in Shanghai
	check("from the next day", 1, 0.5)
	clock.Store(time.Date(2026, 4, 2, 0, 0, 0, 0, policy.Zone).UnixNano())
	check("when the other lapses too", 0, 0)
}

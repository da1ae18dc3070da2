package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the read model's freshness and business gauges per
// district, computed from the Service at scrape time so they never drift
// from what the API shows.
type Collector struct {
	svc     Service
	timeout time.Duration
	now     func() time.Time

	lastEvent, behind, stale, guards, companies, fourRate, coverage, conflicts *prometheus.Desc
	conflictSeen, overdue, signatureRate, onTrack                              *prometheus.Desc
	status, beatAge, backlog, unsentAge, clockOffset, version                  *prometheus.Desc
}

// NewCollector returns a Collector over svc; each scrape reads the read
// model with the given timeout. now is the clock heartbeat ages are
// measured on (the service's); time.Now if nil.
func NewCollector(svc Service, timeout time.Duration, now func() time.Time) *Collector {
	d := []string{"district"}
	if now == nil {
		now = time.Now
	}
	return &Collector{
		svc: svc, timeout: timeout, now: now,
		lastEvent: prometheus.NewDesc("guildhall_hq_district_last_event_timestamp_seconds",
			"Occurred-at of the newest event HQ applied from the district (unix seconds).", d, nil),
		behind: prometheus.NewDesc("guildhall_hq_district_events_behind",
			"Events of the district's topics (membership, meetings) HQ has not applied yet (consumer lag); absent when unknown.", d, nil),
		stale: prometheus.NewDesc("guildhall_hq_district_stale",
			"1 when the district's data at HQ is stale (behind or disconnected for longer than the stale period).", d, nil),
		guards: prometheus.NewDesc("guildhall_hq_district_guards_active",
			"Active guards of the district.", d, nil),
		companies: prometheus.NewDesc("guildhall_hq_district_companies_active",
			"Active member companies of the district.", d, nil),
		fourRate: prometheus.NewDesc("guildhall_hq_district_four_hundred_rate",
			"The four 100% rates (四个100%) among active guards, 0..1: background_check, training, certified, badge; absent without active guards.",
			[]string{"district", "target"}, nil),
		coverage: prometheus.NewDesc("guildhall_hq_district_coverage_rate",
			"Coverage among active companies, 0..1: party_org, union, workers_home (the convention's is guildhall_hq_district_convention_signature_rate).",
			[]string{"district", "kind"}, nil),
		conflicts: prometheus.NewDesc("guildhall_hq_conflicts",
			"Conflicts across districts by kind: person (one person active in two districts), credit_code (one credit code registered in two), certificate_number (one certificate number in two districts or held by two people).",
			[]string{"kind"}, nil),
		conflictSeen: prometheus.NewDesc("guildhall_hq_conflict_newest_first_seen_timestamp_seconds",
			"When HQ first saw the newest conflict of the kind that still exists (unix seconds); absent when there is none.",
			[]string{"kind"}, nil),
		overdue: prometheus.NewDesc("guildhall_hq_district_action_items_overdue",
			"Open action items of the district due before today (Asia/Shanghai).", d, nil),
		signatureRate: prometheus.NewDesc("guildhall_hq_district_convention_signature_rate",
			"Active companies of the district that signed the current convention version, 0..1; absent when the current version is unknown.", d, nil),
		onTrack: prometheus.NewDesc("guildhall_hq_district_roundtables_on_track",
			"1 when the district held its expected roundtables in the current period; absent without a cadence.", d, nil),
		status: prometheus.NewDesc("guildhall_hq_district_status",
			"1 for the registered district's current status (ok, behind, silent, not_reported), 0 for the others; a deregistered district has no series.",
			[]string{"district", "status"}, nil),
		beatAge: prometheus.NewDesc("guildhall_hq_district_heartbeat_age_seconds",
			"Seconds since HQ received the service's last heartbeat (HQ's clock).", []string{"district", "service"}, nil),
		backlog: prometheus.NewDesc("guildhall_hq_district_outbox_backlog",
			"Outbox rows the service had not sent, as of its last heartbeat; absent when the node could not tell.",
			[]string{"district", "service"}, nil),
		unsentAge: prometheus.NewDesc("guildhall_hq_district_outbox_oldest_unsent_age_seconds",
			"Age of the service's oldest unsent outbox row as of its last heartbeat; 0 when none.", []string{"district", "service"}, nil),
		clockOffset: prometheus.NewDesc("guildhall_hq_district_clock_offset_seconds",
			"The node's clock minus HQ's when the service's last heartbeat arrived.", []string{"district", "service"}, nil),
		version: prometheus.NewDesc("guildhall_hq_district_service_version_info",
			"1, labelled with the build version the service's last heartbeat announced.", []string{"district", "service", "version"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lastEvent, c.behind, c.stale, c.guards, c.companies, c.fourRate, c.coverage, c.conflicts,
		c.conflictSeen, c.overdue, c.signatureRate, c.onTrack, c.status, c.beatAge, c.backlog, c.unsentAge, c.clockOffset,
		c.version} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	// Collect has no context; the timeout bounds a scrape against a busy database.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	views, err := c.svc.Districts(ctx, "")
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.guards, err)
		return
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	// A rate that is not reported (null in the API) has no sample: a
	// gauge of 0 would read as 0% and set off the alerts on low rates.
	rate := func(d *prometheus.Desc, v *float64, labels ...string) {
		if v != nil {
			g(d, *v, labels...)
		}
	}
	now := c.now()
	for _, v := range views {
		id := v.District
		for _, st := range DistrictStatuses {
			on := 0.0
			if v.Status == st {
				on = 1
			}
			g(c.status, on, id, st)
		}
		for _, sh := range v.Services {
			if sh.AsOf != nil {
				g(c.beatAge, max(now.Sub(*sh.AsOf).Seconds(), 0), id, sh.Service)
			}
			if sh.OutboxBacklog != nil {
				g(c.backlog, float64(*sh.OutboxBacklog), id, sh.Service)
				age := 0.0
				if sh.OldestUnsentAgeSeconds != nil {
					age = *sh.OldestUnsentAgeSeconds
				}
				g(c.unsentAge, age, id, sh.Service)
			}
			g(c.clockOffset, sh.ClockOffsetSeconds, id, sh.Service)
			g(c.version, 1, id, sh.Service, sh.Version)
		}
		if v.LastEventAt != nil {
			g(c.lastEvent, float64(v.LastEventAt.UnixNano())/1e9, id)
		}
		if v.EventsBehind != nil {
			g(c.behind, float64(*v.EventsBehind), id)
		}
		stale := 0.0
		if v.Stale {
			stale = 1
		}
		g(c.stale, stale, id)
		g(c.guards, float64(v.GuardsActive), id)
		g(c.companies, float64(v.CompaniesActive), id)
		rate(c.fourRate, v.BackgroundCheckRate, id, "background_check")
		rate(c.fourRate, v.TrainingRate, id, "training")
		rate(c.fourRate, v.CertifiedRate, id, "certified")
		rate(c.fourRate, v.BadgeRate, id, "badge")
		rate(c.coverage, v.PartyOrgRate, id, "party_org")
		rate(c.coverage, v.UnionRate, id, "union")
		rate(c.coverage, v.WorkersHomeRate, id, "workers_home")
		g(c.overdue, float64(v.ActionItemsOverdue), id)
		rate(c.signatureRate, v.ConventionSignatureRate, id)
		if v.Roundtables != nil {
			on := 0.0
			if v.Roundtables.OnTrack {
				on = 1
			}
			g(c.onTrack, on, id)
		}
	}
	// The tallies, not the conflicts: a scrape need not build every
	// conflict with its records (159 ms at 200,000 guards).
	tallies, err := c.svc.ConflictTallies(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.conflicts, err)
		return
	}
	count := map[string]int64{}
	newest := map[string]time.Time{}
	for kind, tl := range tallies {
		count[kind] = tl.Count
		if !tl.NewestFirstSeen.IsZero() {
			newest[kind] = tl.NewestFirstSeen
		}
	}
	// Every kind has a sample, 0 included, so an alert on > 0 sees the
	// series before the first conflict.
	for _, k := range ConflictKinds {
		g(c.conflicts, float64(count[k]), k)
		if t, ok := newest[k]; ok {
			g(c.conflictSeen, float64(t.UnixNano())/1e9, k)
		}
	}
}

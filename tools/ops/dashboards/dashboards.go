// Package dashboards builds Guildhall's Grafana dashboards with the
// grafana-foundation-sdk: city overview, one district node, the sync
// pipeline, SLO burn and dispatch response. Titles are Chinese with the
// English beside, for the offices that read them. `make dashboards` writes
// them to deploy/dashboards; the tests validate them and the standalone
// module's test checks every metric they name exists.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// panel is one time series or stat panel: a title and its queries
// (expression, legend).
type panel struct {
	title, unit string
	stat        bool
	queries     [][2]string
}

// ts is a time series panel, st a stat panel, each with (expr, legend) pairs.
func ts(title, unit string, q ...string) panel {
	return panel{title: title, unit: unit, queries: pairs(q)}
}
func st(title, unit string, q ...string) panel {
	return panel{title: title, unit: unit, stat: true, queries: pairs(q)}
}

func pairs(q []string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(q); i += 2 {
		out = append(out, [2]string{q[i], q[i+1]})
	}
	return out
}

func (p panel) build(id uint32) cog.Builder[dashboard.Panel] {
	if p.stat {
		b := stat.NewPanelBuilder().Id(id).Title(p.title).Unit(p.unit).Height(5).Span(6)
		for _, q := range p.queries {
			b.WithTarget(prometheus.NewDataqueryBuilder().Expr(q[0]).LegendFormat(q[1]))
		}
		return b
	}
	b := timeseries.NewPanelBuilder().Id(id).Title(p.title).Unit(p.unit).Height(8).Span(12)
	for _, q := range p.queries {
		b.WithTarget(prometheus.NewDataqueryBuilder().Expr(q[0]).LegendFormat(q[1]))
	}
	return b
}

// spec is one dashboard: uid, title, rows of panels and its variables.
type spec struct {
	uid, title string
	vars       []string // label names, each a variable over guildhall_endpoint_requests_total or the given metric
	rows       []row
}

type row struct {
	title  string
	panels []panel
}

func districtVar(metric string) cog.Builder[dashboard.VariableModel] {
	q := fmt.Sprintf("label_values(%s, district)", metric)
	return dashboard.NewQueryVariableBuilder("district").Label("区县 District").
		Query(dashboard.StringOrMap{String: &q}).Multi(true).IncludeAll(true)
}

// All returns every dashboard, by file name (without .json).
func All() map[string]spec { return specs }

// Build returns the dashboard's JSON.
func Build(s spec) ([]byte, error) {
	// The v1 schema: what every Grafana the offices run imports (the v2
	// one needs Grafana 12's dashboard API).
	//lint:ignore SA1019 v1 is what Grafana 10 and 11 import
	b := dashboard.NewDashboardBuilder(s.title)
	b.Uid(s.uid).Tags([]string{"guildhall", "generated"}).
		Refresh("1m").Time("now-6h", "now").Timezone(common.TimeZoneBrowser).Readonly()
	for _, v := range s.vars {
		b.WithVariable(districtVar(v))
	}
	// Grafana wants each panel's id unique in its dashboard.
	id := uint32(0)
	for _, r := range s.rows {
		id++
		b.WithRow(dashboard.NewRowBuilder(r.title).Id(id))
		for _, p := range r.panels {
			id++
			b.WithPanel(p.build(id))
		}
	}
	d, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", s.uid, err)
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

const sel = `district=~"$district"`

var specs = map[string]spec{
	"city-overview": {uid: "guildhall-city", title: "全市总览 City overview", rows: []row{
		{"各区县数据新鲜度 District freshness at HQ", []panel{
			ts("区县状态 District status (1 = stale)", "none", `guildhall_hq_district_stale`, "{{district}}"),
			ts("心跳间隔 Heartbeat age", "s", `max by (district) (guildhall_hq_district_heartbeat_age_seconds)`, "{{district}}"),
			ts("落后事件数 Events behind", "none", `guildhall_hq_district_events_behind`, "{{district}}"),
			ts("最新事件时间 Seconds since the newest event", "s", `time() - guildhall_hq_district_last_event_timestamp_seconds`, "{{district}}"),
		}},
		{"四个100% The four rates", []panel{
			ts("四个100% Four-100% rates", "percentunit", `guildhall_hq_district_four_hundred_rate`, "{{district}} {{target}}"),
			ts("覆盖率 Coverage", "percentunit", `guildhall_hq_district_coverage_rate`, "{{district}} {{kind}}"),
			st("在岗保安 Active guards", "none", `sum(guildhall_hq_district_guards_active)`, "guards"),
			st("在册企业 Active companies", "none", `sum(guildhall_hq_district_companies_active)`, "companies"),
			st("跨区冲突 Conflicts", "none", `sum(guildhall_hq_conflicts)`, "conflicts"),
		}},
	}},
	"district-node": {uid: "guildhall-district", title: "区县节点 District node", vars: []string{"guildhall_endpoint_requests_total"}, rows: []row{
		{"接口 API", []panel{
			ts("请求速率 Requests", "reqps", `sum by (service, outcome) (rate(guildhall_endpoint_requests_total{`+sel+`}[$__rate_interval]))`, "{{service}} {{outcome}}"),
			ts("错误 Errors by id", "reqps", `sum by (service, error_id) (rate(guildhall_endpoint_errors_total{`+sel+`}[$__rate_interval]))`, "{{service}} {{error_id}}"),
			ts("延迟 Latency p50 / p99", "s",
				`histogram_quantile(0.5, sum by (service, le) (rate(guildhall_endpoint_request_duration_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p50 {{service}}",
				`histogram_quantile(0.99, sum by (service, le) (rate(guildhall_endpoint_request_duration_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p99 {{service}}"),
		}},
		{"事件总线 Event bus", []panel{
			ts("发件箱积压 Outbox backlog", "none", `sum by (service) (guildhall_eventbus_outbox_backlog{`+sel+`})`, "{{service}}"),
			ts("中继主节点 Relay leadership", "none", `guildhall_eventbus_relay_leader{`+sel+`}`, "{{service}} leader",
				`guildhall_eventbus_relay_fenced{`+sel+`}`, "{{service}} fenced"),
			ts("发布 Published / errors", "ops", `sum by (service) (rate(guildhall_eventbus_published_total{`+sel+`}[$__rate_interval]))`, "{{service}} published",
				`sum by (service) (rate(guildhall_eventbus_publish_errors_total{`+sel+`}[$__rate_interval]))`, "{{service}} errors"),
			ts("消费滞后 Consumer lag", "none", `guildhall_eventbus_consumer_lag{`+sel+`}`, "{{consumer}} {{topic}}"),
		}},
	}},
	"sync-pipeline": {uid: "guildhall-sync", title: "同步链路 Sync pipeline", vars: []string{"guildhall_hq_district_stale"}, rows: []row{
		{"区县 → 总部 District → HQ", []panel{
			ts("区县状态 Status", "none", `guildhall_hq_district_status{`+sel+`} == 1`, "{{district}} {{status}}"),
			ts("发件箱最老未发 Oldest unsent outbox row", "s", `guildhall_hq_district_outbox_oldest_unsent_age_seconds{`+sel+`}`, "{{district}} {{service}}"),
			ts("发件箱积压 Outbox backlog (heartbeats)", "none", `guildhall_hq_district_outbox_backlog{`+sel+`}`, "{{district}} {{service}}"),
			ts("发布速率 Published", "ops", `sum by (district) (rate(guildhall_eventbus_published_total{`+sel+`}[$__rate_interval]))`, "{{district}}"),
			ts("总部应用 Applied at HQ", "ops", `sum by (district) (rate(guildhall_hq_events_applied_total{`+sel+`}[$__rate_interval]))`, "{{district}}"),
			ts("消费滞后 Consumer lag", "none", `sum by (district, consumer) (guildhall_eventbus_consumer_lag{`+sel+`})`, "{{district}} {{consumer}}"),
			// The district-lag SLO's own measure: event age when HQ applied it.
			ts("总部延迟 Event age at HQ p50 / p99 (target 30 s)", "s",
				`histogram_quantile(0.5, sum by (district, le) (rate(guildhall_eventbus_event_age_seconds_bucket{consumer="hq",service!="node",`+sel+`}[$__rate_interval])))`, "p50 {{district}}",
				`histogram_quantile(0.99, sum by (district, le) (rate(guildhall_eventbus_event_age_seconds_bucket{consumer="hq",service!="node",`+sel+`}[$__rate_interval])))`, "p99 {{district}}"),
			ts("应用耗时 Apply p99", "s", `histogram_quantile(0.99, sum by (consumer, le) (rate(guildhall_eventbus_apply_duration_seconds_bucket{`+sel+`}[$__rate_interval])))`, "{{consumer}}"),
			ts("死信 Dead letters", "ops", `sum by (district, consumer) (rate(guildhall_eventbus_consumer_dead_lettered_total{`+sel+`}[$__rate_interval]))`, "{{district}} {{consumer}}"),
			ts("时钟偏差 Clock offset", "s", `guildhall_hq_district_clock_offset_seconds{`+sel+`}`, "{{district}} {{service}}"),
		}},
	}},
	"slo-burn": {uid: "guildhall-slo", title: "SLO 消耗 SLO burn", rows: []row{
		{"错误预算 Error budget", []panel{
			ts("当前消耗速率 Burn rate (5m)", "none", `slo:current_burn_rate:ratio`, "{{sloth_slo}} {{service}} {{district}} {{consumer}}"),
			ts("30天消耗 Burn rate (30 days)", "none", `slo:period_burn_rate:ratio`, "{{sloth_slo}} {{service}} {{district}} {{consumer}}"),
			ts("剩余预算 Budget remaining (30 days)", "percentunit", `slo:period_error_budget_remaining:ratio`, "{{sloth_slo}} {{service}} {{district}} {{consumer}}"),
			ts("流量 Traffic against the floor (events/h)", "none", `slo:sli_events:rate1h * 3600`, "{{sloth_slo}} {{service}} {{district}} {{consumer}}"),
			st("告警 Firing SLO alerts", "none", `count(ALERTS{alertstate="firing",sloth_slo!=""}) or vector(0)`, "firing"),
		}},
	}},
	"dispatch-response": {uid: "guildhall-dispatch", title: "派警响应 Dispatch response", vars: []string{"guildhall_dispatch_due_total"}, rows: []row{
		{"时效 Time to respond", []panel{
			ts("接单 Time to accept p50 / p90", "s",
				`histogram_quantile(0.5, sum by (urgency, le) (rate(guildhall_dispatch_time_to_accept_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p50 {{urgency}}",
				`histogram_quantile(0.9, sum by (urgency, le) (rate(guildhall_dispatch_time_to_accept_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p90 {{urgency}}"),
			ts("到场 Time to arrive p50 / p90", "s",
				`histogram_quantile(0.5, sum by (urgency, le) (rate(guildhall_dispatch_time_to_arrive_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p50 {{urgency}}",
				`histogram_quantile(0.9, sum by (urgency, le) (rate(guildhall_dispatch_time_to_arrive_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p90 {{urgency}}"),
			ts("反馈 Time to feedback p50 / p90", "s",
				`histogram_quantile(0.5, sum by (urgency, le) (rate(guildhall_dispatch_time_to_feedback_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p50 {{urgency}}",
				`histogram_quantile(0.9, sum by (urgency, le) (rate(guildhall_dispatch_time_to_feedback_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p90 {{urgency}}"),
			ts("超时 Target breaches", "ops", `sum by (district, stage) (rate(guildhall_dispatch_target_breaches_total{`+sel+`}[$__rate_interval]))`, "{{district}} {{stage}}"),
			// The SLI itself (breaches ÷ stages due): a request nobody accepted
			// is no histogram sample above but one stage due here ("or 0 *":
			// no breach yet is 100%, not no line).
			ts("达标率 Within target (share of stages due)", "percentunit",
				`1 - (sum by (district, stage) (rate(guildhall_dispatch_target_breaches_total{`+sel+`}[$__rate_interval])) or 0 * sum by (district, stage) (rate(guildhall_dispatch_due_total{`+sel+`}[$__rate_interval])))`+
					` / sum by (district, stage) (rate(guildhall_dispatch_due_total{`+sel+`}[$__rate_interval]))`, "{{district}} {{stage}}"),
		}},
	}},
}

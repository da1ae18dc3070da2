package mixin

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

const spec = `
service: guildhall
labels: {owner: ops}
slos:
  - name: api
    objective: 99.9
    labels: {tier: tier-1}
    sli:
      events:
        error_query: sum by (service, district) (rate(x_errors[{{.window}}]))
        total_query: sum by (service, district) (rate(x_total[{{.window}}]))
    alerting:
      name: APIBurn
      annotations: {traffic_floor_per_hour: "60"}
  - name: fresh
    objective: 99.5
    labels: {tier: tier-2}
    sli:
      raw:
        error_ratio_query: max by (district) (avg_over_time(stale[{{.window}}]))
    alerting:
      name: FreshBurn
`

const sloth = `
groups:
- name: sloth-slo-alerts-guildhall-api
  rules:
  - alert: APIBurn
    expr: max(slo:sli_error:ratio_rate5m{sloth_id="guildhall-api"} > (14.4 * 0.0009999999999999432)) without (sloth_window)
    labels: {severity: page}
- name: sloth-slo-alerts-guildhall-fresh
  rules:
  - alert: FreshBurn
    expr: max(slo:sli_error:ratio_rate5m{sloth_id="guildhall-fresh"} > (14.4 * 0.0050000000000000044)) without (sloth_window)
    labels: {severity: ticket}
`

// TestWrapAddsFloorsRunbooksTiersAndExactBudgets checks what the wrapper
// adds to sloth's alerts: the traffic floor (only where the spec sets
// one, on the SLI's grouping labels), the runbook link, the tier, the
// budget as its exact decimal, and the floor's recording rule.
func TestWrapAddsFloorsRunbooksTiersAndExactBudgets(t *testing.T) {
	out, err := Wrap([]byte(spec), []byte(sloth), Options{RunbookBase: "https://r/"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		`and on (sloth_id, service, district)`,
		`(slo:sli_events:rate1h{sloth_id="guildhall-api"} * 3600 >= 60)`,
		`(14.4 * 0.001 + 1e-12)`, `(14.4 * 0.005 + 1e-12)`,
		`runbook_url: https://r/APIBurn.md`, `runbook_url: https://r/FreshBurn.md`,
		`tier: tier-1`, `tier: tier-2`,
		`record: slo:sli_events:rate1h`, `expr: sum by (service, district) (rate(x_total[1h]))`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "and on (") != 1 {
		t.Errorf("the floor wraps %d alerts, want only the one whose SLO has a floor", strings.Count(s, "and on ("))
	}
	names, err := AlertNames(out)
	if err != nil || strings.Join(names, ",") != "APIBurn,FreshBurn" {
		t.Errorf("AlertNames: %v %v", names, err)
	}
}

// TestWrapRefusesAFloorWithoutEvents: a floor counts events, so a time-based SLI cannot have one.
func TestWrapRefusesAFloorWithoutEvents(t *testing.T) {
	bad := strings.Replace(spec, "      name: FreshBurn\n", "      name: FreshBurn\n      annotations: {traffic_floor_per_hour: \"5\"}\n", 1)
	if _, err := Wrap([]byte(bad), []byte(sloth), Options{}); err == nil || !strings.Contains(err.Error(), "events SLI") {
		t.Errorf("err %v, want a floor needs an events SLI", err)
	}
}

// TestNoSLOSelectsAnIntegerBucketByItsTextForm: the city serves /metrics
// as OpenMetrics, which writes a whole-number bucket bound as "30.0" (the
// Prometheus text format as "30"), and Prometheus 2 keeps the label as
// scraped; a selector le="30" matches nothing there and the SLO has no
// data (make observe caught district-lag so). A whole-number bound must
// be selected by both forms (le=~"30|30[.]0").
func TestNoSLOSelectsAnIntegerBucketByItsTextForm(t *testing.T) {
	b, err := os.ReadFile("../../../deploy/mixin/slos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`le="[0-9]+"`).FindAllString(string(b), -1); len(m) > 0 {
		t.Fatalf("deploy/mixin/slos.yaml selects whole-number buckets by one text form only: %v", m)
	}
}

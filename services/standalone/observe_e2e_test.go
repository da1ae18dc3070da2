package standalone_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// seriesName matches a metric name a rule or dashboard query names; the
// recording rules' own names (slo:…) contain colons and are not scraped.
var seriesName = regexp.MustCompile(`\bguildhall_[a-z0-9_]+`)

// opsFiles are the generated rules and every dashboard.
func opsFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join("..", "..", "deploy", "mixin", "rules.yaml")}
	dash, err := filepath.Glob(filepath.Join("..", "..", "deploy", "dashboards", "*.json"))
	if err != nil || len(dash) != 5 {
		t.Fatalf("dashboards: %v %v", dash, err)
	}
	return append(files, dash...)
}

// afterDispatch are the series that exist only once a police dispatch was
// raised and answered in a district (the patrols service's histograms and
// breaches); this test does not yet drive a dispatch through its stages.
var afterDispatch = map[string]bool{
	"guildhall_dispatch_time_to_accept_seconds_count":    true,
	"guildhall_dispatch_time_to_accept_seconds_bucket":   true,
	"guildhall_dispatch_time_to_arrive_seconds_count":    true,
	"guildhall_dispatch_time_to_arrive_seconds_bucket":   true,
	"guildhall_dispatch_time_to_feedback_seconds_count":  true,
	"guildhall_dispatch_time_to_feedback_seconds_bucket": true,
	"guildhall_dispatch_target_breaches_total":           true,
}

// TestEveryMetricTheRulesAndDashboardsNameExists starts a city, makes it
// do what creates the event-driven series (a company registered, guards
// hired, a request refused, the events applied at HQ, heartbeats received), scrapes its
// admin /metrics and checks that every guildhall_* name the generated
// Prometheus rules and the dashboards use is there.
func TestEveryMetricTheRulesAndDashboardsNameExists(t *testing.T) {
	city, c := startCity(t, t.TempDir(), "-heartbeat.interval=1s")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.HireGuard(ctx, "jingkai", co, 1); err != nil {
		t.Fatal(err)
	}
	// A refused request: the errors by id series.
	if code, body := fetch(t, "POST", c.Base+"/api/v1/districts/jingkai/companies", c.Token, map[string]any{}); code != http.StatusBadRequest {
		t.Fatalf("an empty company: %d %.200s", code, body)
	}
	if _, err := c.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.GuardsActive == 1 }); err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{}
	for _, f := range opsFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range seriesName.FindAllString(string(b), -1) {
			want[n] = append(want[n], filepath.Base(f))
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d metric names in the rules and dashboards", len(want))
	}

	// Heartbeats reach HQ once a second; poll until every name is there.
	var missing []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := fetch(t, "GET", "http://"+city.AdminAddr()+"/metrics", "", nil)
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		have := map[string]bool{}
		for _, line := range strings.Split(body, "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			if i := strings.IndexAny(line, "{ "); i > 0 {
				have[line[:i]] = true
			}
		}
		missing = missing[:0]
		for n := range want {
			if !have[n] && !afterDispatch[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling interval
	}
	sort.Strings(missing)
	for _, n := range missing {
		t.Errorf("%s (named in %v) is not in the city's /metrics", n, want[n])
	}
}

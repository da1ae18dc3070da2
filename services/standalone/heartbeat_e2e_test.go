package standalone_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	hqsvc "github.com/guildhall/guildhall/services/hq"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// serviceNames lists the services of v, each with whether it is alive.
func serviceNames(v citytest.DistrictView, alive bool) []string {
	var out []string
	for _, s := range v.Services {
		if s.Alive == alive {
			out = append(out, s.Service)
		}
	}
	return out
}

// TestASilentDistrictIsNotAQuietOne runs HQ (with caidian) in one city and
// jingkai's node in a second one on the first's etcd and broker, as two
// operators would. While jingkai's node runs, HQ says ok for it; when it
// stops, HQ says silent within three heartbeat intervals, keeps its last
// figures with their as-of time, and says so in its metrics; restarted on
// the same data, jingkai is ok again with exact counts. caidian's node runs
// the whole time; a district nobody runs is not_reported.
func TestASilentDistrictIsNotAQuietOne(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two cities")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const beat = "-heartbeat.interval=200ms"
	hqCity, hq := startCity(t, t.TempDir(), "-districts=caidian", beat)
	shared := []string{"-hq=false", "-districts=jingkai", beat,
		"-etcd.endpoints=" + strings.Join(hqCity.Etcd().Endpoints(), ","),
		"-kafka.brokers=" + strings.Join(hqCity.BrokerAddrs(), ",")}
	dir := t.TempDir()
	district, dc := startCity(t, dir, shared...)

	co, err := dc.RegisterActiveCompany(ctx, "jingkai", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := dc.HireGuard(ctx, "jingkai", co, i); err != nil {
			t.Fatal(err)
		}
	}
	// Every service of a district node beats; under load the last may
	// send its first beat a while after the first, so wait for them all
	// (the list below is what must fall silent and come back).
	services := slices.Sorted(slices.Values(hqsvc.ConsumedServices))
	v, err := hq.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool {
		return v.Status == "ok" && v.GuardsActive == 3 && slices.Equal(serviceNames(v, true), services) &&
			len(serviceNames(v, false)) == 0
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Stale || v.Services[0].Version == "" || v.Services[1].OutboxBacklog == nil {
		t.Errorf("jingkai while it runs: %+v", v)
	}

	district.Close()
	stopped := time.Now()
	// The district is silent as soon as one service stopped beating; the
	// node closes its services one after the other, so under load the
	// last may beat a while longer. Wait for all of them.
	v, err = hq.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool {
		return v.Status == "silent" && len(serviceNames(v, true)) == 0
	})
	if err != nil {
		t.Fatal(err)
	}
	// Three intervals of 200 ms, the consumer's poll and this test's own
	// polling: far below a second on any machine, far above 0.
	if took := time.Since(stopped); took > 10*time.Second {
		t.Errorf("silent only after %v", took)
	}
	if !v.Stale || v.GuardsActive != 3 || !slices.Equal(serviceNames(v, false), services) {
		t.Errorf("the silent district: %+v", v)
	}
	for _, s := range v.Services {
		if s.SilentSince == nil || s.AsOf == nil || *s.SilentSince != *s.AsOf {
			t.Errorf("silent service %s: silent since %v, as of %v", s.Service, s.SilentSince, s.AsOf)
		}
	}
	var sum struct {
		SilentDistricts []string `json:"silent_districts"`
	}
	if err := hq.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/summary", nil, &sum); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sum.SilentDistricts, []string{"jingkai"}) {
		t.Errorf("summary's silent districts %v", sum.SilentDistricts)
	}
	_, metrics := fetch(t, "GET", "http://"+hqCity.AdminAddr()+"/metrics", "", nil)
	if !strings.Contains(metrics, `guildhall_hq_district_status{district="jingkai",status="silent"} 1`) ||
		!strings.Contains(metrics, `guildhall_hq_district_status{district="caidian",status="ok"} 1`) {
		var lines []string
		for _, l := range strings.Split(metrics, "\n") {
			if strings.HasPrefix(l, "guildhall_hq_district_status") {
				lines = append(lines, l)
			}
		}
		t.Errorf("status gauges:\n%s", strings.Join(lines, "\n"))
	}

	_, dc = startCity(t, dir, shared...)
	if _, err := dc.HireGuard(ctx, "jingkai", co, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := hq.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool {
		return v.Status == "ok" && v.GuardsActive == 4 && slices.Equal(serviceNames(v, true), services)
	}); err != nil {
		t.Fatal(err)
	}
}

package standalone_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/services/standalone"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// startCity starts an in-process city on random ports in dir.
func startCity(t *testing.T, dir string, extra ...string) (*standalone.City, *citytest.Client) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var cfg standalone.Config
	cfg.RegisterFlags(fs)
	args := append([]string{
		"-http.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0", "-data.dir=" + dir,
		"-sqlite.synchronous=normal", "-relay.election-ttl=2",
	}, extra...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	city, err := standalone.Start(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(city.Close)
	return city, citytest.New("http://" + city.Addr())
}

func TestRegisterCompanyAndHireGuardsReachesHQ(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	co, err := c.RegisterActiveCompany(ctx, "jingkai", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := c.HireGuard(ctx, "jingkai", co, i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RegisterActiveCompany(ctx, "caidian", 2); err != nil {
		t.Fatal(err)
	}
	v, err := c.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool {
		return v.Companies == 1 && v.CompaniesActive == 1 && v.GuardsActive == 5
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.LastEventAt == nil || v.Stale {
		t.Fatalf("freshness not reported: %+v", v)
	}
	var sum struct {
		Districts       int `json:"districts"`
		Companies       int `json:"companies"`
		CompaniesActive int `json:"companies_active"`
		GuardsActive    int `json:"guards_active"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/summary", nil, &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Companies == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if sum.Districts != 2 || sum.Companies != 2 || sum.CompaniesActive != 2 || sum.GuardsActive != 5 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestUnknownDistrictIs404WithStableID(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	status, body, err := c.Do(context.Background(), "POST", "/api/v1/districts/atlantis/companies", map[string]any{"name": "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusNotFound || !strings.Contains(string(body), `"district.not_found"`) {
		t.Fatalf("%d %s", status, body)
	}
}

func TestADistrictRegisteredWhileRunningReachesHQ(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := city.Registry().Register(ctx, config.District{ID: "hanyang", Name: "Hanyang", NameZH: "汉阳"}); err != nil {
		t.Fatal(err)
	}
	// The new district's node starts from the registry watch; poll for it.
	var co string
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		co, err = c.RegisterActiveCompany(ctx, "hanyang", 7)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hanyang never served: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := c.HireGuard(ctx, "hanyang", co, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitHQ(ctx, "hanyang", func(v citytest.DistrictView) bool {
		return v.Companies == 1 && v.GuardsActive == 1
	}); err != nil {
		t.Fatal(err)
	}
}

func TestRestartKeepsEverythingAndAppliesNothingTwice(t *testing.T) {
	dir := t.TempDir()
	city, c := startCity(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := c.HireGuard(ctx, "jingkai", co, 100+i)
			errc <- err
		}(i)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.GuardsActive == 20 }); err != nil {
		t.Fatal(err)
	}
	city.Close()

	_, c2 := startCity(t, dir)
	v, err := c2.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.GuardsActive == 20 && v.Companies == 1 })
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := c2.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/guards?page_size=500", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 20 || v.GuardsActive != 20 {
		t.Fatalf("after restart: %d guards listed, HQ %+v", len(list.Items), v)
	}
}

func TestOpenAPIDocumentCoversEveryService(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	var doc struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := c.Must(context.Background(), http.StatusOK, "GET", "/api/v1/openapi.json", nil, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/api/v1/districts/{district}/companies",
		"/api/v1/districts/{district}/companies/{id}/guards",
		"/api/v1/hq/summary",
		"/api/v1/hq/districts/{district}",
	} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("merged document lacks %s", p)
		}
	}
	raw, _ := json.Marshal(doc.Paths)
	for _, ref := range regexp.MustCompile(`#/components/schemas/([A-Za-z0-9_]+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Components.Schemas[ref[1]]; !ok {
			t.Errorf("dangling reference to schema %s", ref[1])
		}
	}
}

func TestASecondProcessOnTheSameDataDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	startCity(t, dir)
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var cfg standalone.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"-http.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0", "-data.dir=" + dir}); err != nil {
		t.Fatal(err)
	}
	_, err := standalone.Start(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if !errors.Is(err, standalone.ErrDataDirInUse) {
		t.Fatalf("second start on %s: %v", dir, err)
	}
}

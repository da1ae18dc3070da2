package standalone_test

import (
	"bytes"
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
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/services/standalone"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// startCity starts an in-process city on random ports in dir.
func startCity(t *testing.T, dir string, extra ...string) (*standalone.City, *citytest.Client) {
	t.Helper()
	city, c, _ := startCityOut(t, dir, extra...)
	return city, c
}

// startCityOut is startCity that also returns what the city printed at
// start.
func startCityOut(t *testing.T, dir string, extra ...string) (*standalone.City, *citytest.Client, string) {
	t.Helper()
	city, c, out := startCityLive(t, dir, extra...)
	return city, c, string(out.Bytes())
}

// startCityLive is startCity that also returns the city's stdout, which
// it goes on writing to while it runs.
func startCityLive(t *testing.T, dir string, extra ...string) (*standalone.City, *citytest.Client, *syncBuffer) {
	t.Helper()
	return startCityWith(t, dir, func(*standalone.Config) {}, extra...)
}

// startCityWith is startCityLive with the configuration edited by edit
// after the flags are parsed (what no flag sets: the clock).
func startCityWith(t *testing.T, dir string, edit func(*standalone.Config), extra ...string) (*standalone.City, *citytest.Client, *syncBuffer) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var cfg standalone.Config
	cfg.RegisterFlags(fs)
	args := append([]string{
		"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0", "-data.dir=" + dir,
		"-sqlite.synchronous=normal", "-relay.election-ttl=2",
	}, extra...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	edit(&cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := &syncBuffer{}
	city, err := standalone.Start(ctx, cfg, slog.New(slog.DiscardHandler), out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(city.Close)
	c := citytest.New("http://" + city.Addr())
	// Every exchange of the end-to-end tests is checked against the
	// city's merged OpenAPI document.
	if err := c.ValidateAgainstOpenAPI(ctx, t); err != nil {
		t.Fatal(err)
	}
	if err := c.LoginBootstrap(ctx, dir, string(out.Bytes())); err != nil {
		t.Fatal(err)
	}
	return city, c, out
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
	// A Chinese reader gets the catalogue's text, with the same id.
	zh, _ := errs.ChineseMessage("district.not_found")
	r, err := testutil.Send(context.Background(), c.HTTP, "GET", c.Base+"/api/v1/districts/atlantis/companies", nil, "Accept-Language", "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), `"district.not_found"`) || !strings.Contains(string(r.Body), zh) {
		t.Fatalf("in Chinese: %d %s", r.Status, r.Body)
	}
}

func TestADistrictRegisteredWhileRunningReachesHQ(t *testing.T) {
	city, c, out := startCityLive(t, t.TempDir())
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
	// The person watching the terminal learns of it too.
	for !bytes.Contains(out.Bytes(), []byte("\nguildhall: district hanyang registered, its node started\n")) {
		if time.Now().After(deadline) {
			t.Fatalf("the new district's node was not announced:\n%s", out.Bytes())
		}
		time.Sleep(20 * time.Millisecond)
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
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
		Security []map[string]any `json:"security"`
	}
	if err := c.Must(context.Background(), http.StatusOK, "GET", "/api/v1/openapi.json", nil, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/api/v1/districts/{district}/companies",
		"/api/v1/districts/{district}/companies/{id}/guards",
		"/api/v1/hq/summary",
		"/api/v1/hq/districts/{district}",
		"/api/v1/auth/login",
		"/api/v1/districts/{district}/meetings/{id}/check-in",
		"/api/v1/auth/accounts",
	} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("merged document lacks %s", p)
		}
	}
	if _, ok := doc.Components.SecuritySchemes["bearerAuth"]; !ok || len(doc.Security) == 0 {
		t.Errorf("merged document lacks the bearer scheme or the global security requirement")
	}
	for name := range doc.Components.SecuritySchemes {
		if name != "bearerAuth" {
			t.Errorf("services define the bearer scheme differently (a copy was renamed %s)", name)
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
	if err := fs.Parse([]string{"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0", "-data.dir=" + dir}); err != nil {
		t.Fatal(err)
	}
	_, err := standalone.Start(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if !errors.Is(err, standalone.ErrDataDirInUse) {
		t.Fatalf("second start on %s: %v", dir, err)
	}
}

// TestNoNationalIDNumberLeavesTheDistrict hires guards through the API, then
// reads every message on the district's topic straight from the broker (as
// any Kafka client could) and looks for the numbers: events carry only the
// keyed hash.
func TestNoNationalIDNumberLeavesTheDistrict(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 9)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for i := 0; i < 5; i++ {
		if _, err := c.HireGuard(ctx, "jingkai", co, 500+i); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, citytest.ResidentID(500+i))
	}
	if _, err := c.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.GuardsActive == 5 }); err != nil {
		t.Fatal(err)
	}
	topic := eventbus.Topic("jingkai", "membership")
	cli := &kafka.Client{Addr: kafka.TCP(city.BrokerAddrs()...)}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	var seen int
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			resp, err := cli.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: p.ID, Offset: 0, MaxBytes: 10 << 20})
			if err != nil {
				t.Fatal(err)
			}
			for {
				r, err := resp.Records.ReadRecord()
				if err != nil {
					break
				}
				v, _ := kafka.ReadAll(r.Value)
				seen++
				for _, n := range numbers {
					if bytes.Contains(v, []byte(n)) || bytes.Contains(v, []byte(n[:17])) {
						t.Fatalf("a national ID number is on Kafka in %s partition %d", topic, p.ID)
					}
				}
			}
		}
	}
	if seen < 7 { // company registered + activated + 5 hires
		t.Fatalf("read %d messages from %s, want at least 7", seen, topic)
	}
}

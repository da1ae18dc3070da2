package standalone_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/meetings/seed"
	"github.com/guildhall/guildhall/services/standalone"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// pgCityServices are the databases a standalone city opens, by the name
// storage.Open turns into a PostgreSQL schema (storage.SchemaName): the
// district services of every seed district, HQ, messaging in its HQ role
// (whose outbox, and so its database, is district "hq" service
// "directives": gh.hq.directives.v1's), and the accounts beside them.
func pgCityServices() []string {
	names := []string{"hq", "hq.directives", "accounts"}
	for _, d := range standalone.DefaultDistricts {
		for _, s := range []string{"membership", "meetings", "patrols", "compliance", "messaging"} {
			names = append(names, d.ID+"."+s)
		}
	}
	return names
}

// TestTheCityRunsOnPostgreSQL starts the whole demo city with -db.dsn set to
// a fresh PostgreSQL database and drives the real path: hires and the seed
// meeting go in over HTTP, land in the district services' schemas, leave
// through their outboxes and Kafka, and are counted by HQ's consumer in its
// own schema. Every service's tables must be in a schema of its own on the
// server (nothing in public, no SQLite file in the data dir). A restart on
// the same DSN and data dir keeps everything and applies nothing twice.
//
// Like every PostgreSQL test it skips without GUILDHALL_TEST_PG_DSN and
// fails without it under CI (pgtest).
func TestTheCityRunsOnPostgreSQL(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	city, c, _ := startCityWith(t, dir, func(cfg *standalone.Config) { cfg.Storage.DSN = dsn })
	conv := meetings.Convention{Version: "2025", Title: "武汉市保安行业自律公约", Text: "依法经营，公平竞争，抱团取暖。",
		PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}
	if wrote, err := policy.PublishConventionIfAbsent(ctx, city.Etcd(), conv); err != nil || !wrote {
		t.Fatalf("publish the convention: %v, %v", wrote, err)
	}
	var companies []seed.Company
	for i := range 3 {
		id, err := c.RegisterActiveCompany(ctx, "jingkai", 70+i)
		if err != nil {
			t.Fatal(err)
		}
		companies = append(companies, seed.Company{ID: id, Name: "公司" + id[:4], Head: "负责人" + string(rune('甲'+i))})
	}
	const guards = 6
	for i := range guards {
		if _, err := c.HireGuard(ctx, "jingkai", companies[i%len(companies)].ID, 700+i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RegisterActiveCompany(ctx, "caidian", 80); err != nil {
		t.Fatal(err)
	}
	waitConventionRate(ctx, t, c, conv.Version, len(companies))
	base, _ := url.Parse("http://" + city.Addr())
	proxy := httputil.NewSingleHostReverseProxy(base)
	viaHTTP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+c.Token)
		proxy.ServeHTTP(w, r)
	})
	meetingID, err := seed.Load(ctx, viaHTTP, "jingkai", companies)
	if err != nil {
		t.Fatal(err)
	}

	// HQ's figures, from its consumer on PostgreSQL.
	want := func(v citytest.DistrictView) bool {
		return v.Companies == 3 && v.CompaniesActive == 3 && v.GuardsActive == guards
	}
	if _, err := c.WaitHQ(ctx, "jingkai", want); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitHQ(ctx, "caidian", func(v citytest.DistrictView) bool { return v.Companies == 1 && v.CompaniesActive == 1 }); err != nil {
		t.Fatal(err)
	}
	waitMeetingAtHQ(ctx, t, c)

	// Where the tables are: every service in its own schema, none in
	// public, and no SQLite file in the data dir.
	checkSchemas(ctx, t, dsn)
	checkNoSQLiteFiles(t, dir)
	city.Close()

	// The same DSN and data dir again: the data is kept, and neither the
	// relays (resending what Kafka already has) nor HQ's consumer
	// (re-reading from an offset it had not committed) count anything
	// twice. A guard hired after the restart reaching HQ shows its
	// consumer has read past everything that was already on the topic.
	_, c2, _ := startCityWith(t, dir, func(cfg *standalone.Config) { cfg.Storage.DSN = dsn })
	if _, err := c2.HireGuard(ctx, "jingkai", companies[0].ID, 700+guards); err != nil {
		t.Fatal(err)
	}
	v, err := c2.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.GuardsActive >= guards+1 })
	if err != nil {
		t.Fatal(err)
	}
	if v.GuardsActive != guards+1 || v.Companies != 3 || v.CompaniesActive != 3 {
		t.Fatalf("HQ after the restart: %d companies (%d active), %d guards; want 3 (3), %d", v.Companies, v.CompaniesActive, v.GuardsActive, guards+1)
	}
	waitMeetingAtHQ(ctx, t, c2)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := c2.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/guards?page_size=500", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != guards+1 {
		t.Fatalf("after the restart jingkai lists %d guards, want %d", len(list.Items), guards+1)
	}
	var ms struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := c2.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/meetings", nil, &ms); err != nil {
		t.Fatal(err)
	}
	if len(ms.Items) != 1 || ms.Items[0].ID != meetingID {
		t.Fatalf("after the restart jingkai lists meetings %+v, want only %s", ms.Items, meetingID)
	}
	checkNoSQLiteFiles(t, dir)
}

// waitConventionRate polls jingkai's convention rate until its meetings
// node has seen the published convention and the registered companies (it
// learns both asynchronously: the etcd watch and membership's events).
func waitConventionRate(ctx context.Context, t *testing.T, c *citytest.Client, version string, companies int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var rate struct {
			ConventionVersion string `json:"convention_version"`
			Companies         int    `json:"companies"`
		}
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/convention/rate", nil, &rate); err == nil &&
			rate.ConventionVersion == version && rate.Companies == companies {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the district's meetings node never saw the published convention and the registered companies")
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
}

// waitMeetingAtHQ polls HQ's view of jingkai until it shows the seed
// meeting exactly once: three companies signed, all attended, and the
// meeting's four action items open (eight would be the meeting counted
// twice).
func waitMeetingAtHQ(ctx context.Context, t *testing.T, c *citytest.Client) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var v map[string]any
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai", nil, &v); err != nil {
			t.Fatal(err)
		}
		if v["convention_signed_current"] == float64(3) && v["company_attendance_rate"] == float64(1) && v["action_items_open"] == float64(4) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("HQ never showed the meeting once: signed %v, attendance %v, open items %v",
				v["convention_signed_current"], v["company_attendance_rate"], v["action_items_open"])
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
}

// checkSchemas fails t unless every database of the city is a schema of
// its own on the server holding that service's tables and its goose
// version table, and public holds nothing.
func checkSchemas(ctx context.Context, t *testing.T, dsn string) {
	t.Helper()
	db, err := storage.OpenPostgres(ctx, dsn, "public")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tables := map[string][]string{}
	for rows.Next() {
		var schema, table string
		if err := rows.Scan(&schema, &table); err != nil {
			t.Fatal(err)
		}
		tables[schema] = append(tables[schema], table)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables["public"]) > 0 {
		t.Errorf("tables in schema public: %v", tables["public"])
	}
	// A table each service's store owns (and the outbox of those that
	// publish), so that a schema made but left empty, or a service writing
	// into another's schema, fails.
	owns := map[string][]string{
		"membership": {"companies", "guards", "eventbus_outbox"},
		"meetings":   {"meetings", "action_items", "eventbus_outbox"},
		"patrols":    {"teams", "shifts", "eventbus_outbox"},
		"compliance": {"company_scores", "inspections", "eventbus_outbox"},
		"messaging":  {"notices", "liaison_threads", "eventbus_outbox"},
		"directives": {"directives", "eventbus_outbox"},
		"hq":         {"hq_companies", "hq_guards", "eventbus_inbox"},
		"accounts":   {"accounts", "audit_log"},
	}
	expected := map[string]bool{"public": true}
	for _, name := range pgCityServices() {
		schema := storage.SchemaName(name)
		expected[schema] = true
		got := tables[schema]
		if len(got) == 0 {
			t.Errorf("%s: no schema %s with tables on the server", name, schema)
			continue
		}
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "goose_") }) {
			t.Errorf("%s: schema %s has no goose version table: %v", name, schema, got)
		}
		svc := name[strings.LastIndex(name, ".")+1:]
		for _, table := range owns[svc] {
			if !slices.Contains(got, table) {
				t.Errorf("%s: schema %s lacks table %s: %v", name, schema, table, got)
			}
		}
	}
	for schema, ts := range tables {
		if !expected[schema] {
			t.Errorf("unexpected schema %s with tables %v", schema, ts)
		}
	}
}

// checkNoSQLiteFiles fails t if the data dir holds a SQLite database: on
// PostgreSQL no service may fall back to a file of its own.
func checkNoSQLiteFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".db") || strings.HasSuffix(path, ".db-wal")) {
			t.Errorf("a SQLite file in the data dir of a city on PostgreSQL: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

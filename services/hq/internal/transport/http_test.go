package transport_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq"
	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

var now = time.Date(2025, 9, 23, 12, 0, 0, 0, time.UTC)

type monitor struct {
	districts []service.District
	states    map[string]service.ConsumerState
}

func (m monitor) Registered() []service.District          { return m.districts }
func (m monitor) Consumer(d string) service.ConsumerState { return m.states[d] }
func (m monitor) Parked(context.Context) (map[string][]service.ParkedEvents, error) {
	return nil, nil
}

func envelope(district, typ, id string, seq int64, at time.Time, m proto.Message) *eventsv1.Envelope {
	b, _ := proto.Marshal(m)
	return &eventsv1.Envelope{EventId: typ + id, District: district, Service: "membership", Type: typ,
		AggregateId: id, Sequence: seq, OccurredAt: timestamppb.New(at), Payload: b}
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "hq.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := store.New(db)
	p := projector.New(st, nil, nil)
	p.SetClock(func() time.Time { return now.Add(-time.Hour) })
	old := now.Add(-48 * time.Hour)
	events := []*eventsv1.Envelope{
		envelope("jingkai", "CompanyRegistered", "c1", 1, old, &eventsv1.CompanyRegistered{Company: &eventsv1.Company{
			Id: "c1", District: "jingkai", Name: "武汉经开保安服务有限公司", Status: "active", PartyOrg: true, ConventionVersion: "2025", Version: 1}}),
		envelope("jingkai", "CompanyRegistered", "c2", 1, old, &eventsv1.CompanyRegistered{Company: &eventsv1.Company{
			Id: "c2", District: "jingkai", Name: "second", Status: "applied", Version: 1}}),
		envelope("jingkai", "CompanyRegistered", "c3", 1, old, &eventsv1.CompanyRegistered{Company: &eventsv1.Company{
			Id: "c3", District: "jingkai", Name: "third", Status: "active", TradeUnion: true, Version: 1}}),
		envelope("jingkai", "GuardHired", "g1", 1, old, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
			Id: "g1", District: "jingkai", CompanyId: "c1", IdHash: "p1", EmploymentStatus: "active", HasCertificate: true,
			BackgroundCheckStatus: "passed", HiredOn: "2025-03-01", Version: 1}}),
		envelope("jingkai", "GuardHired", "g2", 1, old, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
			Id: "g2", District: "jingkai", CompanyId: "c1", IdHash: "p2", EmploymentStatus: "active", PreJobTrained: true, Version: 1}}),
		envelope("caidian", "GuardHired", "g3", 1, old, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
			Id: "g3", District: "caidian", CompanyId: "c9", IdHash: "p1", EmploymentStatus: "active", HiredOn: "2025-06-01", Version: 1}}),
		envelope("retired", "CompanyRegistered", "c8", 1, old, &eventsv1.CompanyRegistered{Company: &eventsv1.Company{
			Id: "c8", District: "retired", Name: "old", Status: "lapsed", Version: 1}}),
	}
	for _, e := range events {
		if err := db.InTx(ctx, func(tx *sql.Tx) error { _, err := p.Apply(ctx, tx, e); return err }); err != nil {
			t.Fatal(err)
		}
	}
	mon := monitor{
		districts: []service.District{
			{ID: "jingkai", Name: "Jingkai", NameZH: "经开"},
			{ID: "caidian", Name: "Caidian", NameZH: "蔡甸"},
			{ID: "hannan", Name: "Hannan", NameZH: "汉南"},
		},
		states: map[string]service.ConsumerState{
			// Caught up, quiet for two days: not stale.
			"jingkai": {Running: true, Lag: service.KnownLag(0), Since: now.Add(-72 * time.Hour)},
			// Behind and nothing applied for an hour: stale.
			"caidian": {Running: true, Lag: service.KnownLag(5), Since: now.Add(-72 * time.Hour)},
			// Started a second ago and not connected yet: not stale yet.
			"hannan": {Running: true, Lag: service.Lag{}, Since: now.Add(-time.Second)},
		},
	}
	svc := service.New(st, mon, service.Config{StaleAfter: 2 * time.Minute, Now: func() time.Time { return now }})
	srv := httptest.NewServer(testutil.ValidatedHandler(t, hq.OpenAPIDocument(), asPrincipal(newHandler(t, svc), hqAdmin)))
	t.Cleanup(srv.Close)
	return srv
}

// hqAdmin is the city-wide caller these tests read as; who may read what
// is the authorization tests' business (auth_test.go).
var hqAdmin = auth.Principal{Subject: "hq-admin-1", Role: auth.RoleHQAdmin}

// asPrincipal puts p in every request's context, as auth.Authenticate does
// for a valid token, so the handler's endpoints see an authenticated caller.
func asPrincipal(h http.Handler, p auth.Principal) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func get(t *testing.T, srv *httptest.Server, path string, wantStatus int, into any) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s = %d, want %d", path, resp.StatusCode, wantStatus)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("GET %s: decode: %v", path, err)
	}
}

type errorBody struct {
	Error struct {
		ID    string `json:"id"`
		Field string `json:"field"`
	} `json:"error"`
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	srv := newServer(t)

	t.Run("The summary aggregates every district of the read model.", func(t *testing.T) {
		var s map[string]any
		get(t, srv, "/api/v1/hq/summary", http.StatusOK, &s)
		want := map[string]any{
			"districts": 3.0, "companies": 4.0, "companies_active": 2.0, "guards_active": 3.0,
			"guards_certified": 1.0, "certified_rate": 1.0 / 3, "party_org_rate": 0.5, "conflicts": 1.0,
			"convention_signed": 1.0, "union_companies": 1.0,
		}
		for k, v := range want {
			if s[k] != v {
				t.Errorf("summary %s = %v, want %v", k, s[k], v)
			}
		}
		// certified_rate (above) is the summed numerators over the summed
		// denominators of the districts that report (jingkai 1 of 2,
		// caidian 0 of 1): 1/3. hannan, with no guard, reports no rate
		// and moves nothing; an average of the districts' rates would
		// be 1/4, or 1/6 with hannan counted as 0.
		if bk, _ := s["conflicts_by_kind"].(map[string]any); bk["person"] != 1.0 || bk["credit_code"] != 0.0 || bk["certificate_number"] != 0.0 {
			t.Errorf("conflicts_by_kind = %v", s["conflicts_by_kind"])
		}
		if st, _ := s["stale_districts"].([]any); len(st) != 1 || st[0] != "caidian" {
			t.Errorf("stale_districts = %v, want [caidian]", s["stale_districts"])
		}
		if s["last_event_at"] != now.Add(-48*time.Hour).Format(time.RFC3339) {
			t.Errorf("last_event_at = %v", s["last_event_at"])
		}
	})

	t.Run("The district list has one item per registered district with its names and freshness.", func(t *testing.T) {
		var body struct {
			Items []map[string]any `json:"items"`
		}
		get(t, srv, "/api/v1/hq/districts", http.StatusOK, &body)
		if len(body.Items) != 3 {
			t.Fatalf("items = %d, want 3", len(body.Items))
		}
		byID := map[string]map[string]any{}
		for _, it := range body.Items {
			byID[it["district"].(string)] = it
		}
		if byID["caidian"]["name_zh"] != "蔡甸" || byID["caidian"]["stale"] != true || byID["caidian"]["events_behind"] != 5.0 {
			t.Errorf("caidian = %v", byID["caidian"])
		}
		if byID["jingkai"]["stale"] != false || byID["jingkai"]["events_behind"] != 0.0 {
			t.Errorf("jingkai (quiet, caught up) = %v", byID["jingkai"])
		}
		if h := byID["hannan"]; h["stale"] != false || h["events_behind"] != nil || h["last_event_at"] != nil || h["guards_active"] != 0.0 {
			t.Errorf("hannan (just started, no data) = %v", h)
		}
		// hannan has no guard and no company: none of its rates is
		// reported. Each is null, not 0 and not left out.
		for _, k := range []string{"background_check_rate", "training_rate", "certified_rate", "badge_rate", "party_org_rate",
			"union_rate", "workers_home_rate", "convention_rate", "company_attendance_rate", "person_attendance_rate",
			"convention_signature_rate"} {
			if v, ok := byID["hannan"][k]; !ok || v != nil {
				t.Errorf("hannan's %s = %v (present %v), want null", k, v, ok)
			}
		}
	})

	t.Run("The district list filtered to one district is that district's view alone.", func(t *testing.T) {
		var body struct {
			Items []map[string]any `json:"items"`
		}
		get(t, srv, "/api/v1/hq/districts?district=jingkai", http.StatusOK, &body)
		var one map[string]any
		get(t, srv, "/api/v1/hq/districts/jingkai", http.StatusOK, &one)
		if len(body.Items) != 1 || fmt.Sprint(body.Items[0]) != fmt.Sprint(one) {
			t.Errorf("?district=jingkai = %v, want [%v]", body.Items, one)
		}
		// A district only the read model knows is shown as by its view.
		get(t, srv, "/api/v1/hq/districts?district=retired", http.StatusOK, &body)
		if len(body.Items) != 1 || body.Items[0]["district"] != "retired" || body.Items[0]["registered"] != false {
			t.Errorf("?district=retired = %v", body.Items)
		}
	})

	t.Run("A district shows its counts, rates, coverage and freshness.", func(t *testing.T) {
		var d map[string]any
		get(t, srv, "/api/v1/hq/districts/jingkai", http.StatusOK, &d)
		want := map[string]any{
			"district": "jingkai", "name": "Jingkai", "name_zh": "经开", "companies": 3.0, "companies_active": 2.0,
			"guards_active": 2.0, "background_check_rate": 0.5, "training_rate": 0.5, "certified_rate": 0.5,
			"badge_rate": 0.0, "party_org_rate": 0.5, "union_rate": 0.5, "workers_home_rate": 0.0,
			"stale": false, "registered": true, "last_applied_at": now.Add(-time.Hour).Format(time.RFC3339),
		}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("%s = %v, want %v", k, d[k], v)
			}
		}
		if bs, _ := d["companies_by_status"].(map[string]any); bs["active"] != 2.0 || bs["applied"] != 1.0 || bs["lapsed"] != 0.0 {
			t.Errorf("companies_by_status = %v", d["companies_by_status"])
		}
	})

	t.Run("A district no longer registered but in the read model is shown, not stale.", func(t *testing.T) {
		var d map[string]any
		get(t, srv, "/api/v1/hq/districts/retired", http.StatusOK, &d)
		if d["registered"] != false || d["stale"] != false || d["companies"] != 1.0 {
			t.Errorf("retired = %v", d)
		}
	})

	t.Run("An unknown district is 404 district.not_found.", func(t *testing.T) {
		var e errorBody
		get(t, srv, "/api/v1/hq/districts/nowhere", http.StatusNotFound, &e)
		if e.Error.ID != "district.not_found" {
			t.Errorf("id = %q", e.Error.ID)
		}
		get(t, srv, "/api/v1/hq/districts/nowhere/companies", http.StatusNotFound, &e)
		if e.Error.ID != "district.not_found" {
			t.Errorf("companies id = %q", e.Error.ID)
		}
	})

	t.Run("A malformed district id is 400 with the field.", func(t *testing.T) {
		var e errorBody
		get(t, srv, "/api/v1/hq/districts/Not_A_District", http.StatusBadRequest, &e)
		if e.Error.ID != "district.id_invalid" || e.Error.Field != "district" {
			t.Errorf("error = %+v", e.Error)
		}
	})

	t.Run("Companies are paginated in id order with per-company rates.", func(t *testing.T) {
		type page struct {
			Items []map[string]any `json:"items"`
			Next  string           `json:"next_page_token"`
		}
		var p1, p2, p3 page
		get(t, srv, "/api/v1/hq/districts/jingkai/companies?page_size=2", http.StatusOK, &p1)
		if len(p1.Items) != 2 || p1.Items[0]["id"] != "c1" || p1.Items[1]["id"] != "c2" || p1.Next == "" {
			t.Fatalf("page 1 = %+v", p1)
		}
		c1 := p1.Items[0]
		if c1["name"] != "武汉经开保安服务有限公司" || c1["guards_active"] != 2.0 || c1["certified_rate"] != 0.5 ||
			c1["convention_signed"] != true || c1["party_org"] != true {
			t.Errorf("c1 = %v", c1)
		}
		// c2 has no active guard: its rates are not reported.
		for _, k := range []string{"background_check_rate", "training_rate", "certified_rate", "badge_rate"} {
			if v, ok := p1.Items[1][k]; !ok || v != nil {
				t.Errorf("c2's %s = %v (present %v), want null", k, v, ok)
			}
		}
		get(t, srv, "/api/v1/hq/districts/jingkai/companies?page_size=2&page_token="+p1.Next, http.StatusOK, &p2)
		if len(p2.Items) != 1 || p2.Items[0]["id"] != "c3" || p2.Next != "" {
			t.Fatalf("page 2 = %+v", p2)
		}
		get(t, srv, "/api/v1/hq/districts/hannan/companies", http.StatusOK, &p3)
		if p3.Items == nil || len(p3.Items) != 0 {
			t.Errorf("empty district items = %#v, want []", p3.Items)
		}
	})

	t.Run("A bad page size is 400 request.page_size_invalid.", func(t *testing.T) {
		var e errorBody
		get(t, srv, "/api/v1/hq/districts/jingkai/companies?page_size=9999", http.StatusBadRequest, &e)
		if e.Error.ID != "request.page_size_invalid" {
			t.Errorf("id = %q", e.Error.ID)
		}
	})

	t.Run("Conflicts list the person, districts, companies and since when.", func(t *testing.T) {
		var body struct {
			Items []service.Conflict `json:"items"`
		}
		get(t, srv, "/api/v1/hq/conflicts", http.StatusOK, &body)
		if len(body.Items) != 1 {
			t.Fatalf("conflicts = %+v", body.Items)
		}
		c := body.Items[0]
		if c.Kind != "person" || c.IDHash != "p1" || len(c.Districts) != 2 || c.Districts[0] != "caidian" || c.Districts[1] != "jingkai" ||
			c.Since == nil || !c.Since.Equal(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)) || len(c.Guards) != 2 || c.Guards[1].CompanyID != "c1" {
			t.Errorf("conflict = %+v", c)
		}
		// HQ applied g3, the second district's record, an hour before now.
		if c.FirstSeenAt == nil || !c.FirstSeenAt.Equal(now.Add(-time.Hour)) {
			t.Errorf("first_seen_at = %v, want %v", c.FirstSeenAt, now.Add(-time.Hour))
		}
		if g := c.Guards[1]; g.CompanyName != "武汉经开保安服务有限公司" || g.Link != "/api/v1/districts/jingkai/guards/g1" ||
			g.CompanyLink != "/api/v1/districts/jingkai/companies/c1" {
			t.Errorf("jingkai's position = %+v", g)
		}
	})

	t.Run("Conflicts of one district show its own positions in full and the others' only by district and date.", func(t *testing.T) {
		var body struct {
			Items []map[string]any `json:"items"`
		}
		get(t, srv, "/api/v1/hq/conflicts?district=jingkai", http.StatusOK, &body)
		if len(body.Items) != 1 || body.Items[0]["id_hash"] != "p1" {
			t.Fatalf("conflicts of jingkai = %v", body.Items)
		}
		byDistrict := map[string]map[string]any{}
		for _, g := range body.Items[0]["guards"].([]any) {
			pos := g.(map[string]any)
			byDistrict[pos["district"].(string)] = pos
		}
		if own := byDistrict["jingkai"]; own["guard_id"] != "g1" || own["company_id"] != "c1" || own["hired_on"] != "2025-03-01" {
			t.Errorf("jingkai's own position = %v", own)
		}
		other := byDistrict["caidian"]
		if other == nil || other["active_since"] == nil {
			t.Fatalf("caidian's position = %v, want its district and active_since", other)
		}
		for _, k := range []string{"guard_id", "company_id", "company_name", "hired_on", "link", "company_link"} {
			if _, ok := other[k]; ok {
				t.Errorf("caidian's position shows %s to a jingkai view: %v", k, other)
			}
		}
		// The same person seen from caidian: the roles swap.
		get(t, srv, "/api/v1/hq/conflicts?district=caidian", http.StatusOK, &body)
		if len(body.Items) != 1 || !strings.Contains(fmt.Sprint(body.Items[0]["guards"]), "g3") ||
			strings.Contains(fmt.Sprint(body.Items[0]["guards"]), "g1") {
			t.Errorf("conflicts of caidian = %v", body.Items)
		}
		// A district with no conflict gets an empty list, not an error.
		get(t, srv, "/api/v1/hq/conflicts?district=hannan", http.StatusOK, &body)
		if body.Items == nil || len(body.Items) != 0 {
			t.Errorf("conflicts of hannan = %#v, want []", body.Items)
		}
	})

	t.Run("The district and conflict lists' filter rejects unknown, malformed, empty and repeated districts.", func(t *testing.T) {
		for _, list := range []string{"/api/v1/hq/conflicts", "/api/v1/hq/districts"} {
			for _, tc := range []struct {
				query  string
				status int
				id     string
				field  string
			}{
				{"district=nowhere", http.StatusNotFound, "district.not_found", ""},
				{"district=Not_A_District", http.StatusBadRequest, "district.id_invalid", "district"},
				{"district=", http.StatusBadRequest, "request.district_empty", "district"},
				{"district=jingkai&district=caidian", http.StatusBadRequest, "request.district_repeated", "district"},
			} {
				var e errorBody
				get(t, srv, list+"?"+tc.query, tc.status, &e)
				if e.Error.ID != tc.id || e.Error.Field != tc.field {
					t.Errorf("%s?%s: error = %+v, want %s field %q", list, tc.query, e.Error, tc.id, tc.field)
				}
			}
		}
	})

	t.Run("Action items: a bad ?overdue is 400 action_item.overdue_invalid (the id the district answers; request.overdue_invalid before issue 8); an empty district lists none.", func(t *testing.T) {
		for _, q := range []string{"overdue=maybe", "overdue=true&overdue=false"} {
			var e errorBody
			get(t, srv, "/api/v1/hq/districts/jingkai/action-items?"+q, http.StatusBadRequest, &e)
			if e.Error.ID != "action_item.overdue_invalid" || e.Error.Field != "overdue" {
				t.Errorf("?%s: error = %+v", q, e.Error)
			}
		}
		var body struct {
			Items []map[string]any `json:"items"`
		}
		get(t, srv, "/api/v1/hq/districts/jingkai/action-items?overdue=true", http.StatusOK, &body)
		if body.Items == nil || len(body.Items) != 0 {
			t.Errorf("items = %#v, want []", body.Items)
		}
		var e errorBody
		get(t, srv, "/api/v1/hq/districts/nowhere/action-items", http.StatusNotFound, &e)
		if e.Error.ID != "district.not_found" {
			t.Errorf("unknown district: id = %q", e.Error.ID)
		}
	})

	t.Run("An unknown route under /api/v1/hq is 404 route.not_found.", func(t *testing.T) {
		var e errorBody
		get(t, srv, "/api/v1/hq/nothing", http.StatusNotFound, &e)
		if e.Error.ID != "route.not_found" {
			t.Errorf("id = %q", e.Error.ID)
		}
	})
}

// TestACityWithNothingToCountReportsNoRate: an empty read model has no
// denominator anywhere, so every rate of the summary and of the district is
// null (and the OpenAPI document, which every response here is validated
// against, says they may be).
func TestACityWithNothingToCountReportsNoRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "hq.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	mon := monitor{districts: []service.District{{ID: "jingkai"}},
		states: map[string]service.ConsumerState{"jingkai": {Running: true, Lag: service.KnownLag(0)}}}
	svc := service.New(store.New(db), mon, service.Config{Now: func() time.Time { return now }})
	srv := httptest.NewServer(testutil.ValidatedHandler(t, hq.OpenAPIDocument(), asPrincipal(newHandler(t, svc), hqAdmin)))
	defer srv.Close()
	rates := []string{"background_check_rate", "training_rate", "certified_rate", "badge_rate", "party_org_rate",
		"union_rate", "workers_home_rate", "convention_rate", "company_attendance_rate", "person_attendance_rate"}
	for _, path := range []string{"/api/v1/hq/summary", "/api/v1/hq/districts/jingkai"} {
		var body map[string]any
		get(t, srv, path, http.StatusOK, &body)
		for _, k := range rates {
			if v, ok := body[k]; !ok || v != nil {
				t.Errorf("%s: %s = %v (present %v), want null", path, k, v, ok)
			}
		}
	}
}

func TestAnonymousRequestIs401BeforeAnyValidation(t *testing.T) {
	t.Parallel()
	svc := service.New(nil, monitor{}, service.Config{})
	srv := httptest.NewServer(newHandler(t, svc))
	defer srv.Close()
	// Each path would be a 400 for an authenticated caller; an anonymous
	// one learns only that it needs a token.
	for _, path := range []string{
		"/api/v1/hq/summary",
		"/api/v1/hq/districts/Not_A_District",
		"/api/v1/hq/districts/jingkai/companies?page_size=9999",
		"/api/v1/hq/conflicts?district=a&district=b",
	} {
		var e errorBody
		get(t, srv, path, http.StatusUnauthorized, &e)
		if e.Error.ID != "auth.token_missing" {
			t.Errorf("GET %s: id = %q, want auth.token_missing", path, e.Error.ID)
		}
	}
}

// newHandler is HQ's handler over svc, as the node builds it.
func newHandler(t *testing.T, svc service.Service) http.Handler {
	t.Helper()
	h, err := hq.NewHandler(svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestEveryRouteAuthenticatesBeforeItReads sends every route of the table
// an anonymous, otherwise malformed request: 401, never a 400.
func TestEveryRouteAuthenticatesBeforeItReads(t *testing.T) {
	t.Parallel()
	h := newHandler(t, service.New(nil, monitor{}, service.Config{}))
	routes := hq.Routes()
	testutil.CheckAuthenticatesFirst(t, h, routes, "Not_A_District")
}

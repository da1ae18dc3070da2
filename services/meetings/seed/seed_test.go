package seed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/meetings/seed"
)

func get(t *testing.T, h http.Handler, path string, out any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/districts/jingkai"+path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatal(err)
	}
}

func counts(t *testing.T, n *meetings.Node) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"meetings", "agenda_items", "invitations", "minute_entries", "minutes_versions", "resolutions",
		"action_items", "convention_signatures", "eventbus_outbox", "audit_log"} {
		var c int
		if err := n.DB().QueryRow("SELECT count(*) FROM " + table).Scan(&c); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", table, c))
	}
	return strings.Join(parts, " ")
}

func TestLoadEntersTheMeeting(t *testing.T) {
	ctx := context.Background()
	conv := meetings.Convention{Version: "2025-1", Title: "武汉市保安行业自律公约", Text: "依法经营", PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}
	node, err := meetings.New(ctx, meetings.Config{District: "jingkai", DBPath: filepath.Join(t.TempDir(), "m.db"),
		Storage: storage.Config{Synchronous: "normal"}, DefaultConvention: conv}, meetings.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	inner := node.Handler()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Subject: "seed-test", Role: auth.RoleHQAdmin})))
	})
	var companies []seed.Company
	for i := range 32 {
		companies = append(companies, seed.Company{ID: fmt.Sprintf("c%02d", i), Name: fmt.Sprintf("保安服务公司%d", i), Head: fmt.Sprintf("负责人%d", i)})
		// The district's register as meetings knows it from membership's events.
		if err := node.PutCompany(ctx, meetings.Company{ID: companies[i].ID, Name: companies[i].Name, Status: "active", Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	id, err := seed.Load(ctx, h, "jingkai", companies)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Type, Title, Host, Status string
		MinutesVersion            int `json:"minutes_version"`
		InvitedCompanies          int `json:"invited_companies"`
		AttendedCompanies         int `json:"attended_companies"`
		InvitedPeople             int `json:"invited_people"`
	}
	get(t, h, "/meetings/"+id, &m)
	if m.Type != "district_working" || m.Title != seed.Title || m.Host != "罗灯亮" || m.Status != "closed" || m.MinutesVersion != 1 ||
		m.InvitedCompanies != 32 || m.AttendedCompanies != 32 || m.InvitedPeople != 8 {
		t.Fatalf("meeting %+v", m)
	}
	var agenda struct {
		Items []struct {
			Kind, Presenter string
			ResolutionID    string `json:"resolution_id"`
		}
	}
	get(t, h, "/meetings/"+id+"/agenda", &agenda)
	var kinds []string
	for _, a := range agenda.Items {
		kinds = append(kinds, a.Kind+":"+a.Presenter)
	}
	want := "briefing:陈年初,speeches:与会企业负责人,deployment:罗灯亮,signing:各单位负责人,remarks:曾宪雄,remarks:肖军,remarks:徐谦、高巍、余朦、薛龙"
	if got := strings.Join(kinds, ","); got != want {
		t.Fatalf("agenda %s", got)
	}
	var res struct {
		Items []struct {
			ID          string
			Title       string
			ActionItems []struct{ Title, Status string } `json:"action_items"`
		}
	}
	get(t, h, "/resolutions?meeting_id="+id, &res)
	if len(res.Items) != 1 || len(res.Items[0].ActionItems) != 4 || agenda.Items[2].ResolutionID != res.Items[0].ID {
		t.Fatalf("resolutions %+v", res)
	}
	var rate struct {
		Signed, Companies int
		Rate              float64
	}
	get(t, h, "/convention/rate", &rate)
	if rate.Signed != 32 || rate.Companies != 32 || rate.Rate != 1 {
		t.Fatalf("rate %+v", rate)
	}
	var mins struct {
		Entries []struct{ Speaker, Kind, Text string }
	}
	get(t, h, "/meetings/"+id+"/minutes", &mins)
	police := map[string]string{}
	for _, e := range mins.Entries {
		if e.Kind == "requirements" {
			police[e.Speaker] = e.Text
		}
	}
	if len(mins.Entries) != 10 || !strings.Contains(police["薛龙"], "双四一") || !strings.Contains(police["余朦"], "抱团取暖") || police["徐谦"] == "" || police["高巍"] == "" {
		t.Fatalf("minutes %+v", mins.Entries)
	}
	// Loading again changes nothing.
	before := counts(t, node)
	again, err := seed.Load(ctx, h, "jingkai", companies)
	if err != nil {
		t.Fatal(err)
	}
	if again != id {
		t.Fatalf("second load made meeting %s, first %s", again, id)
	}
	if after := counts(t, node); after != before {
		t.Fatalf("second load wrote: %s → %s", before, after)
	}
}

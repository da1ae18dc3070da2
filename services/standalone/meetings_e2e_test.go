package standalone_test

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/meetings/seed"
)

// TestTheSeedMeetingReachesHQAndMembership runs the 2025-09-23 district
// working meeting through the public API of a running city: meeting,
// invitations, check-ins, minutes, the four deployments and the convention
// signing. Its events then travel through Kafka to HQ (attendance, open
// action items, signature rate) and back to the district's membership
// service (each signer's convention_version), with no call between services.
func TestTheSeedMeetingReachesHQAndMembership(t *testing.T) {
	city, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	conv := meetings.Convention{Version: "2025", Title: "武汉市保安行业自律公约", Text: "依法经营，公平竞争，抱团取暖。",
		PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}
	if wrote, err := policy.PublishConventionIfAbsent(ctx, city.Etcd(), conv); err != nil || !wrote {
		t.Fatalf("publish the convention: %v, %v", wrote, err)
	}
	var companies []seed.Company
	for i := 0; i < 3; i++ {
		id, err := c.RegisterActiveCompany(ctx, "jingkai", 40+i)
		if err != nil {
			t.Fatal(err)
		}
		companies = append(companies, seed.Company{ID: id, Name: "公司" + id[:4], Head: "负责人" + string(rune('甲'+i))})
	}

	// The loader speaks HTTP to a handler; point it at the city's listener
	// with the admin's token, so every request takes the real path.
	base, _ := url.Parse("http://" + city.Addr())
	proxy := httputil.NewSingleHostReverseProxy(base)
	viaHTTP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+c.Token)
		proxy.ServeHTTP(w, r)
	})
	// The convention watch in the district's meetings node may lag the
	// put, and the node learns the companies from membership's events
	// (its rate counts them as active once projected).
	deadline := time.Now().Add(30 * time.Second)
	for {
		var rate struct {
			ConventionVersion string `json:"convention_version"`
			Companies         int    `json:"companies"`
		}
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/convention/rate", nil, &rate); err == nil &&
			rate.ConventionVersion == conv.Version && rate.Companies == len(companies) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the district's meetings node never saw the published convention and the registered companies")
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
	if _, err := seed.Load(ctx, viaHTTP, "jingkai", companies); err != nil {
		t.Fatal(err)
	}

	deadline = time.Now().Add(60 * time.Second)
	for {
		var v map[string]any
		if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai", nil, &v); err != nil {
			t.Fatal(err)
		}
		if v["convention_signed_current"] == float64(3) && v["company_attendance_rate"] == float64(1) && v["action_items_open"] == float64(4) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HQ never showed the meeting: signed %v, attendance %v, open items %v",
				v["convention_signed_current"], v["company_attendance_rate"], v["action_items_open"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, co := range companies {
		deadline = time.Now().Add(30 * time.Second)
		for {
			var got struct {
				ConventionVersion string `json:"convention_version"`
			}
			if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/companies/"+co.ID, nil, &got); err != nil {
				t.Fatal(err)
			}
			if got.ConventionVersion == conv.Version {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("company %s never reflected its signature: %q", co.ID, got.ConventionVersion)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestInvitationsNameOnlyTheDistrictsCompanies: through the running city,
// an invitation of a company membership registered carries its registered
// name (meetings learnt it from membership's events, with no call between
// the services), while one of a company that membership does not have —
// here one of another district — is company.not_found and invites nobody.
func TestInvitationsNameOnlyTheDistrictsCompanies(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	own, err := c.RegisterActiveCompany(ctx, "jingkai", 60)
	if err != nil {
		t.Fatal(err)
	}
	registeredAt := time.Now()
	foreign, err := c.RegisterActiveCompany(ctx, "caidian", 61)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ID string `json:"id"`
	}
	start := time.Now().Add(24 * time.Hour).UTC()
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/jingkai/meetings", map[string]any{"type": "district_working",
		"title": "片区工作会议", "starts_at": start, "ends_at": start.Add(2 * time.Hour)}, &m); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/districts/jingkai/meetings/" + m.ID + "/invitations"
	invite := func(id string) (int, string) {
		status, body, err := c.Do(ctx, "POST", path, map[string]any{"companies": []map[string]string{{"company_id": id}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return status, string(body)
	}
	// The company registered a moment ago may not be projected yet: that
	// is company.not_found, which clears on a retry.
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := invite(own)
		if status == http.StatusCreated {
			t.Logf("the company was invitable %v after membership answered its activation", time.Since(registeredAt).Round(time.Millisecond))
			if !strings.Contains(body, `"company_name":"武汉测试保安服务有限公司60"`) {
				t.Fatalf("invitation %s does not carry the registered name", body)
			}
			break
		}
		if status != http.StatusNotFound || !strings.Contains(body, "company.not_found") || time.Now().After(deadline) {
			t.Fatalf("inviting jingkai's own company: %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
	if status, body := invite(foreign); status != http.StatusNotFound || !strings.Contains(body, `"id":"company.not_found"`) ||
		!strings.Contains(body, `"field":"companies[0].company_id"`) {
		t.Fatalf("inviting caidian's company to a jingkai meeting: %d %s, want 404 company.not_found", status, body)
	}
	var list struct {
		Items []struct {
			CompanyID string `json:"company_id"`
		} `json:"items"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", path, nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].CompanyID != own {
		t.Fatalf("invitations %+v, want only jingkai's company", list.Items)
	}
}

package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

type e2eOffer struct {
	ID                string `json:"id"`
	CompanyID         string `json:"company_id"`
	District          string `json:"district"`
	Status            string `json:"status"`
	AcceptedHeadcount int    `json:"accepted_headcount"`
}

// TestAMutualAidRequestCrossesDistrictsAndAPostIsPublishedCityWide runs
// mutual aid and positive publicity through the real binary path. A
// caidian company's certified guards reach caidian's messaging node from
// membership's HTTP API through gh.caidian.membership.v1; jingkai's lead
// posts an aid request over HTTP (gh.jingkai.messaging.v1 → HQ's
// messaging relays it on gh.hq.directives.v1 → caidian's node); the
// caidian company offers over HTTP (gh.caidian.messaging.v1 → HQ's relay
// → jingkai's node); jingkai accepts part of it (gh.jingkai.messaging.v1
// → HQ's relay → caidian's node, which shows the offer accepted); HQ's
// city statistics follow. Then a post of jingkai's lead, approved by the
// lead and by HQ, appears in caidian's feed.
func TestAMutualAidRequestCrossesDistrictsAndAPostIsPublishedCityWide(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "caidian", 81)
	if err != nil {
		t.Fatal(err)
	}
	for n := range 3 {
		if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/caidian/companies/"+co+"/guards", map[string]any{
			"name": fmt.Sprintf("互助保安%d", n), "id_number": citytest.ResidentID(800 + n),
			"certificate_number": fmt.Sprintf("鄂保证8%03d", n), "certificate_issued_on": "2024-01-01", "certificate_valid_until": "2030-12-31",
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, "the caidian company-admin's account", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-81", "password": "ca-81 right password",
			"role": "company-admin", "districts": []string{"caidian"}, "company": co}, nil)
		return err == nil && status == http.StatusCreated
	})
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "vp-jk-aid", "password": "vp-jk right password",
		"role": "district-admin", "districts": []string{"jingkai"}}, nil); err != nil {
		t.Fatal(err)
	}
	ca, lead := citytest.New(c.Base), citytest.New(c.Base)
	if err := ca.Login(ctx, "ca-81", "ca-81 right password"); err != nil {
		t.Fatal(err)
	}
	if err := lead.Login(ctx, "vp-jk-aid", "vp-jk right password"); err != nil {
		t.Fatal(err)
	}

	day := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 2)
	starts := time.Date(day.Year(), day.Month(), day.Day(), 8, 0, 0, 0, day.Location())
	var req struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	posted := time.Now()
	if err := lead.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/jingkai/aid/requests", map[string]any{
		"kind": "cultural_tourism", "title": "国庆文旅活动安保支援", "headcount": 5, "starts_at": starts, "ends_at": starts.Add(12 * time.Hour),
		"place": "经开区文旅广场", "contact_role": "现场负责人",
	}, &req); err != nil {
		t.Fatal(err)
	}
	cdReq := "/api/v1/districts/caidian/aid/requests/" + req.ID
	poll(t, "caidian's node to see jingkai's request", func() bool {
		status, _, err := ca.Do(ctx, "GET", cdReq, nil, nil)
		return err == nil && status == http.StatusOK
	})
	t.Logf("aid request posted in jingkai → visible in caidian in %s", time.Since(posted).Round(time.Millisecond))
	poll(t, "caidian's node to know the company's 3 certified guards", func() bool {
		var av struct{ Qualified int }
		err := ca.Must(ctx, http.StatusOK, "GET", cdReq+"/availability", nil, &av)
		return err == nil && av.Qualified == 3
	})
	if status, body, _ := ca.Do(ctx, "POST", cdReq+"/offers", map[string]any{"headcount": 4}, nil); status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(body), "aid.offer_exceeds_available") {
		t.Fatalf("an offer of 4 of 3 guards: %d %s", status, body)
	}
	var o e2eOffer
	offered := time.Now()
	if err := ca.Must(ctx, http.StatusCreated, "POST", cdReq+"/offers", map[string]any{"headcount": 3, "note": "持证保安3名"}, &o); err != nil {
		t.Fatal(err)
	}
	jkReq := "/api/v1/districts/jingkai/aid/requests/" + req.ID
	poll(t, "jingkai's node to receive caidian's offer", func() bool {
		var l struct{ Items []e2eOffer }
		err := lead.Must(ctx, http.StatusOK, "GET", jkReq+"/offers", nil, &l)
		return err == nil && len(l.Items) == 1 && l.Items[0].CompanyID == co && l.Items[0].District == "caidian"
	})
	t.Logf("offer made in caidian → at jingkai's node in %s", time.Since(offered).Round(time.Millisecond))
	if err := lead.Must(ctx, http.StatusOK, "POST", jkReq+"/offers/"+o.ID+"/accept", map[string]any{"headcount": 2}, nil); err != nil {
		t.Fatal(err)
	}
	poll(t, "caidian's node to see its offer accepted", func() bool {
		var l struct{ Items []e2eOffer }
		err := ca.Must(ctx, http.StatusOK, "GET", cdReq+"/offers", nil, &l)
		return err == nil && len(l.Items) == 1 && l.Items[0].Status == "accepted" && l.Items[0].AcceptedHeadcount == 2
	})
	poll(t, "HQ's city statistics", func() bool {
		var st struct {
			Rows []struct {
				District string `json:"district"`
				Needed   int    `json:"needed"`
				Accepted int    `json:"accepted"`
			} `json:"rows"`
		}
		err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/aid/stats", nil, &st)
		return err == nil && len(st.Rows) == 1 && st.Rows[0].District == "jingkai" && st.Rows[0].Needed == 5 && st.Rows[0].Accepted == 2
	})

	// Positive publicity: the lead's post, the lead's review, HQ's.
	var p struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	if err := lead.Must(ctx, http.StatusCreated, "POST", "/api/v1/districts/jingkai/publicity/posts", map[string]any{
		"title": "红盾先锋岗保安员拾金不昧", "body_markdown": "保安员**李明**拾金不昧。<script>alert(1)</script>", "red_shield_post": "经开红盾先锋岗",
	}, &p); err != nil {
		t.Fatal(err)
	}
	if err := lead.Must(ctx, http.StatusOK, "POST", "/api/v1/districts/jingkai/publicity/posts/"+p.ID+"/review", map[string]any{"version": 1, "decision": "approve"}, nil); err != nil {
		t.Fatal(err)
	}
	poll(t, "HQ to have the post to review", func() bool {
		var hp struct{ Status string }
		err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/publicity/posts/"+p.ID, nil, &hp)
		return err == nil && hp.Status == "pending_hq"
	})
	if err := c.Must(ctx, http.StatusOK, "POST", "/api/v1/hq/publicity/posts/"+p.ID+"/review", map[string]any{"version": 1, "decision": "approve"}, nil); err != nil {
		t.Fatal(err)
	}
	poll(t, "caidian's feed to show jingkai's published post", func() bool {
		var feed struct {
			Items []struct {
				ID       string `json:"id"`
				District string `json:"district"`
				BodyHTML string `json:"body_html"`
			} `json:"items"`
		}
		err := ca.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/caidian/publicity/published", nil, &feed)
		return err == nil && len(feed.Items) == 1 && feed.Items[0].ID == p.ID && feed.Items[0].District == "jingkai" &&
			!strings.Contains(feed.Items[0].BodyHTML, "<script")
	})
}

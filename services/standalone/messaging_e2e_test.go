package standalone_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

type cityDelivery struct {
	Districts []struct {
		District            string     `json:"district"`
		Status              string     `json:"status"`
		NoticeID            string     `json:"notice_id"`
		LastReceiptAt       *time.Time `json:"last_receipt_at"`
		Recipients          *int       `json:"recipients"`
		Acknowledged        *int       `json:"acknowledged"`
		AcknowledgementRate *float64   `json:"acknowledgement_rate"`
	} `json:"districts"`
	Complete bool `json:"complete"`
}

// TestAnHQDirectiveIsAcknowledgedByACompanyAndHQSeesIt runs a directive
// through the real binary path: HQ issues it over HTTP → the HQ-role
// messaging instance's outbox → gh.hq.directives.v1 → each district's
// messaging node materialises it for the companies it learnt from
// membership's events → a company-admin reads and acknowledges it over
// HTTP → the receipt travels gh.jingkai.messaging.v1 back to HQ's delivery
// view.
func TestAnHQDirectiveIsAcknowledgedByACompanyAndHQSeesIt(t *testing.T) {
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 71)
	if err != nil {
		t.Fatal(err)
	}
	// The account's company must be in HQ's read model (a second or two).
	poll(t, "the company-admin's account", func() bool {
		status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-71", "password": "ca-71 right password",
			"role": "company-admin", "districts": []string{"jingkai"}, "company": co}, nil)
		return err == nil && status == http.StatusCreated
	})
	ca := citytest.New(c.Base)
	if err := ca.Login(ctx, "ca-71", "ca-71 right password"); err != nil {
		t.Fatal(err)
	}
	// The district's messaging node knows the company once membership's
	// event reached it: until then the district lead's notice to it is
	// 404 company.not_found.
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "vp-jk", "password": "vp-jk right password",
		"role": "district-admin", "districts": []string{"jingkai"}}, nil); err != nil {
		t.Fatal(err)
	}
	lead := citytest.New(c.Base)
	if err := lead.Login(ctx, "vp-jk", "vp-jk right password"); err != nil {
		t.Fatal(err)
	}
	poll(t, "jingkai's messaging node to know the company", func() bool {
		status, _, err := lead.Do(ctx, "POST", "/api/v1/districts/jingkai/notices", map[string]any{"title": "欢迎", "body_markdown": "欢迎入会。",
			"audience": map[string]any{"kind": "companies", "company_ids": []string{co}}}, nil)
		return err == nil && status == http.StatusCreated
	})
	var dir struct{ ID string }
	issued := time.Now()
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/hq/directives", map[string]any{
		"title": "关于做好元旦期间安保工作的指令", "body_markdown": "全市各会员单位**务必**落实。",
		"ack_required": true, "ack_deadline": time.Now().Add(72 * time.Hour),
	}, &dir); err != nil {
		t.Fatal(err)
	}
	// Every district of the city gets it (the demo city's districts).
	poll(t, "every district node to materialise the directive, as HQ sees it", func() bool {
		var v cityDelivery
		err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/directives/"+dir.ID+"/delivery", nil, &v)
		return err == nil && v.Complete
	})
	var v cityDelivery
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/directives/"+dir.ID+"/delivery", nil, &v); err != nil {
		t.Fatal(err)
	}
	jk := -1
	for i, d := range v.Districts {
		if d.District == "jingkai" {
			jk = i
		}
	}
	if jk < 0 || v.Districts[jk].Status != "delivered" || *v.Districts[jk].Acknowledged != 0 || *v.Districts[jk].Recipients < 1 {
		t.Fatalf("jingkai's delivery %+v", v.Districts)
	}
	nid := v.Districts[jk].NoticeID
	if !companyReceipt(ctx, ca, nid, co) {
		t.Fatal("the company has no receipt of the directive")
	}
	t.Logf("directive issued → delivered to jingkai's node and back at HQ in %s", time.Since(issued).Round(time.Millisecond))

	base := "/api/v1/districts/jingkai/notices/" + nid + "/receipts/" + co
	if err := ca.Must(ctx, http.StatusOK, "POST", base+"/read", map[string]any{"by": "王经理"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := ca.Must(ctx, http.StatusOK, "POST", base+"/acknowledge", map[string]any{"revision": 1, "by": "王经理", "comment": "已部署"}, nil); err != nil {
		t.Fatal(err)
	}
	// Another company's receipt is not this admin's to answer.
	if status, _, _ := ca.Do(ctx, "POST", "/api/v1/districts/jingkai/notices/"+nid+"/receipts/other/read", map[string]any{"by": "x"}, nil); status != http.StatusForbidden {
		t.Fatalf("a company-admin reading for another company: %d", status)
	}
	acked := time.Now()
	poll(t, "the acknowledgement at HQ", func() bool {
		err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/directives/"+dir.ID+"/delivery", nil, &v)
		return err == nil && v.Districts[jk].Acknowledged != nil && *v.Districts[jk].Acknowledged == 1 && v.Districts[jk].LastReceiptAt != nil
	})
	t.Logf("acknowledged → HQ's delivery view in %s", time.Since(acked).Round(time.Millisecond))
}

// companyReceipt reports whether company-admin ca has a receipt of the
// notice (its node knew the company when it materialised the directive).
func companyReceipt(ctx context.Context, ca *citytest.Client, noticeID, company string) bool {
	status, _, err := ca.Do(ctx, "GET", "/api/v1/districts/jingkai/notices/"+noticeID+"/receipts/"+company, nil, nil)
	return err == nil && status == http.StatusOK
}

// poll waits for cond under a deadline (no sleeping for an outcome).
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !pollFor(60*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func pollFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
	return true
}

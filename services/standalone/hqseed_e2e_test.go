package standalone_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// seedFigures is what HQ's district view and the district services' own
// stats are compared on: each field filled from both sides.
type seedFigures struct {
	// Field visits: the current period of the plan, and the unvisited.
	Period                            string
	Companies, Planned, Held, Visited int
	Unvisited                         []string
	// The practical-services plan.
	Items, ItemsDone, Served, Feedbacks int
	AverageRating                       *float64
	// The last ended month's wages.
	Month                                string
	Expected, Declared, OnTime, Arrears  int
	Guarantee, Missed                    int
	OnTimeRate, ArrearsRate, GuaranteeRt *float64
	// Complaints.
	Filed, Open, Overdue, Resolved int
	Withdrawn                      int
	Upheld                         int
}

// TestHQSeedFiguresThroughTheCity runs issue 17's four parts through a
// running city: a field visit, a plan item with a beneficiary and its
// feedback, a wage declaration in arrears and a complaint are recorded
// over the district APIs; HQ, fed only by the events on the districts'
// meetings and compliance topics, reports the same figures as the district
// services' own stats, and caidian, which recorded nothing, is not
// reported.
func TestHQSeedFiguresThroughTheCity(t *testing.T) {
	_, admin := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	own, err := admin.RegisterActiveCompany(ctx, "jingkai", 180)
	if err != nil {
		t.Fatal(err)
	}
	other, err := admin.RegisterActiveCompany(ctx, "jingkai", 181)
	if err != nil {
		t.Fatal(err)
	}
	const base = "/api/v1/districts/jingkai"
	// Meetings and HQ learn the companies from membership's events.
	for {
		var un struct {
			ActiveCompanies int `json:"active_companies"`
		}
		if err := admin.Must(ctx, http.StatusOK, "GET", base+"/field-visits/unvisited", nil, &un); err != nil {
			t.Fatal(err)
		}
		if un.ActiveCompanies == 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("meetings never projected the two active companies: %d", un.ActiveCompanies)
		case <-time.After(20 * time.Millisecond): // polling interval
		}
	}
	if _, err := admin.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.CompaniesActive == 2 }); err != nil {
		t.Fatal(err)
	}
	if err := admin.Must(ctx, http.StatusCreated, "POST", "/api/v1/auth/accounts", map[string]any{"username": "ca-hqseed",
		"password": "ca-hqseed right password", "role": "company-admin", "districts": []string{"jingkai"}, "company": own}, nil); err != nil {
		t.Fatal(err)
	}
	ca := citytest.New(admin.Base)
	if err := ca.Login(ctx, "ca-hqseed", "ca-hqseed right password"); err != nil {
		t.Fatal(err)
	}

	now := time.Now().In(policy.Zone)
	today := now.Format(time.DateOnly)
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, policy.Zone).AddDate(0, -1, 0).Format("2006-01")
	if err := admin.Must(ctx, http.StatusCreated, "POST", base+"/field-visits", map[string]any{
		"company_id": own, "visited_on": today, "visited_by": []map[string]string{{"name": "片区负责人王五"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	var item struct{ ID string }
	if err := admin.Must(ctx, http.StatusCreated, "POST", base+"/service-plan/items", map[string]any{"term": "2025-2028", "kind": "legal",
		"title": "法律咨询进企业", "owner": "秘书处", "target_unit": "companies", "target_count": 2}, &item); err != nil {
		t.Fatal(err)
	}
	if err := admin.Must(ctx, http.StatusOK, "POST", base+"/service-plan/items/"+item.ID+"/beneficiaries", map[string]any{"company_id": own}, nil); err != nil {
		t.Fatal(err)
	}
	if err := ca.Must(ctx, http.StatusOK, "POST", base+"/service-plan/items/"+item.ID+"/feedback", map[string]any{"company_id": own, "rating": 5}, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.Must(ctx, http.StatusCreated, "POST", base+"/compliance/wages", map[string]any{"company_id": own, "month": lastMonth,
		"paid_in_full": false, "guards_affected": 3, "arrears_amount": 12000.5, "guarantee": "deposit"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.Must(ctx, http.StatusCreated, "POST", base+"/compliance/complaints", map[string]any{"complainant_id": own, "accused_id": other,
		"kind": "poaching", "description": "合同期内挖走三名保安员", "evidence": []map[string]string{{"kind": "text", "ref": "劳动合同复印件"}}}, nil); err != nil {
		t.Fatal(err)
	}

	district := func() seedFigures {
		t.Helper()
		var f seedFigures
		var plan struct {
			Periods []struct {
				Period                            string
				Companies, Planned, Held, Visited int
			}
		}
		var un struct {
			Companies []struct {
				CompanyID string `json:"company_id"`
			}
		}
		var sp struct {
			ItemCount       int      `json:"item_count"`
			ItemsDone       int      `json:"items_done"`
			CompaniesServed int      `json:"companies_served"`
			Feedbacks       int      `json:"feedbacks"`
			AverageRating   *float64 `json:"average_rating"`
		}
		var w struct {
			Month                      string
			Expected, Declared, Missed int
			OnTime                     int      `json:"on_time"`
			InArrears                  int      `json:"in_arrears"`
			Guarantee                  int      `json:"guarantee_in_place"`
			OnTimeRate                 *float64 `json:"on_time_rate"`
			ArrearsRate                *float64 `json:"arrears_rate"`
			GuaranteeRate              *float64 `json:"guarantee_rate"`
		}
		var c struct {
			Filed, Open, Overdue, Resolved, Withdrawn int
			ByOutcome                                 []struct {
				Key   string
				Count int
			} `json:"by_outcome"`
		}
		for path, into := range map[string]any{"/field-visits/plan?periods=1": &plan, "/field-visits/unvisited": &un,
			"/service-plan/progress": &sp, "/compliance/wages/stats": &w, "/compliance/complaints/stats": &c} {
			if err := admin.Must(ctx, http.StatusOK, "GET", base+path, nil, into); err != nil {
				t.Fatal(err)
			}
		}
		if len(plan.Periods) != 1 {
			t.Fatalf("the visit plan's periods %+v", plan)
		}
		p := plan.Periods[0]
		f.Period, f.Companies, f.Planned, f.Held, f.Visited = p.Period, p.Companies, p.Planned, p.Held, p.Visited
		f.Unvisited = []string{}
		for _, u := range un.Companies {
			f.Unvisited = append(f.Unvisited, u.CompanyID)
		}
		f.Items, f.ItemsDone, f.Served, f.Feedbacks, f.AverageRating = sp.ItemCount, sp.ItemsDone, sp.CompaniesServed, sp.Feedbacks, sp.AverageRating
		f.Month, f.Expected, f.Declared, f.OnTime, f.Arrears, f.Guarantee, f.Missed = w.Month, w.Expected, w.Declared, w.OnTime, w.InArrears, w.Guarantee, w.Missed
		f.OnTimeRate, f.ArrearsRate, f.GuaranteeRt = w.OnTimeRate, w.ArrearsRate, w.GuaranteeRate
		f.Filed, f.Open, f.Overdue, f.Resolved, f.Withdrawn = c.Filed, c.Open, c.Overdue, c.Resolved, c.Withdrawn
		for _, o := range c.ByOutcome {
			if o.Key == "upheld" {
				f.Upheld = o.Count
			}
		}
		return f
	}

	type hqView struct {
		FieldVisits struct {
			Reported                          bool
			Period                            string
			Companies, Planned, Held, Visited int
			Total                             int `json:"visits_total"`
		} `json:"field_visits"`
		ServicePlan struct {
			Reported        bool
			Items           int
			ItemsDone       int      `json:"items_done"`
			CompaniesServed int      `json:"companies_served"`
			Feedbacks       int      `json:"feedbacks"`
			AverageRating   *float64 `json:"average_rating"`
		} `json:"service_plan"`
		Wages struct {
			Reported                   bool
			Month                      string
			Expected, Declared, Missed int
			OnTime                     int      `json:"on_time"`
			InArrears                  int      `json:"in_arrears"`
			Guarantee                  int      `json:"guarantee_in_place"`
			OnTimeRate                 *float64 `json:"on_time_rate"`
			ArrearsRate                *float64 `json:"arrears_rate"`
			GuaranteeRate              *float64 `json:"guarantee_rate"`
		}
		Complaints struct {
			Reported                                  bool
			Filed, Open, Overdue, Resolved, Withdrawn int
			ByOutcome                                 map[string]int `json:"by_outcome"`
		}
	}
	hq := func(path string) (seedFigures, hqView) {
		t.Helper()
		var v hqView
		if err := admin.Must(ctx, http.StatusOK, "GET", path, nil, &v); err != nil {
			t.Fatal(err)
		}
		var un struct {
			Companies []struct {
				CompanyID string `json:"company_id"`
			}
		}
		if err := admin.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/jingkai/field-visits/unvisited", nil, &un); err != nil {
			t.Fatal(err)
		}
		f := seedFigures{Period: v.FieldVisits.Period, Companies: v.FieldVisits.Companies, Planned: v.FieldVisits.Planned,
			Held: v.FieldVisits.Held, Visited: v.FieldVisits.Visited, Unvisited: []string{},
			Items: v.ServicePlan.Items, ItemsDone: v.ServicePlan.ItemsDone, Served: v.ServicePlan.CompaniesServed,
			Feedbacks: v.ServicePlan.Feedbacks, AverageRating: v.ServicePlan.AverageRating,
			Month: v.Wages.Month, Expected: v.Wages.Expected, Declared: v.Wages.Declared, OnTime: v.Wages.OnTime, Arrears: v.Wages.InArrears,
			Guarantee: v.Wages.Guarantee, Missed: v.Wages.Missed, OnTimeRate: v.Wages.OnTimeRate, ArrearsRate: v.Wages.ArrearsRate,
			GuaranteeRt: v.Wages.GuaranteeRate,
			Filed:       v.Complaints.Filed, Open: v.Complaints.Open, Overdue: v.Complaints.Overdue, Resolved: v.Complaints.Resolved,
			Withdrawn: v.Complaints.Withdrawn, Upheld: v.Complaints.ByOutcome["upheld"]}
		for _, u := range un.Companies {
			f.Unvisited = append(f.Unvisited, u.CompanyID)
		}
		return f, v
	}

	// What was recorded, as the district services count it.
	want := district()
	if want.Held != 1 || want.Feedbacks != 1 || want.Declared != 1 || want.Arrears != 1 || want.Filed != 1 || want.Open != 1 {
		t.Fatalf("the district's own figures %+v", want)
	}
	var got seedFigures
	var view hqView
	for {
		got, view = hq("/api/v1/hq/districts/jingkai")
		if reflect.DeepEqual(got, want) {
			break
		}
		select {
		case <-ctx.Done():
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Fatalf("HQ's figures of jingkai\n%s\nthe district's own\n%s", g, w)
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
	if !view.FieldVisits.Reported || !view.ServicePlan.Reported || !view.Wages.Reported || !view.Complaints.Reported || view.FieldVisits.Total != 1 {
		t.Errorf("jingkai's blocks %+v", view)
	}
	// The district's figures did not move while HQ caught up.
	if again := district(); !reflect.DeepEqual(again, want) {
		t.Errorf("the district's figures changed: %+v, then %+v", want, again)
	}
	// caidian recorded nothing: reported false, not zero.
	var cd hqView
	if err := admin.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/districts/caidian", nil, &cd); err != nil {
		t.Fatal(err)
	}
	if cd.FieldVisits.Reported || cd.ServicePlan.Reported || cd.Wages.Reported || cd.Complaints.Reported || cd.Wages.ArrearsRate != nil {
		t.Errorf("caidian %+v", cd)
	}
	// The city-wide summary holds jingkai's, the only district with any.
	sum, _ := hq("/api/v1/hq/summary")
	sum.Unvisited = want.Unvisited // the summary has the count only
	if sum.Held != want.Held || sum.Filed != want.Filed || sum.Declared != want.Declared || sum.Feedbacks != want.Feedbacks ||
		!reflect.DeepEqual(sum.ArrearsRate, want.ArrearsRate) {
		t.Errorf("the summary %+v, want jingkai's %+v", sum, want)
	}
}

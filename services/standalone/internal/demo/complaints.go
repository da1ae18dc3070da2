package demo

// The demo's wage declarations (建立职工薪资保障机制) and fair-competition
// complaint (抱团取暖，杜绝恶意竞争) of issue 17, entered through the
// compliance HTTP API as its callers would: each company declares its own
// last month's wages (one in arrears, which opens a wages dispute), one
// company complains about another's poaching without disclosing itself,
// the accused answers, and the district lead starts mediating, so the
// complaint shows open with its answer and its timers.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
)

// ComplianceStats counts what LoadCompliance entered (or found entered by
// an earlier run).
type ComplianceStats struct {
	// Month is the month declared, YYYY-MM.
	Month                        string
	Declarations, InArrears      int
	Complaints                   int
	ComplaintID, ComplaintStatus string
	Complainant, Accused         string
}

// demoGuarantees are the arrangements the demo companies declare, in turn.
var demoGuarantees = []string{"deposit", "insurance", "union_agreement", "none"}

// LoadCompliance enters, in district through the compliance API, one
// month of wage declarations (the month before now's, China time) for
// every company of companies, the last one in arrears, and one complaint
// of companies[1] against companies[2] (at least three companies), taken
// to mediation. h acts as an hq-admin (the district lead's mediation is
// the association's), asCompany as a company's own company-admin (it
// declares its wages, files and answers). A second run declares the
// month again (the declarations stand as they were) and files no second
// complaint.
func LoadCompliance(ctx context.Context, h http.Handler, district string, companies []string, asCompany func(company string) http.Handler,
	now time.Time) (ComplianceStats, error) {
	var st ComplianceStats
	if len(companies) < 3 {
		return st, fmt.Errorf("demo: the compliance demo needs 3 companies, %s has %d", district, len(companies))
	}
	base := "/api/v1/districts/" + url.PathEscape(district)
	cn := now.In(policy.Zone)
	monthStart := time.Date(cn.Year(), cn.Month(), 1, 0, 0, 0, 0, policy.Zone).AddDate(0, -1, 0)
	st.Month = monthStart.Format("2006-01")
	// Paid on the month's last day: always before now.
	paidOn := monthStart.AddDate(0, 1, -1).Format(time.DateOnly)
	for i, co := range companies {
		body := map[string]any{"company_id": co, "month": st.Month, "paid_in_full": true, "paid_on": paidOn,
			"guarantee": demoGuarantees[i%len(demoGuarantees)]}
		if i == len(companies)-1 {
			body = map[string]any{"company_id": co, "month": st.Month, "paid_in_full": false, "guards_affected": 4,
				"arrears_amount": 15200, "guarantee": "none"}
			st.InArrears++
		}
		cl := &loader{h: asCompany(co), base: base}
		err := cl.do(ctx, http.MethodPost, "/compliance/wages", fmt.Sprintf("demo:wages:%s:%s", co, st.Month), body, nil)
		if err != nil && !isConflict(err, "wage.reviewed") {
			return st, err
		}
		st.Declarations++
	}

	complainant, accused := companies[1], companies[2]
	st.Complainant, st.Accused = complainant, accused
	asComplainant := &loader{h: asCompany(complainant), base: base}
	var filed struct {
		Items []struct{ ID, Status string }
	}
	if err := asComplainant.do(ctx, http.MethodGet, "/compliance/complaints?company_id="+url.QueryEscape(complainant)+"&side=filed", "", nil, &filed); err != nil {
		return st, err
	}
	if len(filed.Items) > 0 {
		st.Complaints, st.ComplaintID, st.ComplaintStatus = len(filed.Items), filed.Items[0].ID, filed.Items[0].Status
		return st, nil
	}
	var c struct{ ID, Status string }
	// 404 company.not_found: compliance has not seen the companies'
	// registration events yet (it learns the register from membership).
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := asComplainant.do(ctx, http.MethodPost, "/compliance/complaints", "demo:complaint:"+district, map[string]any{
			"complainant_id": complainant, "accused_id": accused, "kind": "poaching",
			"description": "对方在我公司驻场项目合同期内，以高薪私下招揽我公司在岗保安员6名，致项目人员缺岗，违反《行业自律公约》关于不得恶意挖角的约定。",
			"evidence": []map[string]string{
				{"kind": "text", "ref": "劳动合同编号 HT-2025-031 至 HT-2025-036", "note": "6名保安员合同期至2026年12月"},
				{"kind": "file", "ref": "demo-doc-0417", "note": "离职人员入职对方公司的社保记录截图"},
			},
		}, &c)
		var re *RequestError
		if err == nil {
			break
		}
		if !errors.As(err, &re) || re.Status != http.StatusNotFound || time.Now().After(deadline) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
	path := "/compliance/complaints/" + url.PathEscape(c.ID)
	asAccused := &loader{h: asCompany(accused), base: base}
	if err := asAccused.do(ctx, http.MethodPost, path+"/answer", "", map[string]any{
		"text":     "相关人员系本人主动应聘，入职前已出具离职证明；我公司愿配合片区调解。",
		"evidence": []map[string]string{{"kind": "file", "ref": "demo-doc-0421", "note": "离职证明复印件"}},
	}, nil); err != nil && !isConflict(err, "complaint.already_answered") {
		return st, err
	}
	lead := &loader{h: h, base: base}
	if err := lead.do(ctx, http.MethodPost, path+"/status", "", map[string]string{"status": "mediating", "mediator": "罗灯亮（片区负责人）"}, &c); err != nil &&
		!isConflict(err, "complaint.status_illegal") {
		return st, err
	}
	st.Complaints, st.ComplaintID, st.ComplaintStatus = 1, c.ID, c.Status
	return st, nil
}

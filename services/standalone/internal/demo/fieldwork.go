package demo

// The demo's field visit (片区负责人下沉调研) and practical-services plan
// (为会员单位办实事) of issue 17, entered through the meetings HTTP API as a
// client would: the district lead's visit with its follow-up, two plan
// items with their milestones and beneficiaries, and the beneficiaries'
// feedback, given by each company's own company-admin.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/guildhall/guildhall/pkg/auth"
)

// FieldworkStats counts what LoadFieldwork entered (or found entered by an
// earlier run).
type FieldworkStats struct {
	Visits, FollowUps, ServiceItems, Beneficiaries, Feedbacks int
}

// FieldworkTerm is the council term of the demo's plan items (第三届).
const FieldworkTerm = "2025-2028"

// AsCompanyAdmin serves h as the company-admin of company in district, as
// the demo gives a beneficiary's feedback: only a company's own
// company-admin may (the meetings policy), so the demo acts as one.
func AsCompanyAdmin(h http.Handler, district, company string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.Principal{Subject: "system:demo:" + company, Role: auth.RoleCompanyAdmin, Districts: []string{district}, Company: company}
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

type demoItem struct {
	kind, title, description, owner, unit string
	target                                int
	milestones                            []map[string]string
	// done is how many of the milestones are done, on their due dates.
	done int
	// served are the indexes of the companies served; feedback the
	// ratings and comments of the first of them.
	served   []int
	feedback []struct {
		rating  int
		comment string
	}
}

var demoItems = []demoItem{
	{kind: "training", title: "片区保安员联合培训", description: "片区内会员单位联合开展在岗保安员复训，统一师资与教材。",
		owner: "陈年初（秘书处）", unit: "sessions", target: 4,
		milestones: []map[string]string{{"title": "第一期：法律法规与职业道德", "due_on": "2025-10-30"}, {"title": "第二期：消防与应急处置", "due_on": "2025-12-15"},
			{"title": "第三期：大型活动安保", "due_on": "2026-03-31"}, {"title": "第四期：技防设备操作", "due_on": "2026-06-30"}},
		done: 2, served: []int{0, 1, 2},
		feedback: []struct {
			rating  int
			comment string
		}{{5, "课程实用，统一培训节省了企业成本"}, {4, "希望增加实操课时"}}},
	{kind: "legal", title: "法律咨询进企业", description: "协会法律顾问上门为会员单位提供劳动用工与合同风险咨询。",
		owner: "协会法律顾问", unit: "companies", target: 6,
		milestones: []map[string]string{{"title": "完成片区首轮上门咨询", "due_on": "2025-12-31"}},
		served:     []int{0, 3},
		feedback: []struct {
			rating  int
			comment string
		}{{4, "劳动合同条款的建议很及时"}}},
}

// LoadFieldwork enters the demo's field visit and plan items in district
// through the meetings API served by h (as an hq-admin, like Load), with
// companies (active member companies the meetings node already knows, at
// least four) as the visited and served companies; asCompany returns the
// handler acting as a company's own company-admin, for its feedback.
// Creates carry Idempotency-Keys and repeats are recognised, so it may be
// run again.
func LoadFieldwork(ctx context.Context, h http.Handler, district string, companies []string, asCompany func(company string) http.Handler) (FieldworkStats, error) {
	var st FieldworkStats
	if len(companies) < 4 {
		return st, fmt.Errorf("demo: the field-work demo needs 4 active companies, %s has %d", district, len(companies))
	}
	base := "/api/v1/districts/" + url.PathEscape(district)
	key := "demo:fieldwork:" + district
	l := &loader{h: h, base: base}
	var visit struct {
		FollowUps []struct{ ID string } `json:"follow_ups"`
	}
	if err := l.do(ctx, http.MethodPost, "/field-visits", key+":visit", map[string]any{
		"company_id": companies[0], "visited_on": "2025-10-15",
		"visited_by": []map[string]string{{"name": "罗灯亮", "role": "副会长、经开蔡甸片区负责人"}, {"name": "陈年初", "role": "秘书长"}},
		"findings":   "企业人员配备到位，持证上岗率高；在岗复训有两名保安员未完成；尚未建立工会组织，职工之家未申报。",
		"points": []map[string]any{
			{"area": "staffing", "rating": "good", "note": "人员稳定，持证率100%"},
			{"area": "training", "rating": "fair", "note": "两名保安员复训未完成"},
			{"area": "party_union", "rating": "poor", "flagged": true, "note": "未建立工会组织"},
			{"area": "risks", "rating": "fair", "note": "夜间岗位单人值守"},
		},
		"follow_ups": []map[string]string{{"title": "建立工会组织并申报职工之家", "due_on": "2025-12-31"}},
	}, &visit); err != nil {
		return st, err
	}
	st.Visits, st.FollowUps = 1, len(visit.FollowUps)
	for i, it := range demoItems {
		var item struct {
			ID         string
			Milestones []struct {
				DoneOn string `json:"done_on"`
			}
		}
		if err := l.do(ctx, http.MethodPost, "/service-plan/items", fmt.Sprintf("%s:item:%d", key, i), map[string]any{
			"term": FieldworkTerm, "kind": it.kind, "title": it.title, "description": it.description, "owner": it.owner,
			"target_unit": it.unit, "target_count": it.target, "milestones": it.milestones,
		}, &item); err != nil {
			return st, err
		}
		st.ServiceItems++
		path := "/service-plan/items/" + item.ID
		for m := range it.done {
			err := l.do(ctx, http.MethodPost, path+"/milestones", "", map[string]any{"milestone": m + 1, "done_on": it.milestones[m]["due_on"]}, nil)
			if err != nil && !isConflict(err, "service_item.milestone_done") {
				return st, err
			}
		}
		for _, c := range it.served {
			err := l.do(ctx, http.MethodPost, path+"/beneficiaries", "", map[string]any{"company_id": companies[c], "served_on": "2025-10-30"}, nil)
			if err != nil && !isConflict(err, "service_beneficiary.duplicate") {
				return st, err
			}
			st.Beneficiaries++
		}
		for j, f := range it.feedback {
			co := companies[it.served[j]]
			cl := &loader{h: asCompany(co), base: base}
			if err := cl.do(ctx, http.MethodPost, path+"/feedback", "", map[string]any{"company_id": co, "rating": f.rating, "comment": f.comment}, nil); err != nil {
				return st, err
			}
			st.Feedbacks++
		}
	}
	return st, nil
}

// isConflict reports whether err is the API's 409 of id (a repeat of
// something an earlier run entered).
func isConflict(err error, id string) bool {
	var re *RequestError
	return errors.As(err, &re) && re.Status == http.StatusConflict && strings.Contains(re.Body, `"id":"`+id+`"`)
}

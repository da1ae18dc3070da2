package standalone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// TestConsoleFieldworkAidAndPublicity drives the console's fieldwork,
// mutual-aid and publicity pages in a real Chromium against a real
// standalone city: the district lead records a field visit (the API's
// error shown beside the field first) and sees it listed, with the plan's
// visits held apart from the companies visited (two visits to one
// company); the lead creates a practical-services item, marks its
// milestone and records a company served, whose admin rates it; the lead
// posts a mutual-aid request and sees it; a company writes a publicity
// post, the lead and then HQ approve it and it is published. Every figure
// is checked against what the API says.
func TestConsoleFieldworkAidAndPublicity(t *testing.T) {
	chromiumPath(t)
	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	shots, axe := screenshotDir(t), axeSource(t)
	look := func(name string) step { return chromedp.Steps(shot(shots, name), accessible(t, axe, name)) }
	const base = "/api/v1/districts/jingkai"

	coA, err := c.RegisterActiveCompany(ctx, "jingkai", 161)
	if err != nil {
		t.Fatal(err)
	}
	coB, err := c.RegisterActiveCompany(ctx, "jingkai", 162)
	if err != nil {
		t.Fatal(err)
	}
	// Company B has two active guards to send for a request that takes
	// any active guard.
	for n := range 2 {
		if _, err := c.HireGuard(ctx, "jingkai", coB, 1620+n); err != nil {
			t.Fatal(err)
		}
	}
	nameA := "武汉测试保安服务有限公司161"
	for _, a := range []map[string]any{
		{"username": "vp-fieldwork", "password": "vp-fieldwork right password", "role": "district-admin", "districts": []string{"jingkai"}},
		{"username": "ca-fieldwork", "password": "ca-fieldwork right password", "role": "company-admin", "districts": []string{"jingkai"}, "company": coA},
		{"username": "hq-fieldwork", "password": "hq-fieldwork right password", "role": "hq-admin"},
		{"username": "cb-fieldwork", "password": "cb-fieldwork right password", "role": "company-admin", "districts": []string{"jingkai"}, "company": coB},
	} {
		poll(t, "the account "+a["username"].(string), func() bool {
			status, _, err := c.Do(ctx, "POST", "/api/v1/auth/accounts", a, nil)
			return err == nil && status == http.StatusCreated
		})
	}
	lead, ca, cb := citytest.New(c.Base), citytest.New(c.Base), citytest.New(c.Base)
	if err := cb.Login(ctx, "cb-fieldwork", "cb-fieldwork right password"); err != nil {
		t.Fatal(err)
	}
	if err := lead.Login(ctx, "vp-fieldwork", "vp-fieldwork right password"); err != nil {
		t.Fatal(err)
	}
	if err := ca.Login(ctx, "ca-fieldwork", "ca-fieldwork right password"); err != nil {
		t.Fatal(err)
	}
	shanghai := time.FixedZone("CST", 8*3600)
	today := time.Now().In(shanghai).Format(time.DateOnly)

	// A first visit to company A, through the API, once meetings knows
	// the company (membership's event).
	poll(t, "meetings to take a visit to the new company", func() bool {
		status, _, err := lead.Do(ctx, "POST", base+"/field-visits", map[string]any{"company_id": coA, "visited_on": today,
			"visited_by": []map[string]string{{"name": "片区秘书"}}}, nil)
		return err == nil && status == http.StatusCreated
	})

	b := browser(t, ctx)
	run(t, b, login(c.Base, "vp-fieldwork", "vp-fieldwork right password"), chromedp.WaitVisible(css(`[data-test=role]`)),
		chromedp.Navigate(c.Base+"/districts/jingkai"), chromedp.Click(css(`[data-test=district-visits]`)),
		waitCount(`[data-test=visits] [data-visit]`, 1), chromedp.Click(css(`[data-test=record-visit]`)), chromedp.WaitVisible(css(`#gh-visitor-name-0`)))

	// Without a company the API refuses the visit: its error, id and field,
	// beside the field, exactly as the API gives them to the same body.
	// (In Chinese: the console sends its language as Accept-Language.)
	res, err := testutil.Send(ctx, lead.HTTP, "POST", c.Base+base+"/field-visits", map[string]any{"company_id": "", "visited_on": today,
		"visited_by": []map[string]string{{"name": "片区负责人王五", "role": "副会长"}}, "findings": "", "points": []any{}, "follow_ups": []any{}},
		"Authorization", "Bearer "+lead.Token, "Accept-Language", "zh-CN")
	if err != nil || res.Status != http.StatusBadRequest {
		t.Fatalf("a visit without a company: %d %s %v", res.Status, res.Body, err)
	}
	var apiErr struct {
		Error struct{ ID, Field, Message string }
	}
	if err := json.Unmarshal(res.Body, &apiErr); err != nil {
		t.Fatal(err)
	}
	run(t, b, chromedp.SendKeys(css(`#gh-visitor-name-0`), "片区负责人王五"), chromedp.SendKeys(css(`#gh-visitor-role-0`), "副会长"),
		chromedp.Click(css(`[data-test=visit-submit]`)),
		waitText(`[data-test=error-id]`, apiErr.Error.ID+" · "+apiErr.Error.Field),
		look("field-visit-error.zh-CN"))
	shownMsg, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('#gh-visit-company').closest('.el-form-item').querySelector('.el-form-item__error')?.innerText ?? ''`))
	if err != nil || strings.TrimSpace(shownMsg) != apiErr.Error.Message || apiErr.Error.Field != "company_id" {
		t.Errorf("beside the company: %q (%v); the API's error %+v", shownMsg, err, apiErr.Error)
	}

	// The second visit to A, through the form: a point and a follow-up.
	due := time.Now().In(shanghai).AddDate(0, 1, 0).Format(time.DateOnly)
	run(t, b, chromedp.Click(css(`#gh-visit-company`)), chromedp.SendKeys(css(`#gh-visit-company`), nameA), clickOption(nameA),
		chromedp.Click(css(`.el-dialog__title`)),
		chromedp.SendKeys(css(`#gh-visit-findings`), "工会未建立，排班表齐全。"),
		chromedp.Click(css(`[data-test=add-point]`)), chromedp.Click(css(`[data-test=point-0-area-party_union]`)),
		chromedp.Click(css(`[data-test=point-0-rating-poor]`)), chromedp.Click(css(`[data-test=point-0-flagged]`)),
		chromedp.Click(css(`[data-test=add-follow-up]`)), chromedp.SendKeys(css(`#gh-followup-title-0`), "建立工会"),
		chromedp.SendKeys(css(`#gh-followup-due-0`), due+"\t"),
		// A blank row, then a follow-up due too far ahead: the API names
		// the second follow-up it was sent (follow_ups[1].due_on), which
		// is the form's third row.
		chromedp.Click(css(`[data-test=add-follow-up]`)), chromedp.Click(css(`[data-test=add-follow-up]`)),
		chromedp.SendKeys(css(`#gh-followup-title-2`), "补齐复训"), chromedp.SendKeys(css(`#gh-followup-due-2`), "2099-01-01\t"),
		chromedp.Click(css(`[data-test=visit-submit]`)), chromedp.WaitVisible(css(`[data-test=error-follow-up-due-2]`)),
		waitCount(`[data-test=error-follow-up-due-0], [data-test=error-follow-up-due-1], [data-test=form-error], [data-test=error-follow_ups]`, 0),
		look("field-visit-follow-up-error.zh-CN"))
	res, err = testutil.Send(ctx, lead.HTTP, "POST", c.Base+base+"/field-visits", map[string]any{"company_id": coA, "visited_on": today,
		"visited_by": []map[string]string{{"name": "片区负责人王五", "role": "副会长"}}, "findings": "工会未建立，排班表齐全。",
		"points":     []map[string]any{{"area": "party_union", "rating": "poor", "flagged": true, "note": ""}},
		"follow_ups": []map[string]string{{"title": "建立工会", "due_on": due}, {"title": "补齐复训", "due_on": "2099-01-01"}}},
		"Authorization", "Bearer "+lead.Token, "Accept-Language", "zh-CN")
	if err != nil || res.Status != http.StatusBadRequest {
		t.Fatalf("a follow-up due in 2099: %d %s %v", res.Status, res.Body, err)
	}
	if err := json.Unmarshal(res.Body, &apiErr); err != nil || apiErr.Error.Field != "follow_ups[1].due_on" {
		t.Fatalf("a follow-up due in 2099: %s %v, want the field follow_ups[1].due_on", res.Body, err)
	}
	run(t, b, waitText(`[data-test=error-follow-up-due-2]`, apiErr.Error.Message),
		// The row emptied of its title is not sent: the visit goes through.
		fill(`#gh-followup-title-2`, ""),
		look("field-visit-form.zh-CN"),
		chromedp.Click(css(`[data-test=visit-submit]`)), chromedp.WaitNotVisible(css(`#gh-visit-findings`)),
		waitCount(`[data-test=visits] [data-visit]`, 2))
	var visits struct {
		Items []struct {
			ID        string
			CompanyID string `json:"company_id"`
			Findings  string
			VisitedBy []struct{ Name, Role string } `json:"visited_by"`
			Points    []struct {
				Area, Rating string
				Flagged      bool
			}
			FollowUps []struct{ Title, DueOn string } `json:"follow_ups"`
		}
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/field-visits?page_size=20", nil, &visits); err != nil {
		t.Fatal(err)
	}
	var recorded int = -1
	for i, v := range visits.Items {
		if v.Findings == "工会未建立，排班表齐全。" {
			recorded = i
		}
	}
	if len(visits.Items) != 2 || recorded < 0 {
		t.Fatalf("the API's visits: %+v", visits.Items)
	}
	v := visits.Items[recorded]
	if v.CompanyID != coA || len(v.VisitedBy) != 1 || v.VisitedBy[0].Name != "片区负责人王五" || v.VisitedBy[0].Role != "副会长" ||
		len(v.Points) != 1 || v.Points[0].Area != "party_union" || v.Points[0].Rating != "poor" || !v.Points[0].Flagged ||
		len(v.FollowUps) != 1 || v.FollowUps[0].Title != "建立工会" {
		t.Errorf("the visit the form recorded: %+v", v)
	}
	row := fmt.Sprintf(`[data-test=visits] .el-table__body tr:nth-child(%d)`, recorded+1)
	run(t, b, waitText(row+` [data-test=visit-company]`, nameA), waitText(row+` [data-test=visit-by]`, "片区负责人王五"),
		waitText(row+` [data-test=visit-points]`, "党建工会：差 ⚑"), waitText(row+` [data-test=visit-follow-ups]`, "1"))
	// Two visits to one company: held 2, companies visited 1 in this
	// period; the page shows each figure in its own place.
	var vplan struct {
		Periods []struct {
			Period                            string
			Visited, Planned, Held, Companies int
		}
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/field-visits/plan", nil, &vplan); err != nil || len(vplan.Periods) == 0 {
		t.Fatalf("the plan: %v %+v", err, vplan)
	}
	differ := false
	for _, p := range vplan.Periods {
		differ = differ || p.Held != p.Visited
		run(t, b, waitText(fmt.Sprintf(`[data-test="visit-period-%s"]`, p.Period), fmt.Sprintf("%d / %d", p.Visited, p.Planned)),
			waitText(fmt.Sprintf(`[data-test="visit-held-%s"]`, p.Period), fmt.Sprint(p.Held)),
			waitText(fmt.Sprintf(`[data-test="visit-companies-%s"]`, p.Period), fmt.Sprint(p.Companies)))
	}
	if !differ {
		t.Errorf("the fixture's periods %+v: no period where visits held differ from companies visited", vplan.Periods)
	}
	run(t, b, look("field-visits-recorded.zh-CN"))

	// The practical-services plan: an item with a milestone, marked done;
	// company A recorded as served.
	milestoneDue := time.Now().In(shanghai).AddDate(0, 0, 10).Format(time.DateOnly)
	run(t, b, chromedp.Navigate(c.Base+"/districts/jingkai"), chromedp.Click(css(`[data-test=district-service-plan]`)),
		waitText(`[data-test=plan] .el-table__empty-text`, "暂无实事项目"), waitText(`[data-test=plan-rating]`, "未上报"),
		chromedp.Click(css(`[data-test=new-plan-item]`)), chromedp.WaitVisible(css(`#gh-item-term`)),
		chromedp.SendKeys(css(`#gh-item-term`), "2025-2028"), chromedp.Click(css(`[data-test=item-kind-legal]`)),
		chromedp.SendKeys(css(`#gh-item-title`), "法律咨询进企业"), chromedp.SendKeys(css(`#gh-item-owner`), "片区秘书处"),
		chromedp.SendKeys(css(`#gh-item-target`), "2"), chromedp.SendKeys(css(`#gh-milestone-title-0`), "签约律所"),
		chromedp.SendKeys(css(`#gh-milestone-due-0`), milestoneDue+"\t"), look("service-plan-new.zh-CN"),
		chromedp.Click(css(`[data-test=item-submit]`)), chromedp.WaitNotVisible(css(`#gh-item-term`)),
		waitCount(`[data-test=plan] .el-table__body tr`, 1))
	type planItem struct {
		ID            string
		Achieved      int
		TargetCount   int      `json:"target_count"`
		Progress      float64  `json:"progress"`
		AverageRating *float64 `json:"average_rating"`
		Milestones    []struct {
			Title  string
			DueOn  string `json:"due_on"`
			DoneOn string `json:"done_on"`
		}
	}
	var items struct{ Items []planItem }
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/service-plan/items", nil, &items); err != nil || len(items.Items) != 1 {
		t.Fatalf("the plan's items: %v %+v", err, items.Items)
	}
	item := items.Items[0]
	if item.TargetCount != 2 || len(item.Milestones) != 1 || item.Milestones[0].DueOn != milestoneDue {
		t.Errorf("the item the form created: %+v", item)
	}
	run(t, b, waitText(fmt.Sprintf(`[data-test="plan-target-%s"]`, item.ID), "0 / 2 家"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="plan-item-%s"]`, item.ID))), chromedp.WaitVisible(css(`[data-test=milestone-done-0]`)),
		waitText(`[data-test=milestone-state-0]`, "未到期"),
		chromedp.Click(css(`[data-test=milestone-done-0]`)), waitText(`[data-test=milestone-state-0]`, dayZh(today)+" 完成"),
		chromedp.Click(css(`#gh-beneficiary-company`)), chromedp.SendKeys(css(`#gh-beneficiary-company`), nameA), clickOption(nameA),
		chromedp.Click(css(`[data-test=plan-detail-title]`)), chromedp.Click(css(`[data-test=beneficiary-add]`)),
		waitText(fmt.Sprintf(`[data-test="beneficiary-rating-%s"]`, coA), "未评价"),
		waitText(fmt.Sprintf(`[data-test="plan-target-%s"]`, item.ID), "1 / 2 家"), look("service-plan.zh-CN"))
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/service-plan/items/"+item.ID, nil, &item); err != nil {
		t.Fatal(err)
	}
	if item.Achieved != 1 || item.Milestones[0].DoneOn != today {
		t.Errorf("after the milestone and the beneficiary the API's item: %+v", item)
	}
	run(t, b, waitText(fmt.Sprintf(`[data-test="plan-progress-%s"]`, item.ID), rateText(&item.Progress)))

	// Company A rates it.
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "ca-fieldwork", "ca-fieldwork right password"),
		chromedp.WaitVisible(css(`[data-test=role]`)), chromedp.Navigate(c.Base+"/districts/jingkai/service-plan"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="plan-item-%s"]`, item.ID))), chromedp.WaitVisible(css(`[data-test=feedback-rating-4]`)),
		waitCount(`[data-test=new-plan-item], [data-test^=milestone-done-], [data-test=beneficiary-add], [data-test=plan-cards]`, 0),
		chromedp.Click(css(`[data-test=feedback-rating-4]`)), chromedp.SendKeys(css(`#gh-feedback-comment`), "律师答复及时"),
		chromedp.Click(css(`[data-test=feedback-submit]`)),
		waitText(fmt.Sprintf(`[data-test="beneficiary-rating-%s"]`, coA), "4 / 5"),
		waitText(fmt.Sprintf(`[data-test="beneficiary-comment-%s"]`, coA), "律师答复及时"), look("service-plan-feedback.zh-CN"))
	var bens struct {
		Items []struct {
			CompanyID string `json:"company_id"`
			Rating    int
			Comment   string
		}
	}
	if err := ca.Must(ctx, http.StatusOK, "GET", base+"/service-plan/items/"+item.ID+"/beneficiaries?company_id="+coA, nil, &bens); err != nil {
		t.Fatal(err)
	}
	if len(bens.Items) != 1 || bens.Items[0].Rating != 4 || bens.Items[0].Comment != "律师答复及时" {
		t.Errorf("the API's feedback: %+v", bens.Items)
	}
	if err := ca.Must(ctx, http.StatusOK, "GET", base+"/service-plan/items/"+item.ID, nil, &item); err != nil || item.AverageRating == nil {
		t.Fatalf("the item after feedback: %v %+v", err, item)
	}
	run(t, b, waitText(fmt.Sprintf(`[data-test="plan-rating-%s"]`, item.ID), fmt.Sprintf("%.1f", *item.AverageRating)))

	// Company A writes a publicity post.
	run(t, b, chromedp.Navigate(c.Base+"/districts/jingkai/publicity"), waitText(`[data-test=published-none]`, "尚无已发布的稿件"),
		chromedp.Click(css(`[data-test=new-post]`)), chromedp.WaitVisible(css(`#gh-post-title`)),
		chromedp.SendKeys(css(`#gh-post-title`), "保安员拾金不昧"), chromedp.SendKeys(css(`#gh-post-body`), "保安员**李明**在岗位上拾到钱包，交还失主。"),
		chromedp.SendKeys(css(`#gh-post-red-shield`), "经开红盾先锋岗"), chromedp.Click(css(`[data-test=post-submit]`)),
		chromedp.WaitNotVisible(css(`#gh-post-title`)), waitCount(`[data-test=posts] [data-post]`, 1))
	type post struct {
		ID           string `json:"id"`
		Title        string `json:"title"`
		Status       string `json:"status"`
		Reason       string `json:"reason"`
		Version      int64  `json:"version"`
		BodyMarkdown string `json:"body_markdown"`
		BodyHTML     string `json:"body_html"`
		AuthorName   string `json:"author_name"`
	}
	var posts struct{ Items []post }
	if err := ca.Must(ctx, http.StatusOK, "GET", base+"/publicity/posts", nil, &posts); err != nil || len(posts.Items) != 1 || posts.Items[0].Status != "pending_district" {
		t.Fatalf("the API's posts: %v %+v", err, posts.Items)
	}
	p := posts.Items[0]
	// The author a reader sees is the company, by the name the API gives.
	if p.AuthorName != nameA {
		t.Errorf("the API's post is by %q, want %q", p.AuthorName, nameA)
	}
	run(t, b, waitText(fmt.Sprintf(`[data-test="posts-status-%s"]`, p.ID), "待片区审核"),
		waitText(fmt.Sprintf(`[data-test="posts-author-%s"]`, p.ID), p.AuthorName), look("publicity.zh-CN"))

	// The lead sends it back with a reason; the company edits it and
	// resubmits it as version 2; the lead approves that, and HQ's node
	// gets it for HQ's review.
	postPage := chromedp.Steps(chromedp.Navigate(c.Base+"/districts/jingkai/publicity"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="posts-open-%s"]`, p.ID))), chromedp.WaitVisible(css(`[data-test=posts-detail-body] strong`)))
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "vp-fieldwork", "vp-fieldwork right password"),
		chromedp.WaitVisible(css(`[data-test=role]`)), postPage,
		waitText(`[data-test=posts-detail-body] strong`, "李明"), waitText(`[data-test=posts-detail-byline]`, nameA+" · 第 1 版"),
		look("publicity-review.zh-CN"), chromedp.Click(css(`[data-test=posts-reject]`)), chromedp.WaitVisible(css(`#gh-posts-reason`)),
		chromedp.SendKeys(css(`#gh-posts-reason`), "请补充时间和地点"), chromedp.Click(css(`[data-test=posts-review-submit]`)),
		waitText(fmt.Sprintf(`[data-test="posts-status-%s"]`, p.ID), "已退回"), waitCount(`[data-test=posts-edit]`, 0))
	body2 := "保安员**李明**于12月1日上午在经开万达广场岗位上拾到钱包，交还失主。"
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "ca-fieldwork", "ca-fieldwork right password"),
		chromedp.WaitVisible(css(`[data-test=role]`)), postPage, waitText(`[data-test=posts-detail-status]`, "已退回：请补充时间和地点"),
		chromedp.Click(css(`[data-test=posts-edit]`)), chromedp.WaitVisible(css(`#gh-posts-edit-body`)),
		fill(`#gh-posts-edit-body`, body2), look("publicity-resubmit.zh-CN"),
		chromedp.Click(css(`[data-test=posts-resubmit]`)), waitText(fmt.Sprintf(`[data-test="posts-status-%s"]`, p.ID), "待片区审核"),
		waitText(`[data-test=posts-detail-byline]`, nameA+" · 第 2 版"))
	if err := ca.Must(ctx, http.StatusOK, "GET", base+"/publicity/posts/"+p.ID, nil, &p); err != nil || p.Version != 2 || p.Status != "pending_district" ||
		p.BodyMarkdown != body2 || p.Title != "保安员拾金不昧" || p.Reason != "" {
		t.Fatalf("the post after the resubmission: %v %+v", err, p)
	}
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "vp-fieldwork", "vp-fieldwork right password"),
		chromedp.WaitVisible(css(`[data-test=role]`)), postPage, waitText(`[data-test=posts-detail-body]`, "保安员李明于12月1日上午在经开万达广场岗位上拾到钱包，交还失主。"),
		chromedp.Click(css(`[data-test=posts-review-submit]`)), waitText(fmt.Sprintf(`[data-test="posts-status-%s"]`, p.ID), "待总部审核"))
	poll(t, "HQ to hold the post for its review", func() bool {
		var hp post
		err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/publicity/posts/"+p.ID, nil, &hp)
		return err == nil && hp.Status == "pending_hq"
	})

	// The lead posts a mutual-aid request and sees it.
	day := time.Now().In(shanghai).AddDate(0, 0, 2).Format(time.DateOnly)
	run(t, b, chromedp.Navigate(c.Base+"/districts/jingkai"), chromedp.Click(css(`[data-test=district-aid]`)),
		waitText(`[data-test=aid-requests] .el-table__empty-text`, "暂无互助需求"), waitText(`[data-test=aid-stat-requests-total]`, "0"),
		chromedp.Click(css(`[data-test=post-aid]`)), chromedp.WaitVisible(css(`#gh-aid-title`)),
		chromedp.SendKeys(css(`#gh-aid-title`), "元旦文旅活动安保支援"), chromedp.SendKeys(css(`#gh-aid-headcount`), "3"),
		chromedp.Click(css(`[data-test=aid-qualification-any]`)),
		chromedp.SendKeys(css(`#gh-aid-start-day`), day+"\t"), chromedp.SendKeys(css(`#gh-aid-end-day`), day+"\t"),
		chromedp.SendKeys(css(`#gh-aid-place`), "经开区文旅广场"), chromedp.SendKeys(css(`#gh-aid-contact`), "现场负责人"),
		look("aid-post.zh-CN"), chromedp.Click(css(`[data-test=aid-submit]`)), chromedp.WaitNotVisible(css(`#gh-aid-title`)),
		waitCount(`[data-test=aid-requests] [data-aid]`, 1))
	var aid struct {
		Items []struct {
			ID                  string
			Title, Status, Kind string
			Qualification       string
			Headcount, Accepted int
			StartsAt            time.Time `json:"starts_at"`
		}
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/aid/requests", nil, &aid); err != nil || len(aid.Items) != 1 {
		t.Fatalf("the API's aid requests: %v %+v", err, aid.Items)
	}
	r := aid.Items[0]
	wantStart := day + "T08:00:00+08:00"
	if r.Title != "元旦文旅活动安保支援" || r.Headcount != 3 || r.Qualification != "any" || r.Kind != "cultural_tourism" || r.StartsAt.In(shanghai).Format(time.RFC3339) != wantStart {
		t.Errorf("the request the form posted: %+v (want it to start at %s)", r, wantStart)
	}
	run(t, b, waitText(fmt.Sprintf(`[data-test="aid-needed-%s"]`, r.ID), fmt.Sprintf("尚缺 %d 人（共 %d 人）", r.Headcount, r.Headcount)))

	// Company B sees what it can send and offers two guards; the lead
	// accepts them.
	var av struct{ Available, Qualified, Committed int }
	poll(t, "messaging to know company B's two guards", func() bool {
		err := cb.Must(ctx, http.StatusOK, "GET", base+"/aid/requests/"+r.ID+"/availability", nil, &av)
		return err == nil && av.Qualified == 2
	})
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "cb-fieldwork", "cb-fieldwork right password"),
		chromedp.WaitVisible(css(`[data-test=role]`)), chromedp.Navigate(c.Base+"/districts/jingkai/aid"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="aid-%s"]`, r.ID))),
		waitText(`[data-test=aid-availability]`, fmt.Sprintf("本单位可派 %d 人（符合条件 %d 人，已承诺其他需求 %d 人）", av.Available, av.Qualified, av.Committed)),
		waitCount(`[data-test=aid-stats]`, 0),
		chromedp.SendKeys(css(`#gh-offer-headcount`), "2"), chromedp.SendKeys(css(`#gh-offer-note`), "在职保安员2名"),
		chromedp.Click(css(`[data-test=offer-submit]`)), waitCount(`[data-test=aid-offers] [data-offer]`, 1), look("aid-offer.zh-CN"))
	var offers struct {
		Items []struct {
			ID                string `json:"id"`
			CompanyID         string `json:"company_id"`
			Headcount         int    `json:"headcount"`
			Status            string `json:"status"`
			AcceptedHeadcount int    `json:"accepted_headcount"`
		}
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/aid/requests/"+r.ID+"/offers", nil, &offers); err != nil || len(offers.Items) != 1 ||
		offers.Items[0].CompanyID != coB || offers.Items[0].Headcount != 2 {
		t.Fatalf("the API's offers: %v %+v", err, offers.Items)
	}
	o := offers.Items[0]
	run(t, b, waitText(fmt.Sprintf(`[data-test="offer-status-%s"]`, o.ID), "待接受"), waitCount(fmt.Sprintf(`[data-test="accept-%s"]`, o.ID), 0),
		chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "vp-fieldwork", "vp-fieldwork right password"),
		chromedp.WaitVisible(css(`[data-test=role]`)), chromedp.Navigate(c.Base+"/districts/jingkai/aid"),
		chromedp.Click(css(fmt.Sprintf(`[data-test="aid-%s"]`, r.ID))), chromedp.WaitVisible(css(fmt.Sprintf(`[data-test="accept-%s"]`, o.ID))),
		chromedp.Click(css(fmt.Sprintf(`[data-test="accept-%s"]`, o.ID))), waitText(fmt.Sprintf(`[data-test="offer-status-%s"]`, o.ID), "已接受 2 人"))
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/aid/requests", nil, &aid); err != nil || len(aid.Items) != 1 || aid.Items[0].Accepted != 2 {
		t.Fatalf("the API's request after the acceptance: %v %+v", err, aid.Items)
	}
	r = aid.Items[0]
	var stats struct {
		Total struct{ Requests, Needed, Accepted int }
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/aid/stats", nil, &stats); err != nil {
		t.Fatal(err)
	}
	run(t, b, waitText(fmt.Sprintf(`[data-test="aid-needed-%s"]`, r.ID), fmt.Sprintf("尚缺 %d 人（共 %d 人）", r.Headcount-r.Accepted, r.Headcount)),
		waitText(fmt.Sprintf(`[data-test="aid-status-%s"]`, r.ID), "进行中"),
		waitText(`[data-test=aid-stat-requests-total]`, fmt.Sprint(stats.Total.Requests)),
		waitText(`[data-test=aid-stat-filled-total]`, fmt.Sprintf("%d / %d", stats.Total.Accepted, stats.Total.Needed)), look("aid.zh-CN"))

	// The lead closes it as fulfilled with the two accepted, saying why.
	run(t, b, chromedp.WaitVisible(css(`[data-test=aid-close-form]`)), chromedp.Click(css(`[data-test=aid-outcome-fulfilled]`)),
		chromedp.SendKeys(css(`#gh-aid-close-reason`), "活动缩小规模，两人足够"), look("aid-close.zh-CN"),
		chromedp.Click(css(`[data-test=aid-close-submit]`)), waitText(fmt.Sprintf(`[data-test="aid-status-%s"]`, r.ID), "已满足"),
		waitCount(`[data-test=aid-close-form]`, 0), chromedp.WaitVisible(css(fmt.Sprintf(`[data-test="aid-closed-%s"]`, r.ID))))
	var closed struct {
		Status      string     `json:"status"`
		CloseReason string     `json:"close_reason"`
		ClosedAt    *time.Time `json:"closed_at"`
	}
	if err := lead.Must(ctx, http.StatusOK, "GET", base+"/aid/requests/"+r.ID, nil, &closed); err != nil || closed.Status != "fulfilled" ||
		closed.CloseReason != "活动缩小规模，两人足够" || closed.ClosedAt == nil {
		t.Fatalf("the request after the close: %v %+v", err, closed)
	}
	closedLine, err := chromedp.Run(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('[data-test="aid-closed-%s"]').innerText`, r.ID)))
	if err != nil || !strings.HasSuffix(strings.TrimSpace(closedLine), " 结束 · 说明：活动缩小规模，两人足够") {
		t.Errorf("the closed request's line %q (%v)", closedLine, err)
	}

	// HQ publishes the post; the city's feed, and jingkai's, show it.
	run(t, b, chromedp.Click(css(`[data-test=logout]`)), login(c.Base, "hq-fieldwork", "hq-fieldwork right password"),
		chromedp.WaitVisible(css(`[data-test=nav-publicity]`)), chromedp.Click(css(`[data-test=nav-publicity]`)),
		chromedp.Click(css(fmt.Sprintf(`[data-test="hq-posts-open-%s"]`, p.ID))), waitText(`[data-test=hq-posts-detail-title]`, "保安员拾金不昧"),
		look("hq-publicity.zh-CN"), chromedp.Click(css(`[data-test=hq-posts-review-submit]`)),
		waitText(`[data-test=hq-posts-detail-status]`, "已发布"), chromedp.WaitVisible(css(fmt.Sprintf(`[data-published="%s"]`, p.ID))),
		waitText(`[data-test=published-title]`, "保安员拾金不昧"))
	line, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('[data-test=published-line]').innerText`))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(line), "jingkai 片区 · "+nameA+" · ") {
		t.Errorf("the published post's line %q (%v), want it by %s", line, err, nameA)
	}
	var feed struct {
		Items []struct{ ID, Title string }
	}
	poll(t, "jingkai's feed to show the published post", func() bool {
		err := ca.Must(ctx, http.StatusOK, "GET", base+"/publicity/published", nil, &feed)
		return err == nil && len(feed.Items) == 1 && feed.Items[0].ID == p.ID
	})
	run(t, b, chromedp.Navigate(c.Base+"/districts/jingkai/publicity"), chromedp.WaitVisible(css(fmt.Sprintf(`[data-published="%s"]`, p.ID))),
		chromedp.Click(css(fmt.Sprintf(`[data-test="published-read-%s"]`, p.ID))), waitText(`[data-test=published-body] strong`, "李明"),
		waitText(fmt.Sprintf(`[data-test="posts-status-%s"]`, p.ID), "已发布"))

	// English: the four pages, photographed.
	run(t, b, chromedp.Click(css(`[data-test=lang]`)), waitText(`h1`, "Positive publicity"), look("publicity.en"),
		chromedp.Navigate(c.Base+"/hq/publicity"), waitText(`h1`, "Publicity review and mutual aid"), look("hq-publicity.en"),
		chromedp.Navigate(c.Base+"/districts/jingkai/aid"), waitText(fmt.Sprintf(`[data-test="aid-status-%s"]`, r.ID), "Fulfilled"), look("aid.en"),
		chromedp.Navigate(c.Base+"/districts/jingkai/service-plan"), waitText(fmt.Sprintf(`[data-test="plan-target-%s"]`, item.ID), "1 / 2 companies"), look("service-plan.en"),
		chromedp.Navigate(c.Base+"/districts/jingkai/field-visits"), waitText(row+` [data-test=visit-points]`, "Party and union: poor ⚑"), look("field-visits.en"),
		chromedp.Click(css(`[data-test=lang]`)), waitText(`[data-test=lang]`, "English"))

	// On a phone (a tab of its own, its own session): the company rates
	// an item, and the page fits the screen's width (tables scroll in
	// their own box).
	phone, cancelPhone := chromedp.NewContext(b)
	defer cancelPhone()
	if err := chromedp.Do(phone, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	run(t, phone, login(c.Base, "ca-fieldwork", "ca-fieldwork right password"), chromedp.WaitVisible(css(`[data-test=role]`)),
		chromedp.Navigate(c.Base+"/districts/jingkai/service-plan"), chromedp.Click(css(fmt.Sprintf(`[data-test="plan-item-%s"]`, item.ID))),
		waitText(fmt.Sprintf(`[data-test="beneficiary-rating-%s"]`, coA), "4 / 5"), chromedp.WaitVisible(css(`[data-test=feedback-rating-5]`)),
		look("service-plan.phone.zh-CN"))
	for _, page := range []string{"/districts/jingkai/service-plan", "/districts/jingkai/aid", "/districts/jingkai/publicity"} {
		run(t, phone, chromedp.Navigate(c.Base+page), chromedp.WaitVisible(css(`h1`)))
		over, err := chromedp.Run(phone, chromedp.Evaluate[int](`Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - screen.width`))
		if err != nil || over > 0 {
			t.Errorf("%s on a phone: %d px wider than the screen (%v)", page, over, err)
		}
	}
}

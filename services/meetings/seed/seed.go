// Package seed enters the district working meeting of 2025-09-23 (武汉市
// 保安行业协会第三届理事会经开、蔡甸片区第一次工作会议, the seed report
// district-meeting-2025-09-23.zh.txt) through the meetings HTTP API, exactly
// as a client would: the meeting, its agenda in order, the invitees by role
// and their attendance, the four key deployments as a resolution with action
// items, the convention signing by the attending companies, the speeches and
// the police officers' requirements as minute entries, the published minutes
// and the closing.
package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"
)

// Company is an attending member company and its head (负责人).
type Company struct {
	ID   string
	Name string
	Head string
}

// RequestError is a request the API refused.
type RequestError struct {
	Method, Path string
	Status       int
	Body         string
}

// Error implements error.
func (e *RequestError) Error() string {
	return fmt.Sprintf("seed: %s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// FallbackConventionVersion is the version the companies sign when the
// association has not published a current convention (the report names the
// 《行业自律公约》 but not its version).
const FallbackConventionVersion = "2025"

var cst = time.FixedZone("CST", 8*3600)

// The meeting as the report tells it. The report says "上午" without a
// time: 09:00–12:00 is an assumption, as are the action items' due dates
// (the report sets none; the end of the year is used).
var (
	start = time.Date(2025, 9, 23, 9, 0, 0, 0, cst)
	end   = time.Date(2025, 9, 23, 12, 0, 0, 0, cst)
)

// Title is the meeting's title in the report.
const Title = "武汉市保安协会第三届理事会经开、蔡甸片区第一次工作会议"

type person struct{ name, role, org, title string }

// people are the invitees other than the companies, by role.
var people = []person{
	{"罗灯亮", "officer", "武汉市保安协会", "副会长（主持）"},
	{"肖军", "officer", "武汉市保安协会", "会长"},
	{"陈年初", "officer", "武汉市保安协会", "秘书长"},
	{"曾宪雄", "officer", "武汉市保安协会", "监事长"},
	{"薛龙", "police", "武汉市公安局治安支队保安服务行业监督管理办公室", "警官"},
	{"余朦", "police", "武汉市公安局治安支队保安服务行业监督管理办公室", "警官"},
	{"徐谦", "police", "经开区公安分局", "警官"},
	{"高巍", "police", "蔡甸区公安分局", "警官"},
}

type agendaItem struct{ kind, title, presenter string }

var agenda = []agendaItem{
	{"briefing", "解读协会第三届第一次会长办公会精神", "陈年初"},
	{"speeches", "与会企业负责人依次发言", "与会企业负责人"},
	{"deployment", "近期工作四项重点部署", "罗灯亮"},
	{"signing", "签订《行业自律公约》", "各单位负责人"},
	{"remarks", "监事长提出要求与期望", "曾宪雄"},
	{"remarks", "会长讲话（五个方面意见）", "肖军"},
	{"remarks", "公安机关讲话", "徐谦、高巍、余朦、薛龙"},
}

// deployments are 罗灯亮's four key deployments (四项重点部署).
var deployments = []struct{ title, ownerKind, ownerName string }{
	{"分工协作：建立片区常态化联络机制，保障工作高效落地", "person", "罗灯亮"},
	{"重点任务落实：风险隐患排查、矛盾纠纷化解工作落到实处，鼓励企业积极参与“江城义警”队伍建设", "district", ""},
	{"党建工会建设：各企业尽快组建党组织，打造“红盾先锋”品牌，推动工会建设，建立职工薪资保障机制", "district", ""},
	{"行业协同发展：倡导企业抱团取暖，杜绝恶意竞争行为，维护公平有序的行业环境", "district", ""},
}

const deploymentDue = "2025-12-31"

type minute struct {
	agenda        int // index into agenda
	speaker, role string
	kind, text    string
}

// minutes are the entries of the record, in the order spoken; the police
// officers' requirements are the report's own words.
var minutes = []minute{
	{0, "陈年初", "秘书长", "briefing", "解读协会第三届第一次会长办公会精神，详细介绍了副会长片区分工、为会员单位办实事计划、党建与工会建设要求、风险隐患排查与矛盾纠纷化解工作、“江城义警”推进工作计划、倡导遵守行业自律公约等任务，为片区后续工作开展提供总体方向。"},
	{1, "与会企业负责人", "保安从业单位负责人", "speech", "与会企业负责人围绕自身发展定位、行业痛点及片区工作建议依次发言，针对行业当前市场环境、用工风险、教育培训、企业管理等方面提出了务实观点，为行业片区发展提供了经验与思路。"},
	{2, "罗灯亮", "副会长", "deployment", "一是在分工协作方面，建立片区常态化联络机制，保障工作高效落地；二是在重点任务落实上，强调风险隐患排查、矛盾纠纷化解工作需落到实处，鼓励企业积极参与 “江城义警” 队伍建设；三是在党建工会建设上，提出各企业须尽快组建党组织，打造 “红盾先锋” 品牌，同时大力推动工会建设，建立职工薪资保障机制；四是在行业协同发展上，倡导企业抱团取暖，杜绝恶意竞争行为，以团结发展、资源共享、畅通交流的方式，维护公平有序的行业环境。"},
	{3, "各单位负责人", "保安从业单位负责人", "note", "各单位负责人签订《行业自律公约》，以书面承诺践行规范经营理念，依法依规严守底线，共同促进行业健康规范发展。"},
	{4, "曾宪雄", "监事长", "requirements", "希望各企业贯彻市局、区分局监管部门与行业协会的工作部署，合法依规经营，承担社会责任，公平友善竞争，严控企业风险，畅通信息共享交流。"},
	{5, "肖军", "会长", "speech", "一是要以标准化建设为基石，按照相关方案落实隐患排查“四个100%”要求，筑牢产业安全屏障；二是以职业化发展为支撑，建强“江城义警”队伍，结合节假日加大重点区域巡防力度，加强警保联动机制；三是以党建引领为抓手，推动党组织应建尽建，深化“红盾先锋”品牌建设，提升 “职工之家”覆盖率；四是以团结合作为纽带，践行《自律公约》，建立制造业与文旅安保互助机制，定期召开 “片区行业圆桌会”；五是以落实协会工作为关键，要求企业主动配合，片区负责人下沉调研，确保部署不打折扣。"},
	{6, "徐谦", "经开区公安分局警官", "requirements", "将一如既往支持协会工作、坚决贯彻落实市局下达的各项指示要求，共同维护区域治安稳定，推动安保力量在应急响应、风险防范中发挥更大作用。"},
	{6, "高巍", "蔡甸区公安分局警官", "requirements", "将积极配合市局、协会工作，主动参与行业评价工作，促进保安行业健全各项制度，规范市场运行。"},
	{6, "余朦", "市公安局治安支队保安服务行业监督管理办公室警官", "requirements", "各企业应该团结一心、抱团取暖，积极加入协会共商共建，推动行业加快转型升级。同时，积极加入“江城义警”队伍建设，努力提升行业形象和社会地位。"},
	{6, "薛龙", "市公安局治安支队保安服务行业监督管理办公室警官", "requirements", "一是规范管理，全力完善党建工会建设，严格落实“四个100%”，以背景审查降低用工风险、以教育培训提升人员素质、以持证上岗确保服务质量、以挂牌服务提升企业形象，全员参与“江城义警”建设，以教育管理为重要抓手，提高行业整体形象。二是守住底线，做好风险隐患排查与矛盾纠纷化解工作，通过“双四一”机制，从人员行踪、岗位职责、思想活动、职业规划四个方面做到组织与员工互信互联，杜绝负面事件发生。三是树立品牌，扩大行业影响力，坚持以党建引领打造“红盾先锋”党员先进示范岗，做好正面宣传工作。四是抱团取暖，加入协会互通有无、群策群力好过单打独斗；以行业自律自我约束有利于维护经营环境，有利于共同促进行业正向发展。"},
}

type loader struct {
	h    http.Handler
	base string
	key  string
}

// Load enters the 2025-09-23 meeting into district through h (the
// meetings handler, behind whatever puts an admin's principal in the
// request context) and returns the meeting's id. companies are the
// attending member companies (the report's "30 余家"): each is invited,
// marked present and signs the convention (the current version, or
// FallbackConventionVersion when none is published).
//
// Every create carries an Idempotency-Key derived from the district and the
// item, and state changes are made only when the state differs, so running
// Load again (within the API's idempotency window) changes nothing.
func Load(ctx context.Context, h http.Handler, district string, companies []Company) (string, error) {
	l := &loader{h: h, base: "/api/v1/districts/" + url.PathEscape(district), key: "seed:2025-09-23:" + district}
	var m struct {
		ID             string `json:"id"`
		Status         string `json:"status"`
		MinutesVersion int    `json:"minutes_version"`
	}
	if err := l.do(ctx, "POST", "/meetings", l.key+":meeting", map[string]any{
		"type": "district_working", "title": Title, "starts_at": start, "ends_at": end,
		"venue": "武汉经济技术开发区", "host": "罗灯亮",
	}, &m); err != nil {
		return "", err
	}
	if err := l.do(ctx, "GET", "/meetings/"+m.ID, "", nil, &m); err != nil {
		return "", err
	}
	mp := "/meetings/" + m.ID
	items := make([]string, len(agenda))
	for i, a := range agenda {
		var out struct{ ID string }
		if err := l.do(ctx, "POST", mp+"/agenda", fmt.Sprintf("%s:agenda:%d", l.key, i),
			map[string]any{"kind": a.kind, "title": a.title, "presenter": a.presenter}, &out); err != nil {
			return "", err
		}
		items[i] = out.ID
	}
	var cs []map[string]string
	for _, c := range companies {
		cs = append(cs, map[string]string{"company_id": c.ID, "name": c.Name})
	}
	var ps []map[string]string
	for _, p := range people {
		ps = append(ps, map[string]string{"name": p.name, "role": p.role, "organization": p.org})
	}
	var invited struct {
		Items []struct{ ID string }
	}
	if err := l.do(ctx, "POST", mp+"/invitations", l.key+":invitations", map[string]any{"companies": cs, "people": ps}, &invited); err != nil {
		return "", err
	}
	for _, to := range []string{"scheduled", "in_progress"} {
		if m.Status == "draft" || (m.Status == "scheduled" && to == "in_progress") {
			if err := l.do(ctx, "POST", mp+"/status", "", map[string]string{"status": to}, &m); err != nil {
				return "", err
			}
		}
	}
	// The meeting is long over: everyone is checked in by the admin (codes
	// expire with the meeting). Setting the same status again is a no-op.
	if m.Status != "closed" {
		for _, inv := range invited.Items {
			if err := l.do(ctx, "POST", mp+"/invitations/"+inv.ID+"/attendance", "", map[string]string{"status": "present"}, nil); err != nil {
				return "", err
			}
		}
	}
	var actions []map[string]string
	for _, d := range deployments {
		actions = append(actions, map[string]string{"title": d.title, "owner_kind": d.ownerKind, "owner_name": d.ownerName, "due_on": deploymentDue})
	}
	if err := l.do(ctx, "POST", mp+"/resolutions", l.key+":resolution", map[string]any{
		"title": "近期工作四项重点部署", "agenda_item_id": items[2], "action_items": actions,
		"text": minutes[2].text,
	}, nil); err != nil {
		return "", err
	}
	version := FallbackConventionVersion
	var conv struct{ Version string }
	if err := l.do(ctx, "GET", "/convention", "", nil, &conv); err == nil && conv.Version != "" {
		version = conv.Version
	}
	for i, c := range companies {
		if err := l.do(ctx, "POST", "/convention/signatures", fmt.Sprintf("%s:signature:%d", l.key, i), map[string]any{
			"company_id": c.ID, "signed_by": c.Head, "signed_at": start.Add(90 * time.Minute), "meeting_id": m.ID, "convention_version": version,
		}, nil); err != nil {
			return "", err
		}
	}
	for i, e := range minutes {
		if err := l.do(ctx, "POST", mp+"/minutes/entries", fmt.Sprintf("%s:minute:%d", l.key, i), map[string]any{
			"agenda_item_id": items[e.agenda], "speaker": e.speaker, "speaker_role": e.role, "kind": e.kind, "text": e.text,
		}, nil); err != nil {
			return "", err
		}
	}
	if m.MinutesVersion == 0 {
		if err := l.do(ctx, "POST", mp+"/minutes/publish", "", nil, nil); err != nil {
			return "", err
		}
	}
	if m.Status != "closed" {
		if err := l.do(ctx, "POST", mp+"/status", "", map[string]string{"status": "closed"}, nil); err != nil {
			return "", err
		}
	}
	return m.ID, nil
}

// do sends one request to the handler in-process and decodes a 2xx
// response into out; any other status becomes a *RequestError.
func (l *loader) do(ctx context.Context, method, path, idemKey string, body, out any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return fmt.Errorf("seed: encode %s %s: %w", method, path, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("seed: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, req)
	if rec.Code < 200 || rec.Code > 299 {
		return &RequestError{Method: method, Path: l.base + path, Status: rec.Code, Body: rec.Body.String()}
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return fmt.Errorf("seed: %s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

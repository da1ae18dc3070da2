package meetings_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/meetings"
)

// clock is the node's test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var cst = time.FixedZone("CST", 8*3600)

// meetingStart is when the test meeting starts (the seed meeting's morning).
var meetingStart = time.Date(2025, 9, 23, 9, 0, 0, 0, cst)

// env is a real meetings node on httptest, behind the access-log
// middleware the binaries use; its Client sends the requests (as an
// hq-admin, unless the test headers say otherwise).
type env struct {
	*testutil.Client
	t     *testing.T
	node  *meetings.Node
	clock *clock
}

var testConvention = meetings.Convention{Version: "2025-1", Title: "武汉市保安行业自律公约", Text: "依法经营，公平竞争。", PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, testConvention)
}

func newEnvWith(t *testing.T, conv meetings.Convention) *env {
	t.Helper()
	c := &clock{t: meetingStart.Add(-24 * time.Hour)}
	node, err := meetings.New(context.Background(), meetings.Config{
		District: "jingkai", DBPath: filepath.Join(t.TempDir(), "meetings.db"),
		Storage: storage.Config{Synchronous: "normal"}, DefaultConvention: conv,
	}, meetings.Deps{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	// The district's register as meetings knows it (membership's events,
	// TestCompaniesFromTheMembershipTopic): c1 to c4 active, c5 suspended.
	for i, status := range []string{"active", "active", "active", "active", "suspended"} {
		id := fmt.Sprintf("c%d", i+1)
		if err := node.PutCompany(context.Background(), meetings.Company{ID: id, Name: "公司" + id, Status: status, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// Every exchange of these tests is checked against the service's
	// OpenAPI document.
	srv := httptest.NewServer(testutil.ValidatedHandler(t, meetings.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), "jingkai"), slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { srv.Close(); _ = node.Close() })
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/jingkai"
	return &env{Client: cl, t: t, node: node, clock: c}
}

type meeting struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	Version           int64  `json:"version"`
	MinutesVersion    int    `json:"minutes_version"`
	InvitedCompanies  int    `json:"invited_companies"`
	AttendedCompanies int    `json:"attended_companies"`
}

func (e *env) createMeeting(typ string) meeting {
	e.t.Helper()
	var m meeting
	e.Must(http.StatusCreated, "POST", "/meetings", map[string]any{
		"type": typ, "title": "经开、蔡甸片区第一次工作会议", "starts_at": meetingStart, "ends_at": meetingStart.Add(3 * time.Hour),
		"venue": "武汉经济技术开发区", "host": "罗灯亮",
	}, &m)
	return m
}

func (e *env) status(id, to string) meeting {
	e.t.Helper()
	var m meeting
	e.Must(http.StatusOK, "POST", "/meetings/"+id+"/status", map[string]string{"status": to}, &m)
	return m
}

// heldMeeting is a meeting in progress.
func (e *env) heldMeeting() meeting {
	e.t.Helper()
	m := e.createMeeting("district_working")
	e.status(m.ID, "scheduled")
	return e.status(m.ID, "in_progress")
}

func (e *env) counts() map[string]int {
	e.t.Helper()
	return testutil.Counts(e.t, e.node.DB().DB, "meetings", "agenda_items", "invitations", "minute_entries", "minutes_versions",
		"resolutions", "action_items", "convention_signatures", "idempotency_keys", "eventbus_outbox", "audit_log")
}

func (e *env) lastSeq() int64 { return testutil.LastSeq(e.t, e.node.DB().DB) }

// events returns the outbox rows after seq, each checked to be a jingkai
// meetings event stored under its type.
func (e *env) events(after int64) []testutil.OutboxEvent {
	e.t.Helper()
	evs := testutil.OutboxEvents(e.t, e.node.DB().DB, after)
	for _, ev := range evs {
		if ev.Envelope.GetDistrict() != "jingkai" || ev.Envelope.GetService() != "meetings" || ev.Envelope.GetType() != ev.Type {
			e.t.Fatalf("envelope %s/%s/%s", ev.Envelope.GetDistrict(), ev.Envelope.GetService(), ev.Envelope.GetType())
		}
	}
	return evs
}

func TestMeetingStateMachine(t *testing.T) {
	for _, tc := range []struct {
		path []string // statuses to pass through before the tested step
		to   string
		want int
		id   string
	}{
		{nil, "scheduled", 200, ""},
		{nil, "in_progress", 409, "meeting.status_illegal"},
		{nil, "closed", 409, "meeting.status_illegal"},
		{nil, "draft", 409, "meeting.status_illegal"},
		{[]string{"scheduled"}, "draft", 200, ""},
		{[]string{"scheduled"}, "in_progress", 200, ""},
		{[]string{"scheduled"}, "closed", 409, "meeting.status_illegal"},
		{[]string{"scheduled", "in_progress"}, "closed", 409, "meeting.minutes_unpublished"},
		{[]string{"scheduled", "in_progress"}, "scheduled", 409, "meeting.status_illegal"},
		{[]string{"scheduled", "in_progress"}, "bogus", 400, "meeting.status_invalid"},
	} {
		t.Run(strings.Join(append(tc.path, tc.to), "→"), func(t *testing.T) {
			e := newEnv(t)
			m := e.createMeeting("council")
			for _, s := range tc.path {
				e.status(m.ID, s)
			}
			seq := e.lastSeq()
			r := e.Do("POST", "/meetings/"+m.ID+"/status", map[string]string{"status": tc.to})
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
			evs := e.events(seq)
			if tc.want != 200 {
				if id := r.ErrorID(); id != tc.id {
					t.Fatalf("error %s, want %s", id, tc.id)
				}
				if len(evs) != 0 {
					t.Fatalf("%d events after a refused change", len(evs))
				}
				return
			}
			if len(evs) != 1 || evs[0].Type != "MeetingStatusChanged" {
				t.Fatalf("events %v", evs)
			}
			p := testutil.Payload(t, evs[0], &eventsv1.MeetingStatusChanged{})
			if p.GetToStatus() != tc.to || p.GetMeeting().GetStatus() != tc.to || p.GetMeeting().GetId() != m.ID {
				t.Fatalf("payload %v", p)
			}
		})
	}
	t.Run("closed after minutes", func(t *testing.T) {
		e := newEnv(t)
		m := e.heldMeeting()
		e.Must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "肖军", "kind": "speech", "text": "讲话"}, nil)
		e.Must(200, "POST", "/meetings/"+m.ID+"/minutes/publish", nil, nil)
		if got := e.status(m.ID, "closed"); got.Status != "closed" || got.MinutesVersion != 1 {
			t.Fatalf("meeting %+v", got)
		}
		r := e.Do("POST", "/meetings/"+m.ID+"/status", map[string]string{"status": "in_progress"})
		if r.Status != 409 || r.ErrorID() != "meeting.status_illegal" {
			t.Fatalf("reopen: %d %s", r.Status, r.Body)
		}
		r = e.Do("PATCH", "/meetings/"+m.ID, map[string]string{"title": "改名"})
		if r.Status != 409 || r.ErrorID() != "meeting.not_editable" {
			t.Fatalf("patch closed: %d %s", r.Status, r.Body)
		}
	})
}

// version reads a row's version straight from its table.
func (e *env) version(table, id string) int64 {
	return testutil.Version(e.t, e.node.DB().DB, table, id)
}

// TestEveryPatchHonoursIfMatch runs testutil.CheckIfMatch over every
// PATCH route: the previous version, a version never issued ("0" in each
// spelling) and one from the future are 412 and change nothing; only the
// current version (or none) applies. (A draft minute entry has no event of
// its own: every applied update's trail is its audit entry.) A change the
// update refuses halfway (its closure's error, with the current version)
// changes nothing either.
func TestEveryPatchHonoursIfMatch(t *testing.T) {
	e := newEnv(t)
	draft := e.createMeeting("council")
	held := e.heldMeeting()
	var entry struct {
		ID string `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/meetings/"+held.ID+"/minutes/entries", map[string]any{"speaker": "罗灯亮", "kind": "speech", "text": "讲话"}, &entry)
	testutil.CheckIfMatch(t, testutil.IfMatchSuite{
		Client: e.Client, Routes: meetings.Routes(),
		State: func() string { return fmt.Sprint(e.counts()) },
		Trail: func() int { return e.counts()["audit_log"] },
		Cases: []testutil.PatchCase{
			{Name: "meeting", Path: "/meetings/" + draft.ID, Field: "venue",
				Version: func() int64 { return e.version("meetings", draft.ID) },
				Refused: map[string]any{"venue": "改了一半", "title": " "}, RefusedID: "meeting.title_required"},
			{Name: "minute entry", Path: "/meetings/" + held.ID + "/minutes/entries/" + entry.ID, Field: "text",
				Version: func() int64 { return e.version("minute_entries", entry.ID) },
				Refused: map[string]any{"speaker": "改了一半", "text": " "}, RefusedID: "minute.text_required"},
		},
	})
}

type invitation struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	CompanyID   string `json:"company_id"`
	CompanyName string `json:"company_name"`
	PersonName  string `json:"person_name"`
	Status      string `json:"status"`
	CheckInCode string `json:"check_in_code"`
}

func (e *env) invite(meetingID string, companies ...string) []invitation {
	e.t.Helper()
	var cs []map[string]string
	for _, c := range companies {
		// The name sent is not the register's: the invitation carries the
		// register's ("公司"+id, newEnvWith).
		cs = append(cs, map[string]string{"company_id": c, "name": "请求里的名字"})
	}
	var out struct{ Items []invitation }
	e.Must(201, "POST", "/meetings/"+meetingID+"/invitations", map[string]any{
		"companies": cs, "people": []map[string]string{{"name": "薛龙", "role": "police", "organization": "市局治安支队"}},
	}, &out)
	return out.Items
}

func TestCheckIn(t *testing.T) {
	e := newEnv(t)
	m := e.createMeeting("district_working")
	invs := e.invite(m.ID, "c1", "c2", "c3")
	if len(invs) != 4 {
		t.Fatalf("%d invitations", len(invs))
	}
	for i, want := range []string{"公司c1", "公司c2", "公司c3", ""} {
		if invs[i].CompanyName != want {
			t.Fatalf("invitation %d names company %q, want the register's %q", i, invs[i].CompanyName, want)
		}
	}
	for _, inv := range invs {
		if len(inv.CheckInCode) < 22 || strings.ContainsAny(inv.CheckInCode, "+/=") {
			t.Fatalf("code %q is not a URL-safe token of at least 128 bits", inv.CheckInCode)
		}
	}
	// Only the hash is stored.
	var n int
	if err := e.node.DB().QueryRow(`SELECT count(*) FROM invitations WHERE code_hash = ?`, invs[0].CheckInCode).Scan(&n); err != nil || n != 0 {
		t.Fatalf("code stored in clear (%d, %v)", n, err)
	}
	ck := func(code string) testutil.Response {
		return e.Do("POST", "/meetings/"+m.ID+"/check-in", map[string]string{"code": code})
	}

	// A draft meeting does not take check-ins yet.
	if r := ck(invs[0].CheckInCode); r.Status != 409 || r.ErrorID() != "meeting.check_in_closed" {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	e.status(m.ID, "scheduled")
	if r := ck("wrong-code-wrong-code-wrong"); r.Status != 400 || r.ErrorID() != "invitation.code_invalid" {
		t.Fatalf("wrong: %d %s", r.Status, r.Body)
	}
	// Another meeting's code does not open this one.
	other := e.createMeeting("council")
	oinv := e.invite(other.ID, "c1")
	if r := ck(oinv[0].CheckInCode); r.Status != 400 || r.ErrorID() != "invitation.code_invalid" {
		t.Fatalf("other meeting's code: %d %s", r.Status, r.Body)
	}
	e.clock.set(meetingStart.Add(-5 * time.Minute))
	seq := e.lastSeq()
	var got invitation
	e.Must(200, "POST", "/meetings/"+m.ID+"/check-in", map[string]string{"code": invs[0].CheckInCode}, &got)
	if got.Status != "present" || got.CompanyID != "c1" {
		t.Fatalf("checked in %+v", got)
	}
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].Type != "AttendanceRecorded" {
		t.Fatalf("events %v", evs)
	}
	p := testutil.Payload(t, evs[0], &eventsv1.AttendanceRecorded{})
	if p.GetAttendance().GetStatus() != "present" || p.GetAttendance().GetCompanyName() != "公司c1" || p.GetMeeting().GetAttendedCompanies() != 1 || p.GetMeeting().GetInvitedCompanies() != 3 {
		t.Fatalf("payload %v", p)
	}
	if r := ck(invs[0].CheckInCode); r.Status != 409 || r.ErrorID() != "invitation.already_checked_in" {
		t.Fatalf("reused: %d %s", r.Status, r.Body)
	}
	// Late after 10 minutes.
	e.clock.set(meetingStart.Add(30 * time.Minute))
	e.Must(200, "POST", "/meetings/"+m.ID+"/check-in", map[string]string{"code": invs[1].CheckInCode}, &got)
	if got.Status != "late" {
		t.Fatalf("late check-in: %+v", got)
	}
	// Expired after the end plus the grace period.
	e.clock.set(meetingStart.Add(3*time.Hour + 2*time.Hour + time.Minute))
	if r := ck(invs[2].CheckInCode); r.Status != 409 || r.ErrorID() != "invitation.code_expired" {
		t.Fatalf("expired: %d %s", r.Status, r.Body)
	}
	// An admin marks the absent one, then the rates.
	e.Must(200, "POST", "/meetings/"+m.ID+"/invitations/"+invs[2].ID+"/attendance", map[string]string{"status": "absent"}, nil)
	e.Must(200, "POST", "/meetings/"+m.ID+"/invitations/"+invs[3].ID+"/attendance", map[string]string{"status": "present"}, nil)
	var a struct {
		InvitedCompanies  int     `json:"invited_companies"`
		AttendedCompanies int     `json:"attended_companies"`
		LateCompanies     int     `json:"late_companies"`
		AbsentCompanies   int     `json:"absent_companies"`
		CompanyRate       float64 `json:"company_rate"`
		PeopleRate        float64 `json:"people_rate"`
	}
	e.Must(200, "GET", "/meetings/"+m.ID+"/attendance", nil, &a)
	if a.InvitedCompanies != 3 || a.AttendedCompanies != 2 || a.LateCompanies != 1 || a.AbsentCompanies != 1 || a.CompanyRate != 2.0/3 || a.PeopleRate != 1 {
		t.Fatalf("attendance %+v", a)
	}
	// Per company over time: held meetings only.
	e.status(m.ID, "in_progress")
	var ca struct {
		Invited, Attended, Late int
		Rate                    float64
	}
	e.Must(200, "GET", "/attendance/companies/c2", nil, &ca)
	if ca.Invited != 1 || ca.Attended != 1 || ca.Late != 1 || ca.Rate != 1 {
		t.Fatalf("company attendance %+v", ca)
	}
	// A company-admin checks in only its own invitation.
	e.clock.set(meetingStart.Add(-time.Hour))
	m2 := e.createMeeting("district_roundtable")
	invs2 := e.invite(m2.ID, "c1", "c2")
	e.status(m2.ID, "scheduled")
	caHdr := []string{testutil.SubjectHeader, "ca-c1", testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, "c1"}
	if r := e.Do("POST", "/meetings/"+m2.ID+"/check-in", map[string]string{"code": invs2[1].CheckInCode}, caHdr...); r.Status != 403 {
		t.Fatalf("company-admin with another company's code: %d %s", r.Status, r.Body)
	}
	e.Must(200, "POST", "/meetings/"+m2.ID+"/check-in", map[string]string{"code": invs2[0].CheckInCode}, nil, caHdr...)
}

type entry struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	Speaker     string `json:"speaker"`
	PublishedIn int    `json:"published_in"`
	Version     int64  `json:"version"`
}

type minutes struct {
	Version  int     `json:"version"`
	Entries  []entry `json:"entries"`
	Versions []struct {
		Version int `json:"version"`
	} `json:"versions"`
}

func TestMinutesImmutableAndCorrections(t *testing.T) {
	e := newEnv(t)
	m := e.createMeeting("district_working")
	r := e.Do("POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "kind": "requirements", "text": "四点要求"})
	if r.Status != 409 || r.ErrorID() != "meeting.not_held" {
		t.Fatalf("entry before the meeting: %d %s", r.Status, r.Body)
	}
	e.status(m.ID, "scheduled")
	e.status(m.ID, "in_progress")
	if r := e.Do("POST", "/meetings/"+m.ID+"/minutes/publish", nil); r.Status != 409 || r.ErrorID() != "minutes.nothing_to_publish" {
		t.Fatalf("empty publish: %d %s", r.Status, r.Body)
	}
	var a, b entry
	e.Must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "speaker_role": "民警", "kind": "requirements", "text": "一是规范管理"}, &a)
	e.Must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "余朦", "kind": "requirements", "text": "团结一心"}, &b)
	// A draft can change and go.
	e.Must(200, "PATCH", "/meetings/"+m.ID+"/minutes/entries/"+b.ID, map[string]any{"text": "各企业应该团结一心"}, nil, "If-Match", `"1"`)
	var c entry
	e.Must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "x", "kind": "note", "text": "删掉"}, &c)
	e.Must(204, "DELETE", "/meetings/"+m.ID+"/minutes/entries/"+c.ID, nil, nil)

	seq := e.lastSeq()
	var v1 minutes
	e.Must(200, "POST", "/meetings/"+m.ID+"/minutes/publish", nil, &v1)
	if v1.Version != 1 || len(v1.Entries) != 2 || v1.Entries[1].Text != "各企业应该团结一心" {
		t.Fatalf("v1 %+v", v1)
	}
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].Type != "MinutesPublished" {
		t.Fatalf("events %v", evs)
	}
	if p := testutil.Payload(t, evs[0], &eventsv1.MinutesPublished{}); p.GetMinutesVersion() != 1 || p.GetEntries() != 2 {
		t.Fatalf("payload %v", p)
	}
	// Published entries are immutable.
	before := e.counts()
	for _, tc := range []struct {
		method string
		body   any
	}{{"PATCH", map[string]any{"text": "改"}}, {"DELETE", nil}} {
		r := e.Do(tc.method, "/meetings/"+m.ID+"/minutes/entries/"+a.ID, tc.body)
		if r.Status != 409 || r.ErrorID() != "minute.published" {
			t.Fatalf("%s published: %d %s", tc.method, r.Status, r.Body)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused writes changed %v → %v", before, after)
	}
	// A correction supersedes; v2 shows it, v1 stays as it was.
	if r := e.Do("POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "kind": "requirements", "text": "x", "supersedes": "nope"}); r.Status != 400 || r.ErrorID() != "minute.supersedes_invalid" {
		t.Fatalf("bad supersedes: %d %s", r.Status, r.Body)
	}
	e.Must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "kind": "requirements", "text": "一是规范管理（更正）", "supersedes": a.ID}, nil)
	var v2 minutes
	e.Must(200, "POST", "/meetings/"+m.ID+"/minutes/publish", nil, &v2)
	if v2.Version != 2 || len(v2.Entries) != 2 || v2.Entries[0].Speaker != "余朦" || v2.Entries[1].Text != "一是规范管理（更正）" || len(v2.Versions) != 2 {
		t.Fatalf("v2 %+v", v2)
	}
	var again minutes
	e.Must(200, "GET", "/meetings/"+m.ID+"/minutes?version=1", nil, &again)
	if again.Version != 1 || len(again.Entries) != 2 || again.Entries[0].Text != "一是规范管理" {
		t.Fatalf("v1 after v2 %+v", again)
	}
	if r := e.Do("GET", "/meetings/"+m.ID+"/minutes?version=3", nil); r.Status != 404 || r.ErrorID() != "minutes.not_found" {
		t.Fatalf("v3: %d %s", r.Status, r.Body)
	}
}

type actionItem struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	OwnerCompanyID string `json:"owner_company_id"`
	Overdue        bool   `json:"overdue"`
}

type resolution struct {
	ID          string       `json:"id"`
	ActionItems []actionItem `json:"action_items"`
}

func (e *env) resolution(meetingID string) resolution {
	e.t.Helper()
	var r resolution
	e.Must(201, "POST", "/meetings/"+meetingID+"/resolutions", map[string]any{
		"title": "四项重点部署", "action_items": []map[string]any{
			{"title": "建立片区常态化联络机制", "owner_kind": "district", "due_on": "2025-10-31"},
			{"title": "组建党组织", "owner_kind": "company", "owner_company_id": "c1", "due_on": "2025-09-25"},
			{"title": "联络员", "owner_kind": "person", "owner_name": "罗灯亮", "due_on": "2025-12-31"},
		}}, &r)
	return r
}

func TestActionItemStateMachine(t *testing.T) {
	ca := []string{testutil.SubjectHeader, "ca-c1", testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, "c1"}
	da := []string{testutil.SubjectHeader, "da", testutil.RoleHeader, "district-admin", testutil.DistrictsHeader, "jingkai"}
	for _, tc := range []struct {
		name   string
		path   []string
		to     string
		hdr    []string
		want   int
		wantID string
	}{
		{"open→done by owner", nil, "done", ca, 200, ""},
		{"open→accepted", nil, "accepted", da, 409, "action_item.status_illegal"},
		{"open→open", nil, "open", da, 409, "action_item.status_illegal"},
		{"done→accepted by district lead", []string{"done"}, "accepted", da, 200, ""},
		{"done→accepted by owner", []string{"done"}, "accepted", ca, 403, "action_item.accept_forbidden"},
		{"done→open by district lead", []string{"done"}, "open", da, 200, ""},
		{"accepted→open", []string{"done", "accepted"}, "open", da, 409, "action_item.status_illegal"},
		{"accepted→done", []string{"done", "accepted"}, "done", da, 409, "action_item.status_illegal"},
		{"bad status", nil, "finished", da, 400, "action_item.status_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			m := e.heldMeeting()
			item := e.resolution(m.ID).ActionItems[1]
			for _, s := range tc.path {
				e.Must(200, "POST", "/action-items/"+item.ID+"/status", map[string]string{"status": s}, nil)
			}
			seq := e.lastSeq()
			r := e.Do("POST", "/action-items/"+item.ID+"/status", map[string]string{"status": tc.to}, tc.hdr...)
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
			if tc.want != 200 {
				if id := r.ErrorID(); id != tc.wantID {
					t.Fatalf("error %s, want %s", id, tc.wantID)
				}
				if n := len(e.events(seq)); n != 0 {
					t.Fatalf("%d events after a refused change", n)
				}
				return
			}
			evs := e.events(seq)
			if len(evs) != 1 || evs[0].Type != "ActionItemStatusChanged" {
				t.Fatalf("events %v", evs)
			}
			if p := testutil.Payload(t, evs[0], &eventsv1.ActionItemStatusChanged{}); p.GetToStatus() != tc.to || p.GetItem().GetStatus() != tc.to {
				t.Fatalf("payload %v", p)
			}
		})
	}
	t.Run("another company's item", func(t *testing.T) {
		e := newEnv(t)
		m := e.heldMeeting()
		item := e.resolution(m.ID).ActionItems[1]
		other := []string{testutil.SubjectHeader, "ca-c2", testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, "c2"}
		if r := e.Do("POST", "/action-items/"+item.ID+"/status", map[string]string{"status": "done"}, other...); r.Status != 403 {
			t.Fatalf("other company: %d %s", r.Status, r.Body)
		}
	})
}

func TestOverdueAndReminders(t *testing.T) {
	e := newEnv(t)
	m := e.heldMeeting()
	seq := e.lastSeq()
	res := e.resolution(m.ID)
	evs := e.events(seq)
	if len(evs) != 4 || evs[0].Type != "ResolutionAdopted" || evs[1].Type != "ActionItemCreated" {
		t.Fatalf("events %v", evs)
	}
	if p := testutil.Payload(t, evs[0], &eventsv1.ResolutionAdopted{}); p.GetActionItems() != 3 || p.GetMeetingId() != m.ID {
		t.Fatalf("payload %v", p)
	}
	// 2025-09-27: the c1 item (due 09-25) is overdue.
	e.clock.set(time.Date(2025, 9, 27, 10, 0, 0, 0, cst))
	var list struct{ Items []actionItem }
	e.Must(200, "GET", "/action-items?overdue=true", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != res.ActionItems[1].ID || !list.Items[0].Overdue {
		t.Fatalf("overdue %+v", list.Items)
	}
	seq = e.lastSeq()
	n, err := e.node.SendReminders(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("reminders %d, %v", n, err)
	}
	evs = e.events(seq)
	if len(evs) != 1 || evs[0].Type != "ActionItemReminder" {
		t.Fatalf("events %v", evs)
	}
	if p := testutil.Payload(t, evs[0], &eventsv1.ActionItemReminder{}); !p.GetOverdue() || p.GetDays() != 2 || p.GetItem().GetId() != res.ActionItems[1].ID {
		t.Fatalf("payload %v", p)
	}
	// At most once a day.
	if n, err := e.node.SendReminders(context.Background()); err != nil || n != 0 {
		t.Fatalf("second pass %d, %v", n, err)
	}
	e.clock.set(time.Date(2025, 9, 28, 10, 0, 0, 0, cst))
	if n, err := e.node.SendReminders(context.Background()); err != nil || n != 1 {
		t.Fatalf("next day %d, %v", n, err)
	}
	// Done items are no longer overdue.
	e.Must(200, "POST", "/action-items/"+res.ActionItems[1].ID+"/status", map[string]string{"status": "done"}, nil)
	e.Must(200, "GET", "/action-items?overdue=true", nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("overdue after done %+v", list.Items)
	}
}

func TestConventionSignatures(t *testing.T) {
	e := newEnv(t)
	var c meetings.Convention
	e.Must(200, "GET", "/convention", nil, &c)
	if c.Version != "2025-1" {
		t.Fatalf("convention %+v", c)
	}
	m := e.heldMeeting()
	e.invite(m.ID, "c1", "c2", "c3", "c4")
	seq := e.lastSeq()
	type sig struct {
		ID                string `json:"id"`
		ConventionVersion string `json:"convention_version"`
		Current           bool   `json:"current"`
	}
	var s sig
	e.Must(201, "POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "张总", "meeting_id": m.ID}, &s)
	if !s.Current || s.ConventionVersion != "2025-1" {
		t.Fatalf("signature %+v", s)
	}
	// An old version is recorded but does not count for the current one.
	e.Must(201, "POST", "/convention/signatures", map[string]any{"company_id": "c2", "signed_by": "李总", "convention_version": "2019-1"}, &s)
	if s.Current {
		t.Fatalf("old version marked current: %+v", s)
	}
	evs := e.events(seq)
	if len(evs) != 2 {
		t.Fatalf("events %v", evs)
	}
	p0, p1 := testutil.Payload(t, evs[0], &eventsv1.ConventionSigned{}), testutil.Payload(t, evs[1], &eventsv1.ConventionSigned{})
	if !p0.GetSignature().GetCurrent() || p0.GetSignature().GetMeetingId() != m.ID || p1.GetSignature().GetCurrent() || p1.GetSignature().GetConventionVersion() != "2019-1" {
		t.Fatalf("payloads %v / %v", p0, p1)
	}
	var rate struct {
		Signed, Companies int
		Rate              float64
	}
	e.Must(200, "GET", "/convention/rate", nil, &rate)
	if rate.Signed != 1 || rate.Companies != 4 || rate.Rate != 0.25 {
		t.Fatalf("rate %+v", rate)
	}
	// A suspended company may sign, but only active companies count, in
	// the numerator as in the denominator (rates.Convention).
	e.Must(201, "POST", "/convention/signatures", map[string]any{"company_id": "c5", "signed_by": "赵总"}, nil)
	e.Must(200, "GET", "/convention/rate", nil, &rate)
	if rate.Signed != 1 || rate.Companies != 4 || rate.Rate != 0.25 {
		t.Fatalf("rate after a suspended company signed: %+v", rate)
	}
	if r := e.Do("POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "张总"}); r.Status != 409 || r.ErrorID() != "signature.duplicate" {
		t.Fatalf("duplicate: %d %s", r.Status, r.Body)
	}
	// A company-admin signs only for its own company.
	ca := []string{testutil.SubjectHeader, "ca-c3", testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, "c3"}
	if r := e.Do("POST", "/convention/signatures", map[string]any{"company_id": "c4", "signed_by": "王总"}, ca...); r.Status != 403 {
		t.Fatalf("other company: %d %s", r.Status, r.Body)
	}
	e.Must(201, "POST", "/convention/signatures", map[string]any{"company_id": "c3", "signed_by": "王总"}, nil, ca...)
	// Without a published convention there is nothing current to sign.
	e2 := newEnvWith(t, meetings.Convention{})
	// convention.not_published is HQ's id too (convention.none_published
	// until issue 8).
	if r := e2.Do("GET", "/convention", nil); r.Status != 404 || r.ErrorID() != "convention.not_published" {
		t.Fatalf("none: %d %s", r.Status, r.Body)
	}
	if r := e2.Do("GET", "/convention/rate", nil); r.Status != 404 || r.ErrorID() != "convention.not_published" {
		t.Fatalf("rate of none: %d %s", r.Status, r.Body)
	}
	if r := e2.Do("POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "x"}); r.Status != 404 || r.ErrorID() != "convention.not_published" {
		t.Fatalf("sign none: %d %s", r.Status, r.Body)
	}
}

func TestConfigRefusesADefaultConventionThatNoReaderWouldAccept(t *testing.T) {
	for _, tc := range []struct {
		name string
		conv meetings.Convention
		err  error // nil: valid
	}{
		{"No default convention is valid.", meetings.Convention{}, nil},
		{"A complete default convention is valid.", testConvention, nil},
		{"A default convention without a title is refused.", meetings.Convention{Version: "v", Text: "x", PublishedAt: meetingStart}, policy.ErrConventionTitleRequired},
		{"A default convention with a version HQ would not publish is refused.", meetings.Convention{Version: "2025 修订", Title: "t", Text: "x", PublishedAt: meetingStart}, policy.ErrConventionVersionInvalid},
		{"A default convention without a publication time is refused.", meetings.Convention{Version: "v", Title: "t", Text: "x"}, policy.ErrConventionPublishedAtRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := meetings.Config{District: "jingkai", DBPath: "meetings.db", DefaultConvention: tc.conv}
			if err := cfg.Validate(); (tc.err == nil && err != nil) || !errors.Is(err, tc.err) {
				t.Fatalf("Validate = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestAgendaOrder(t *testing.T) {
	e := newEnv(t)
	m := e.createMeeting("district_working")
	var ids []string
	for _, k := range []string{"briefing", "speeches", "deployment"} {
		var a struct{ ID string }
		e.Must(201, "POST", "/meetings/"+m.ID+"/agenda", map[string]any{"kind": k, "title": k, "presenter": "p", "duration_minutes": 10}, &a)
		ids = append(ids, a.ID)
	}
	for _, bad := range [][]string{{ids[0], ids[1]}, {ids[0], ids[0], ids[1]}, {ids[0], ids[1], "x"}} {
		if r := e.Do("POST", "/meetings/"+m.ID+"/agenda/order", map[string]any{"item_ids": bad}); r.Status != 400 || r.ErrorID() != "agenda.order_invalid" {
			t.Fatalf("bad order %v: %d %s", bad, r.Status, r.Body)
		}
	}
	e.Must(200, "POST", "/meetings/"+m.ID+"/agenda/order", map[string]any{"item_ids": []string{ids[2], ids[0], ids[1]}}, nil)
	var list struct {
		Items []struct {
			ID       string
			Position int
		}
	}
	e.Must(200, "GET", "/meetings/"+m.ID+"/agenda", nil, &list)
	if len(list.Items) != 3 || list.Items[0].ID != ids[2] || list.Items[0].Position != 1 || list.Items[2].ID != ids[1] {
		t.Fatalf("agenda %+v", list.Items)
	}
}

func TestRoundtableCadence(t *testing.T) {
	e := newEnv(t)
	// Two roundtables held in August, none in September.
	for _, d := range []int{5, 20} {
		var m meeting
		start := time.Date(2025, 8, d, 14, 0, 0, 0, cst)
		e.Must(201, "POST", "/meetings", map[string]any{"type": "district_roundtable", "title": "圆桌会", "starts_at": start, "ends_at": start.Add(time.Hour)}, &m)
		e.status(m.ID, "scheduled")
		e.status(m.ID, "in_progress")
	}
	var rep struct {
		Per     string
		Periods []struct {
			Period         string
			Expected, Held int
			OnTrack        bool `json:"on_track"`
		}
	}
	e.Must(200, "GET", "/roundtables/cadence?periods=3", nil, &rep)
	if rep.Per != "month" || len(rep.Periods) != 3 || rep.Periods[1].Period != "2025-08" || rep.Periods[1].Held != 2 || !rep.Periods[1].OnTrack ||
		rep.Periods[2].Period != "2025-09" || rep.Periods[2].Held != 0 || rep.Periods[2].OnTrack || rep.Periods[0].Expected != 1 {
		t.Fatalf("cadence %+v", rep)
	}
	if r := e.Do("GET", "/roundtables/cadence?periods=0", nil); r.Status != 400 || r.ErrorID() != "cadence.periods_invalid" {
		t.Fatalf("periods=0: %d %s", r.Status, r.Body)
	}
}

// TestBadInputWritesNothing: every refused request has a stable error id and
// leaves no row, no outbox event and no audit row behind.
func TestBadInputWritesNothing(t *testing.T) {
	e := newEnv(t)
	held := e.heldMeeting()
	draft := e.createMeeting("council")
	start := meetingStart
	mtg := func(over map[string]any) map[string]any {
		b := map[string]any{"type": "council", "title": "理事会", "starts_at": start, "ends_at": start.Add(time.Hour)}
		for k, v := range over {
			b[k] = v
		}
		return b
	}
	// rawMeeting is a meeting body with fields spelled by hand.
	rawMeeting := func(fields string) string {
		return `{"type":"council",` + fields + `,"starts_at":"2025-09-23T09:00:00+08:00","ends_at":"2025-09-23T10:00:00+08:00"}`
	}
	// contentType "none" sends the body without a Content-Type header.
	for _, tc := range []struct {
		name, method, path string
		body               any
		contentType        string
		status             int
		id, field          string
	}{
		// Text the decoder refuses (issue 7, item 4): nothing of it is stored.
		{"Invalid UTF-8 in a meeting title is request.invalid_utf8.", "POST", "/meetings", rawMeeting("\"title\":\"理事\xff会\""), "", 400, "request.invalid_utf8", "title"},
		{"An escaped NUL in a meeting title is request.nul_character.", "POST", "/meetings", mtg(map[string]any{"title": "理事\u0000会"}), "", 400, "request.nul_character", "title"},
		{"A NUL deep in an action item names its path.", "POST", "/meetings/" + held.ID + "/resolutions", map[string]any{"title": "r", "action_items": []map[string]any{{"title": "t", "owner_kind": "district", "due_on": "2025-10-01"}, {"title": "t\u0000", "owner_kind": "district", "due_on": "2025-10-01"}}}, "", 400, "request.nul_character", "action_items[1].title"},
		{"An escaped bell in a speaker is request.control_character.", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"speaker": "罗\u0007", "kind": "speech", "text": "t"}, "", 400, "request.control_character", "speaker"},
		{"A line break in a meeting title is request.control_character.", "POST", "/meetings", mtg(map[string]any{"title": "理事会\n第二行"}), "", 400, "request.control_character", "title"},
		{"A line break in a title on PATCH is request.control_character.", "PATCH", "/meetings/" + draft.ID, map[string]any{"title": "理事\r\n会"}, "", 400, "request.control_character", "title"},
		{"A tab in an invited person's name is request.control_character.", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{"people": []map[string]string{{"name": "张\t三", "role": "guest"}}}, "", 400, "request.control_character", "people[0].name"},
		{"A line break in an action item's title is request.control_character.", "POST", "/meetings/" + held.ID + "/resolutions", map[string]any{"title": "r", "action_items": []map[string]any{{"title": "一\n二", "owner_kind": "district", "due_on": "2025-10-01"}}}, "", 400, "request.control_character", "action_items[0].title"},
		{"A key given twice is request.duplicate_key.", "POST", "/meetings", rawMeeting(`"title":"理事会","title":"别的会"`), "", 400, "request.duplicate_key", "title"},
		{"A key given twice in a nested object is request.duplicate_key.", "POST", "/meetings/" + draft.ID + "/invitations", `{"companies":[{"company_id":"a","company_id":"b"}]}`, "", 400, "request.duplicate_key", "companies[0].company_id"},
		{"A body without Content-Type is 415.", "POST", "/meetings", mtg(nil), "none", 415, "request.unsupported_media_type", "Content-Type"},
		{"A form post is 415.", "POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "x"}, "application/x-www-form-urlencoded", 415, "request.unsupported_media_type", "Content-Type"},
		{"A PATCH in another charset is 415.", "PATCH", "/meetings/" + draft.ID, map[string]any{"venue": "v"}, "application/json; charset=utf-16", 415, "request.unsupported_media_type", "Content-Type"},
		// Times out of their field's range.
		{"A meeting in year 1 is invalid.", "POST", "/meetings", mtg(map[string]any{"starts_at": "0001-01-01T09:00:00Z", "ends_at": "0001-01-01T10:00:00Z"}), "", 400, "meeting.starts_at_invalid", "starts_at"},
		{"A meeting in 1999 is invalid.", "POST", "/meetings", mtg(map[string]any{"starts_at": "1999-12-31T09:00:00+08:00", "ends_at": "1999-12-31T10:00:00+08:00"}), "", 400, "meeting.starts_at_invalid", "starts_at"},
		{"A meeting in 9999 is invalid.", "POST", "/meetings", mtg(map[string]any{"starts_at": "9999-01-01T09:00:00Z", "ends_at": "9999-01-01T10:00:00Z"}), "", 400, "meeting.starts_at_invalid", "starts_at"},
		{"A meeting moved more than five years ahead is invalid.", "PATCH", "/meetings/" + draft.ID, map[string]any{"starts_at": start.AddDate(5, 0, 2), "ends_at": start.AddDate(5, 0, 2).Add(time.Hour)}, "", 400, "meeting.starts_at_invalid", "starts_at"},
		{"An action item due in 9999 is invalid.", "POST", "/meetings/" + held.ID + "/resolutions", map[string]any{"title": "r", "action_items": []map[string]any{{"title": "t", "owner_kind": "district", "due_on": "9999-12-31"}}}, "", 400, "action_item.due_on_invalid", "action_items.due_on"},
		{"An action item due in 1999 is invalid.", "POST", "/meetings/" + held.ID + "/resolutions", map[string]any{"title": "r", "action_items": []map[string]any{{"title": "t", "owner_kind": "district", "due_on": "1999-12-31"}}}, "", 400, "action_item.due_on_invalid", "action_items.due_on"},
		{"A signature in year 1 is invalid.", "POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "x", "signed_at": "0001-01-01T00:00:00Z"}, "", 400, "signature.signed_at_invalid", "signed_at"},
		{"meeting type", "POST", "/meetings", mtg(map[string]any{"type": "party"}), "", 400, "meeting.type_invalid", "type"},
		{"meeting title", "POST", "/meetings", mtg(map[string]any{"title": " "}), "", 400, "meeting.title_required", "title"},
		{"meeting title long", "POST", "/meetings", mtg(map[string]any{"title": strings.Repeat("会", 201)}), "", 400, "meeting.title_too_long", "title"},
		{"meeting no start", "POST", "/meetings", mtg(map[string]any{"starts_at": nil}), "", 400, "meeting.starts_at_required", "starts_at"},
		{"meeting end before start", "POST", "/meetings", mtg(map[string]any{"ends_at": start.Add(-time.Hour)}), "", 400, "meeting.ends_at_invalid", "ends_at"},
		{"meeting unknown field", "POST", "/meetings", mtg(map[string]any{"colour": "red"}), "", 400, "request.unknown_field", "colour"},
		{"agenda kind", "POST", "/meetings/" + draft.ID + "/agenda", map[string]any{"kind": "lunch", "title": "t"}, "", 400, "agenda.kind_invalid", "kind"},
		{"agenda duration", "POST", "/meetings/" + draft.ID + "/agenda", map[string]any{"kind": "remarks", "title": "t", "duration_minutes": -1}, "", 400, "agenda.duration_invalid", "duration_minutes"},
		{"agenda unknown meeting", "POST", "/meetings/nope/agenda", map[string]any{"kind": "remarks", "title": "t"}, "", 404, "meeting.not_found", ""},
		{"invite nobody", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{}, "", 400, "invitation.empty", "companies"},
		{"An invitation of a company meetings does not know is company.not_found, naming the company.", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{"companies": []map[string]string{{"company_id": "nope"}}}, "", 404, "company.not_found", "companies[0].company_id"},
		{"An invitation of a known and an unknown company writes neither.", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{"companies": []map[string]string{{"company_id": "c1"}, {"company_id": "caidian-c1"}}}, "", 404, "company.not_found", "companies[1].company_id"},
		{"A signature of a company meetings does not know is company.not_found.", "POST", "/convention/signatures", map[string]any{"company_id": "nope", "signed_by": "x"}, "", 404, "company.not_found", "company_id"},
		{"invite company twice", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{"companies": []map[string]string{{"company_id": "a"}, {"company_id": "a"}}}, "", 409, "invitation.company_duplicate", "companies"},
		{"invite person role", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{"people": []map[string]string{{"name": "x", "role": "king"}}}, "", 400, "invitation.person_invalid", "people"},
		{"check-in empty code", "POST", "/meetings/" + held.ID + "/check-in", map[string]any{"code": ""}, "", 400, "invitation.code_invalid", "code"},
		{"attendance status", "POST", "/meetings/" + held.ID + "/invitations/x/attendance", map[string]any{"status": "asleep"}, "", 400, "attendance.status_invalid", "status"},
		{"entry speaker", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"kind": "speech", "text": "t"}, "", 400, "minute.speaker_required", "speaker"},
		{"entry kind", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"speaker": "s", "kind": "song", "text": "t"}, "", 400, "minute.kind_invalid", "kind"},
		{"entry text", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"speaker": "s", "kind": "speech"}, "", 400, "minute.text_required", "text"},
		{"A minute entry's company_id over 64 characters is minute.company_id_invalid.", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"speaker": "s", "kind": "speech", "text": "t", "company_id": strings.Repeat("c", 65)}, "", 400, "minute.company_id_invalid", "company_id"},
		{"entry agenda item", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"speaker": "s", "kind": "speech", "text": "t", "agenda_item_id": "x"}, "", 400, "agenda.item_not_found", "agenda_item_id"},
		{"resolution title", "POST", "/meetings/" + held.ID + "/resolutions", map[string]any{"title": ""}, "", 400, "resolution.title_required", "title"},
		{"resolution owner", "POST", "/meetings/" + held.ID + "/resolutions", map[string]any{"title": "r", "action_items": []map[string]any{{"title": "t", "owner_kind": "company", "due_on": "2025-10-01"}}}, "", 400, "action_item.owner_invalid", "action_items.owner_kind"},
		{"resolution due", "POST", "/meetings/" + held.ID + "/resolutions", map[string]any{"title": "r", "action_items": []map[string]any{{"title": "t", "owner_kind": "district", "due_on": "soon"}}}, "", 400, "action_item.due_on_invalid", "action_items.due_on"},
		{"resolution draft meeting", "POST", "/meetings/" + draft.ID + "/resolutions", map[string]any{"title": "r"}, "", 409, "meeting.not_held", ""},
		{"sign no company", "POST", "/convention/signatures", map[string]any{"signed_by": "x"}, "", 400, "signature.company_id_required", "company_id"},
		{"sign no signer", "POST", "/convention/signatures", map[string]any{"company_id": "c1"}, "", 400, "signature.signed_by_required", "signed_by"},
		{"sign future", "POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "x", "signed_at": start.Add(48 * time.Hour)}, "", 400, "signature.signed_at_invalid", "signed_at"},
		{"sign unknown meeting", "POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "x", "meeting_id": "nope"}, "", 400, "signature.meeting_invalid", "meeting_id"},
		{"list meetings filter", "GET", "/meetings?type=party", nil, "", 400, "meeting.type_invalid", "type"},
		{"list items overdue", "GET", "/action-items?overdue=maybe", nil, "", 400, "action_item.overdue_invalid", "overdue"},
		{"other district", "GET", "/api/v1/districts/caidian/meetings", nil, "", 404, "district.not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			path := tc.path
			var hdr []string
			switch tc.contentType {
			case "":
			case "none":
				hdr = []string{"Content-Type", ""}
			default:
				hdr = []string{"Content-Type", tc.contentType}
			}
			r := e.Do(tc.method, path, tc.body, hdr...)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s, want %d %s (field %q)", r.Status, r.Body, tc.status, tc.id, tc.field)
			}
			if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("refused request wrote: %v → %v", before, after)
			}
		})
	}
}

// TestTimesAtTheirBoundsAreAccepted: the bounds refuse only what lies
// outside them.
func TestTimesAtTheirBoundsAreAccepted(t *testing.T) {
	e := newEnv(t)
	first := time.Date(2000, 1, 1, 0, 0, 0, 0, cst)
	last := e.clock.now().AddDate(5, 0, 0)
	for _, start := range []time.Time{first, last} {
		e.Must(http.StatusCreated, "POST", "/meetings", map[string]any{"type": "council", "title": "理事会", "starts_at": start, "ends_at": start.Add(time.Hour)}, nil)
	}
	held := e.heldMeeting()
	e.Must(http.StatusCreated, "POST", "/meetings/"+held.ID+"/resolutions", map[string]any{"title": "决议", "action_items": []map[string]any{
		{"title": "最早", "owner_kind": "district", "due_on": "2000-01-01"},
		{"title": "最晚", "owner_kind": "district", "due_on": last.In(cst).Format(time.DateOnly)},
	}}, nil)
	// Line breaks stay allowed in free text.
	e.Must(http.StatusCreated, "POST", "/meetings/"+held.ID+"/minutes/entries", map[string]any{"speaker": "罗灯亮", "kind": "speech", "text": "第一点。\n第二点。\r\n\t完"}, nil)
}

func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"type": "council", "title": "理事会", "starts_at": meetingStart, "ends_at": meetingStart.Add(time.Hour)}
	var a, b meeting
	e.Must(201, "POST", "/meetings", body, &a, "Idempotency-Key", "k1")
	before := e.counts()
	e.Must(201, "POST", "/meetings", body, &b, "Idempotency-Key", "k1")
	if a.ID != b.ID || fmt.Sprint(before) != fmt.Sprint(e.counts()) {
		t.Fatalf("replay created another: %s %s", a.ID, b.ID)
	}
	body["title"] = "另一个"
	if r := e.Do("POST", "/meetings", body, "Idempotency-Key", "k1"); r.Status != 422 || r.ErrorID() != "request.idempotency_key_reused" {
		t.Fatalf("reused key: %d %s", r.Status, r.Body)
	}
	// A replayed invitation never shows the codes again (they are stored
	// nowhere).
	m := e.createMeeting("council")
	inv := map[string]any{"companies": []map[string]string{{"company_id": "c1"}}}
	var first, again struct{ Items []invitation }
	e.Must(201, "POST", "/meetings/"+m.ID+"/invitations", inv, &first, "Idempotency-Key", "i1")
	e.Must(201, "POST", "/meetings/"+m.ID+"/invitations", inv, &again, "Idempotency-Key", "i1")
	if first.Items[0].CheckInCode == "" || again.Items[0].CheckInCode != "" || again.Items[0].ID != first.Items[0].ID {
		t.Fatalf("invite replay %+v / %+v", first.Items, again.Items)
	}
	var n int
	if err := e.node.DB().QueryRow(`SELECT count(*) FROM idempotency_keys WHERE instr(body, ?) > 0`, first.Items[0].CheckInCode).Scan(&n); err != nil || n != 0 {
		t.Fatalf("code stored with the idempotency key (%d, %v)", n, err)
	}
}

func TestAuditInSameTransaction(t *testing.T) {
	e := newEnv(t)
	m := e.heldMeeting()
	e.resolution(m.ID)
	var list struct {
		Items []struct{ Action, Subject, ResourceID string }
	}
	e.Must(200, "GET", "/meetings/audit?resource=meeting&resource_id="+m.ID, nil, &list)
	var actions []string
	for _, it := range list.Items {
		actions = append(actions, it.Action)
	}
	if got := strings.Join(actions, ","); got != "meeting.status_change,meeting.status_change,meeting.create" {
		t.Fatalf("audit %s", got)
	}
	if list.Items[0].Subject != "test-admin" {
		t.Fatalf("subject %+v", list.Items[0])
	}
}

func TestRunStops(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.node.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// TestRatesWithNothingToCountAreNull: a rate whose denominator is 0 is
// not reported (null), not 0: a meeting nobody was invited to, a company
// invited to no meeting held, a district with no active company.
func TestRatesWithNothingToCountAreNull(t *testing.T) {
	e := newEnv(t)
	m := e.heldMeeting()
	for path, fields := range map[string][]string{
		"/meetings/" + m.ID + "/attendance": {"company_rate", "people_rate"},
		"/attendance/companies/c1":          {"rate"},
	} {
		got := e.Object(path)
		for _, f := range fields {
			if v, ok := got[f]; !ok || v != nil {
				t.Errorf("GET %s: %s = %v (present %v), want null", path, f, v, ok)
			}
		}
	}
	// No company is active once c1 to c4 are suspended (newer versions).
	for i := 1; i <= 4; i++ {
		id := fmt.Sprintf("c%d", i)
		if err := e.node.PutCompany(context.Background(), meetings.Company{ID: id, Name: "公司" + id, Status: "suspended", Version: 2}); err != nil {
			t.Fatal(err)
		}
	}
	rate := e.Object("/convention/rate")
	if v, ok := rate["rate"]; !ok || v != nil || rate["companies"] != 0.0 {
		t.Errorf("rate with no active company = %v, want rate null of 0 companies", rate)
	}
	// With one invited company the rate is reported again.
	e.invite(m.ID, "c1")
	if got := e.Object("/meetings/" + m.ID + "/attendance"); got["company_rate"] != 0.0 {
		t.Errorf("company_rate with one company invited, none attended = %v, want 0", got["company_rate"])
	}
}

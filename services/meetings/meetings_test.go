package meetings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/auth"
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

// The test headers let a request carry a principal, as auth.Authenticate
// does in the binaries. Without subjectHeader a request is an hq-admin's.
const (
	subjectHeader   = "X-Test-Subject"
	roleHeader      = "X-Test-Role"
	districtsHeader = "X-Test-Districts"
	companyHeader   = "X-Test-Company"
)

func testPrincipal(r *http.Request) auth.Principal {
	sub := r.Header.Get(subjectHeader)
	if sub == "" {
		return auth.Principal{Subject: "test-admin", Role: auth.RoleHQAdmin}
	}
	p := auth.Principal{Subject: sub, Role: auth.Role(r.Header.Get(roleHeader)), Company: r.Header.Get(companyHeader)}
	if d := r.Header.Get(districtsHeader); d != "" {
		p.Districts = strings.Split(d, ",")
	}
	return p
}

var cst = time.FixedZone("CST", 8*3600)

// meetingStart is when the test meeting starts (the seed meeting's morning).
var meetingStart = time.Date(2025, 9, 23, 9, 0, 0, 0, cst)

type env struct {
	t     *testing.T
	node  *meetings.Node
	srv   *httptest.Server
	base  string
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
		Storage: storage.Config{Synchronous: "normal"}, DefaultConvention: conv, Now: c.now,
	}, meetings.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	h := node.Handler()
	// Every exchange of these tests is checked against the service's
	// OpenAPI document.
	srv := httptest.NewServer(testutil.ValidatedHandler(t, meetings.OpenAPIDocument(), telemetry.HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), testPrincipal(r))))
	}), slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { srv.Close(); _ = node.Close() })
	return &env{t: t, node: node, srv: srv, base: srv.URL + "/api/v1/districts/jingkai", clock: c}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) errorID(t *testing.T) string {
	t.Helper()
	var b struct {
		Error struct{ ID string } `json:"error"`
	}
	r.decode(t, &b)
	return b.Error.ID
}

// do sends body as JSON (a string as it is). An empty header value
// removes the header, e.g. the Content-Type of a body.
func (e *env) do(method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

func (e *env) must(want int, method, path string, body, out any, hdr ...string) resp {
	e.t.Helper()
	r := e.do(method, path, body, hdr...)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		r.decode(e.t, out)
	}
	return r
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
	e.must(http.StatusCreated, "POST", "/meetings", map[string]any{
		"type": typ, "title": "经开、蔡甸片区第一次工作会议", "starts_at": meetingStart, "ends_at": meetingStart.Add(3 * time.Hour),
		"venue": "武汉经济技术开发区", "host": "罗灯亮",
	}, &m)
	return m
}

func (e *env) status(id, to string) meeting {
	e.t.Helper()
	var m meeting
	e.must(http.StatusOK, "POST", "/meetings/"+id+"/status", map[string]string{"status": to}, &m)
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
	out := map[string]int{}
	for _, table := range []string{"meetings", "agenda_items", "invitations", "minute_entries", "minutes_versions", "resolutions",
		"action_items", "convention_signatures", "idempotency_keys", "eventbus_outbox", "audit_log"} {
		var n int
		if err := e.node.DB().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

type outboxEvent struct {
	kind string
	env  *eventsv1.Envelope
}

func (e *env) lastSeq() int64 {
	var n int64
	if err := e.node.DB().QueryRow(`SELECT coalesce(max(seq), 0) FROM eventbus_outbox`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) events(after int64) []outboxEvent {
	e.t.Helper()
	rows, err := e.node.DB().Query(`SELECT event_type, envelope FROM eventbus_outbox WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxEvent
	for rows.Next() {
		var ev outboxEvent
		var raw []byte
		if err := rows.Scan(&ev.kind, &raw); err != nil {
			e.t.Fatal(err)
		}
		ev.env = &eventsv1.Envelope{}
		if err := proto.Unmarshal(raw, ev.env); err != nil {
			e.t.Fatal(err)
		}
		if ev.env.GetDistrict() != "jingkai" || ev.env.GetService() != "meetings" || ev.env.GetType() != ev.kind {
			e.t.Fatalf("envelope %s/%s/%s", ev.env.GetDistrict(), ev.env.GetService(), ev.env.GetType())
		}
		out = append(out, ev)
	}
	return out
}

// payload decodes the payload of ev into m.
func payload[T proto.Message](t *testing.T, ev outboxEvent, m T) T {
	t.Helper()
	if err := proto.Unmarshal(ev.env.GetPayload(), m); err != nil {
		t.Fatalf("%s payload: %v", ev.kind, err)
	}
	return m
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
			r := e.do("POST", "/meetings/"+m.ID+"/status", map[string]string{"status": tc.to})
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			evs := e.events(seq)
			if tc.want != 200 {
				if id := r.errorID(t); id != tc.id {
					t.Fatalf("error %s, want %s", id, tc.id)
				}
				if len(evs) != 0 {
					t.Fatalf("%d events after a refused change", len(evs))
				}
				return
			}
			if len(evs) != 1 || evs[0].kind != "MeetingStatusChanged" {
				t.Fatalf("events %v", evs)
			}
			p := payload(t, evs[0], &eventsv1.MeetingStatusChanged{})
			if p.GetToStatus() != tc.to || p.GetMeeting().GetStatus() != tc.to || p.GetMeeting().GetId() != m.ID {
				t.Fatalf("payload %v", p)
			}
		})
	}
	t.Run("closed after minutes", func(t *testing.T) {
		e := newEnv(t)
		m := e.heldMeeting()
		e.must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "肖军", "kind": "speech", "text": "讲话"}, nil)
		e.must(200, "POST", "/meetings/"+m.ID+"/minutes/publish", nil, nil)
		if got := e.status(m.ID, "closed"); got.Status != "closed" || got.MinutesVersion != 1 {
			t.Fatalf("meeting %+v", got)
		}
		r := e.do("POST", "/meetings/"+m.ID+"/status", map[string]string{"status": "in_progress"})
		if r.status != 409 || r.errorID(t) != "meeting.status_illegal" {
			t.Fatalf("reopen: %d %s", r.status, r.body)
		}
		r = e.do("PATCH", "/meetings/"+m.ID, map[string]string{"title": "改名"})
		if r.status != 409 || r.errorID(t) != "meeting.not_editable" {
			t.Fatalf("patch closed: %d %s", r.status, r.body)
		}
	})
}

// errorField returns the field of an error body.
func (r resp) errorField(t *testing.T) string {
	t.Helper()
	var b struct {
		Error struct{ Field string } `json:"error"`
	}
	r.decode(t, &b)
	return b.Error.Field
}

// version reads a row's version straight from its table.
func (e *env) version(table, id string) int64 {
	e.t.Helper()
	var v int64
	if err := e.node.DB().QueryRow("SELECT version FROM "+table+" WHERE id = ?", id).Scan(&v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

// TestEveryPatchHonoursIfMatch sends each PATCH route an If-Match of the
// version before the current one (a client that read before someone else
// wrote), of a version never issued ("0" in each spelling) and of one from
// the future: each is 412 and changes nothing — no row, no event, no audit
// entry, the same version. Only the current version (or none) applies. A
// change the update refuses halfway (its closure's error, with the current
// version) changes nothing either.
func TestEveryPatchHonoursIfMatch(t *testing.T) {
	e := newEnv(t)
	draft := e.createMeeting("council")
	held := e.heldMeeting()
	var entry struct {
		ID string `json:"id"`
	}
	e.must(http.StatusCreated, "POST", "/meetings/"+held.ID+"/minutes/entries", map[string]any{"speaker": "罗灯亮", "kind": "speech", "text": "讲话"}, &entry)
	routes := []struct {
		name, table, id, path, field string
		// refused is a change the update refuses halfway through (a
		// field already changed, the next one wrong), with its error id.
		refused   map[string]any
		refusedID string
	}{
		{"meeting", "meetings", draft.ID, "/meetings/" + draft.ID, "venue",
			map[string]any{"venue": "改了一半", "title": " "}, "meeting.title_required"},
		{"minute entry", "minute_entries", entry.ID, "/meetings/" + held.ID + "/minutes/entries/" + entry.ID, "text",
			map[string]any{"speaker": "改了一半", "text": " "}, "minute.text_required"},
	}
	// Every PATCH route of the route table has a case here.
	var paths []string
	for _, rt := range routes {
		paths = append(paths, "/api/v1/districts/jingkai"+rt.path)
	}
	var all []testutil.Route
	for _, r := range meetings.Routes() {
		all = append(all, testutil.Route{Method: r.Method, Path: r.Pattern})
	}
	testutil.CheckCovers(t, all, "PATCH", paths)
	for _, rt := range routes {
		t.Run("A "+rt.name+" PATCH refuses every If-Match but the current version.", func(t *testing.T) {
			n := 0
			change := func() map[string]any { n++; return map[string]any{rt.field: fmt.Sprintf("改动%d", n)} }
			e.must(http.StatusOK, "PATCH", rt.path, change(), nil)
			cur := e.version(rt.table, rt.id)
			if cur < 2 {
				t.Fatalf("version %d after an update", cur)
			}
			for _, ifMatch := range testutil.StaleIfMatch(cur) {
				before := e.counts()
				r := e.do("PATCH", rt.path, change(), "If-Match", ifMatch)
				if r.status != http.StatusPreconditionFailed || r.errorID(t) != "request.etag_stale" {
					t.Fatalf("If-Match %s on version %d: %d %s, want 412 request.etag_stale", ifMatch, cur, r.status, r.body)
				}
				if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Fatalf("If-Match %s wrote: %v → %v", ifMatch, before, after)
				}
				if v := e.version(rt.table, rt.id); v != cur {
					t.Fatalf("If-Match %s moved the version %d → %d", ifMatch, cur, v)
				}
			}
			// A change the update refuses, with the current version, writes
			// nothing either: the closure's error rolls back what it began.
			before := e.counts()
			r := e.do("PATCH", rt.path, rt.refused, "If-Match", fmt.Sprintf(`"%d"`, cur))
			if r.status/100 != 4 || r.errorID(t) != rt.refusedID {
				t.Fatalf("refused change: %d %s, want %s", r.status, r.body, rt.refusedID)
			}
			if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("a refused change wrote: %v → %v", before, after)
			}
			if v := e.version(rt.table, rt.id); v != cur {
				t.Fatalf("a refused change moved the version %d → %d", cur, v)
			}
			before = e.counts()
			r = e.do("PATCH", rt.path, change(), "If-Match", `"-1"`)
			if r.status != http.StatusBadRequest || r.errorID(t) != "request.if_match_invalid" || r.errorField(t) != "If-Match" {
				t.Fatalf(`If-Match "-1": %d %s`, r.status, r.body)
			}
			if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf(`If-Match "-1" wrote: %v → %v`, before, after)
			}
			audited := e.counts()["audit_log"]
			for i, ifMatch := range []string{fmt.Sprintf(`"%d"`, cur), fmt.Sprintf(`W/"%d"`, cur+1), ""} {
				var hdr []string
				if ifMatch != "" {
					hdr = []string{"If-Match", ifMatch}
				}
				r := e.must(http.StatusOK, "PATCH", rt.path, change(), nil, hdr...)
				if want := cur + int64(i) + 1; e.version(rt.table, rt.id) != want || r.header.Get("ETag") != fmt.Sprintf(`"%d"`, want) {
					t.Fatalf("If-Match %q: version %d, ETag %s, want %d", ifMatch, e.version(rt.table, rt.id), r.header.Get("ETag"), want)
				}
			}
			// (A draft minute entry has no event of its own; every
			// applied update has its audit entry.)
			if got := e.counts()["audit_log"] - audited; got != 3 {
				t.Fatalf("%d audit entries for three applied updates", got)
			}
		})
	}
}

type invitation struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	CompanyID   string `json:"company_id"`
	PersonName  string `json:"person_name"`
	Status      string `json:"status"`
	CheckInCode string `json:"check_in_code"`
}

func (e *env) invite(meetingID string, companies ...string) []invitation {
	e.t.Helper()
	var cs []map[string]string
	for _, c := range companies {
		cs = append(cs, map[string]string{"company_id": c, "name": "公司" + c})
	}
	var out struct{ Items []invitation }
	e.must(201, "POST", "/meetings/"+meetingID+"/invitations", map[string]any{
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
	ck := func(code string) resp {
		return e.do("POST", "/meetings/"+m.ID+"/check-in", map[string]string{"code": code})
	}

	// A draft meeting does not take check-ins yet.
	if r := ck(invs[0].CheckInCode); r.status != 409 || r.errorID(t) != "meeting.check_in_closed" {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	e.status(m.ID, "scheduled")
	if r := ck("wrong-code-wrong-code-wrong"); r.status != 400 || r.errorID(t) != "invitation.code_invalid" {
		t.Fatalf("wrong: %d %s", r.status, r.body)
	}
	// Another meeting's code does not open this one.
	other := e.createMeeting("council")
	oinv := e.invite(other.ID, "c1")
	if r := ck(oinv[0].CheckInCode); r.status != 400 || r.errorID(t) != "invitation.code_invalid" {
		t.Fatalf("other meeting's code: %d %s", r.status, r.body)
	}
	e.clock.set(meetingStart.Add(-5 * time.Minute))
	seq := e.lastSeq()
	var got invitation
	e.must(200, "POST", "/meetings/"+m.ID+"/check-in", map[string]string{"code": invs[0].CheckInCode}, &got)
	if got.Status != "present" || got.CompanyID != "c1" {
		t.Fatalf("checked in %+v", got)
	}
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].kind != "AttendanceRecorded" {
		t.Fatalf("events %v", evs)
	}
	p := payload(t, evs[0], &eventsv1.AttendanceRecorded{})
	if p.GetAttendance().GetStatus() != "present" || p.GetMeeting().GetAttendedCompanies() != 1 || p.GetMeeting().GetInvitedCompanies() != 3 {
		t.Fatalf("payload %v", p)
	}
	if r := ck(invs[0].CheckInCode); r.status != 409 || r.errorID(t) != "invitation.already_checked_in" {
		t.Fatalf("reused: %d %s", r.status, r.body)
	}
	// Late after 10 minutes.
	e.clock.set(meetingStart.Add(30 * time.Minute))
	e.must(200, "POST", "/meetings/"+m.ID+"/check-in", map[string]string{"code": invs[1].CheckInCode}, &got)
	if got.Status != "late" {
		t.Fatalf("late check-in: %+v", got)
	}
	// Expired after the end plus the grace period.
	e.clock.set(meetingStart.Add(3*time.Hour + 2*time.Hour + time.Minute))
	if r := ck(invs[2].CheckInCode); r.status != 409 || r.errorID(t) != "invitation.code_expired" {
		t.Fatalf("expired: %d %s", r.status, r.body)
	}
	// An admin marks the absent one, then the rates.
	e.must(200, "POST", "/meetings/"+m.ID+"/invitations/"+invs[2].ID+"/attendance", map[string]string{"status": "absent"}, nil)
	e.must(200, "POST", "/meetings/"+m.ID+"/invitations/"+invs[3].ID+"/attendance", map[string]string{"status": "present"}, nil)
	var a struct {
		InvitedCompanies  int     `json:"invited_companies"`
		AttendedCompanies int     `json:"attended_companies"`
		LateCompanies     int     `json:"late_companies"`
		AbsentCompanies   int     `json:"absent_companies"`
		CompanyRate       float64 `json:"company_rate"`
		PeopleRate        float64 `json:"people_rate"`
	}
	e.must(200, "GET", "/meetings/"+m.ID+"/attendance", nil, &a)
	if a.InvitedCompanies != 3 || a.AttendedCompanies != 2 || a.LateCompanies != 1 || a.AbsentCompanies != 1 || a.CompanyRate != 0.667 || a.PeopleRate != 1 {
		t.Fatalf("attendance %+v", a)
	}
	// Per company over time: held meetings only.
	e.status(m.ID, "in_progress")
	var ca struct {
		Invited, Attended, Late int
		Rate                    float64
	}
	e.must(200, "GET", "/attendance/companies/c2", nil, &ca)
	if ca.Invited != 1 || ca.Attended != 1 || ca.Late != 1 || ca.Rate != 1 {
		t.Fatalf("company attendance %+v", ca)
	}
	// A company-admin checks in only its own invitation.
	e.clock.set(meetingStart.Add(-time.Hour))
	m2 := e.createMeeting("district_roundtable")
	invs2 := e.invite(m2.ID, "c1", "c2")
	e.status(m2.ID, "scheduled")
	caHdr := []string{subjectHeader, "ca-c1", roleHeader, "company-admin", districtsHeader, "jingkai", companyHeader, "c1"}
	if r := e.do("POST", "/meetings/"+m2.ID+"/check-in", map[string]string{"code": invs2[1].CheckInCode}, caHdr...); r.status != 403 {
		t.Fatalf("company-admin with another company's code: %d %s", r.status, r.body)
	}
	e.must(200, "POST", "/meetings/"+m2.ID+"/check-in", map[string]string{"code": invs2[0].CheckInCode}, nil, caHdr...)
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
	r := e.do("POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "kind": "requirements", "text": "四点要求"})
	if r.status != 409 || r.errorID(t) != "meeting.not_held" {
		t.Fatalf("entry before the meeting: %d %s", r.status, r.body)
	}
	e.status(m.ID, "scheduled")
	e.status(m.ID, "in_progress")
	if r := e.do("POST", "/meetings/"+m.ID+"/minutes/publish", nil); r.status != 409 || r.errorID(t) != "minutes.nothing_to_publish" {
		t.Fatalf("empty publish: %d %s", r.status, r.body)
	}
	var a, b entry
	e.must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "speaker_role": "民警", "kind": "requirements", "text": "一是规范管理"}, &a)
	e.must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "余朦", "kind": "requirements", "text": "团结一心"}, &b)
	// A draft can change and go.
	e.must(200, "PATCH", "/meetings/"+m.ID+"/minutes/entries/"+b.ID, map[string]any{"text": "各企业应该团结一心"}, nil, "If-Match", `"1"`)
	var c entry
	e.must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "x", "kind": "note", "text": "删掉"}, &c)
	e.must(204, "DELETE", "/meetings/"+m.ID+"/minutes/entries/"+c.ID, nil, nil)

	seq := e.lastSeq()
	var v1 minutes
	e.must(200, "POST", "/meetings/"+m.ID+"/minutes/publish", nil, &v1)
	if v1.Version != 1 || len(v1.Entries) != 2 || v1.Entries[1].Text != "各企业应该团结一心" {
		t.Fatalf("v1 %+v", v1)
	}
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].kind != "MinutesPublished" {
		t.Fatalf("events %v", evs)
	}
	if p := payload(t, evs[0], &eventsv1.MinutesPublished{}); p.GetMinutesVersion() != 1 || p.GetEntries() != 2 {
		t.Fatalf("payload %v", p)
	}
	// Published entries are immutable.
	before := e.counts()
	for _, tc := range []struct {
		method string
		body   any
	}{{"PATCH", map[string]any{"text": "改"}}, {"DELETE", nil}} {
		r := e.do(tc.method, "/meetings/"+m.ID+"/minutes/entries/"+a.ID, tc.body)
		if r.status != 409 || r.errorID(t) != "minute.published" {
			t.Fatalf("%s published: %d %s", tc.method, r.status, r.body)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused writes changed %v → %v", before, after)
	}
	// A correction supersedes; v2 shows it, v1 stays as it was.
	if r := e.do("POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "kind": "requirements", "text": "x", "supersedes": "nope"}); r.status != 400 || r.errorID(t) != "minute.supersedes_invalid" {
		t.Fatalf("bad supersedes: %d %s", r.status, r.body)
	}
	e.must(201, "POST", "/meetings/"+m.ID+"/minutes/entries", map[string]any{"speaker": "薛龙", "kind": "requirements", "text": "一是规范管理（更正）", "supersedes": a.ID}, nil)
	var v2 minutes
	e.must(200, "POST", "/meetings/"+m.ID+"/minutes/publish", nil, &v2)
	if v2.Version != 2 || len(v2.Entries) != 2 || v2.Entries[0].Speaker != "余朦" || v2.Entries[1].Text != "一是规范管理（更正）" || len(v2.Versions) != 2 {
		t.Fatalf("v2 %+v", v2)
	}
	var again minutes
	e.must(200, "GET", "/meetings/"+m.ID+"/minutes?version=1", nil, &again)
	if again.Version != 1 || len(again.Entries) != 2 || again.Entries[0].Text != "一是规范管理" {
		t.Fatalf("v1 after v2 %+v", again)
	}
	if r := e.do("GET", "/meetings/"+m.ID+"/minutes?version=3", nil); r.status != 404 || r.errorID(t) != "minutes.not_found" {
		t.Fatalf("v3: %d %s", r.status, r.body)
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
	e.must(201, "POST", "/meetings/"+meetingID+"/resolutions", map[string]any{
		"title": "四项重点部署", "action_items": []map[string]any{
			{"title": "建立片区常态化联络机制", "owner_kind": "district", "due_on": "2025-10-31"},
			{"title": "组建党组织", "owner_kind": "company", "owner_company_id": "c1", "due_on": "2025-09-25"},
			{"title": "联络员", "owner_kind": "person", "owner_name": "罗灯亮", "due_on": "2025-12-31"},
		}}, &r)
	return r
}

func TestActionItemStateMachine(t *testing.T) {
	ca := []string{subjectHeader, "ca-c1", roleHeader, "company-admin", districtsHeader, "jingkai", companyHeader, "c1"}
	da := []string{subjectHeader, "da", roleHeader, "district-admin", districtsHeader, "jingkai"}
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
				e.must(200, "POST", "/action-items/"+item.ID+"/status", map[string]string{"status": s}, nil)
			}
			seq := e.lastSeq()
			r := e.do("POST", "/action-items/"+item.ID+"/status", map[string]string{"status": tc.to}, tc.hdr...)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want != 200 {
				if id := r.errorID(t); id != tc.wantID {
					t.Fatalf("error %s, want %s", id, tc.wantID)
				}
				if n := len(e.events(seq)); n != 0 {
					t.Fatalf("%d events after a refused change", n)
				}
				return
			}
			evs := e.events(seq)
			if len(evs) != 1 || evs[0].kind != "ActionItemStatusChanged" {
				t.Fatalf("events %v", evs)
			}
			if p := payload(t, evs[0], &eventsv1.ActionItemStatusChanged{}); p.GetToStatus() != tc.to || p.GetItem().GetStatus() != tc.to {
				t.Fatalf("payload %v", p)
			}
		})
	}
	t.Run("another company's item", func(t *testing.T) {
		e := newEnv(t)
		m := e.heldMeeting()
		item := e.resolution(m.ID).ActionItems[1]
		other := []string{subjectHeader, "ca-c2", roleHeader, "company-admin", districtsHeader, "jingkai", companyHeader, "c2"}
		if r := e.do("POST", "/action-items/"+item.ID+"/status", map[string]string{"status": "done"}, other...); r.status != 403 {
			t.Fatalf("other company: %d %s", r.status, r.body)
		}
	})
}

func TestOverdueAndReminders(t *testing.T) {
	e := newEnv(t)
	m := e.heldMeeting()
	seq := e.lastSeq()
	res := e.resolution(m.ID)
	evs := e.events(seq)
	if len(evs) != 4 || evs[0].kind != "ResolutionAdopted" || evs[1].kind != "ActionItemCreated" {
		t.Fatalf("events %v", evs)
	}
	if p := payload(t, evs[0], &eventsv1.ResolutionAdopted{}); p.GetActionItems() != 3 || p.GetMeetingId() != m.ID {
		t.Fatalf("payload %v", p)
	}
	// 2025-09-27: the c1 item (due 09-25) is overdue.
	e.clock.set(time.Date(2025, 9, 27, 10, 0, 0, 0, cst))
	var list struct{ Items []actionItem }
	e.must(200, "GET", "/action-items?overdue=true", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != res.ActionItems[1].ID || !list.Items[0].Overdue {
		t.Fatalf("overdue %+v", list.Items)
	}
	seq = e.lastSeq()
	n, err := e.node.SendReminders(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("reminders %d, %v", n, err)
	}
	evs = e.events(seq)
	if len(evs) != 1 || evs[0].kind != "ActionItemReminder" {
		t.Fatalf("events %v", evs)
	}
	if p := payload(t, evs[0], &eventsv1.ActionItemReminder{}); !p.GetOverdue() || p.GetDays() != 2 || p.GetItem().GetId() != res.ActionItems[1].ID {
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
	e.must(200, "POST", "/action-items/"+res.ActionItems[1].ID+"/status", map[string]string{"status": "done"}, nil)
	e.must(200, "GET", "/action-items?overdue=true", nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("overdue after done %+v", list.Items)
	}
}

func TestConventionSignatures(t *testing.T) {
	e := newEnv(t)
	var c meetings.Convention
	e.must(200, "GET", "/convention", nil, &c)
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
	e.must(201, "POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "张总", "meeting_id": m.ID}, &s)
	if !s.Current || s.ConventionVersion != "2025-1" {
		t.Fatalf("signature %+v", s)
	}
	// An old version is recorded but does not count for the current one.
	e.must(201, "POST", "/convention/signatures", map[string]any{"company_id": "c2", "signed_by": "李总", "convention_version": "2019-1"}, &s)
	if s.Current {
		t.Fatalf("old version marked current: %+v", s)
	}
	evs := e.events(seq)
	if len(evs) != 2 {
		t.Fatalf("events %v", evs)
	}
	p0, p1 := payload(t, evs[0], &eventsv1.ConventionSigned{}), payload(t, evs[1], &eventsv1.ConventionSigned{})
	if !p0.GetSignature().GetCurrent() || p0.GetSignature().GetMeetingId() != m.ID || p1.GetSignature().GetCurrent() || p1.GetSignature().GetConventionVersion() != "2019-1" {
		t.Fatalf("payloads %v / %v", p0, p1)
	}
	var rate struct {
		Signed, Companies int
		Rate              float64
	}
	e.must(200, "GET", "/convention/rate", nil, &rate)
	if rate.Signed != 1 || rate.Companies != 4 || rate.Rate != 0.25 {
		t.Fatalf("rate %+v", rate)
	}
	if r := e.do("POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "张总"}); r.status != 409 || r.errorID(t) != "signature.duplicate" {
		t.Fatalf("duplicate: %d %s", r.status, r.body)
	}
	// A company-admin signs only for its own company.
	ca := []string{subjectHeader, "ca-c3", roleHeader, "company-admin", districtsHeader, "jingkai", companyHeader, "c3"}
	if r := e.do("POST", "/convention/signatures", map[string]any{"company_id": "c4", "signed_by": "王总"}, ca...); r.status != 403 {
		t.Fatalf("other company: %d %s", r.status, r.body)
	}
	e.must(201, "POST", "/convention/signatures", map[string]any{"company_id": "c3", "signed_by": "王总"}, nil, ca...)
	// Without a published convention there is nothing current to sign.
	e2 := newEnvWith(t, meetings.Convention{})
	// convention.not_published is HQ's id too (convention.none_published
	// until issue 8).
	if r := e2.do("GET", "/convention", nil); r.status != 404 || r.errorID(t) != "convention.not_published" {
		t.Fatalf("none: %d %s", r.status, r.body)
	}
	if r := e2.do("GET", "/convention/rate", nil); r.status != 404 || r.errorID(t) != "convention.not_published" {
		t.Fatalf("rate of none: %d %s", r.status, r.body)
	}
	if r := e2.do("POST", "/convention/signatures", map[string]any{"company_id": "c1", "signed_by": "x"}); r.status != 404 || r.errorID(t) != "convention.not_published" {
		t.Fatalf("sign none: %d %s", r.status, r.body)
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
		e.must(201, "POST", "/meetings/"+m.ID+"/agenda", map[string]any{"kind": k, "title": k, "presenter": "p", "duration_minutes": 10}, &a)
		ids = append(ids, a.ID)
	}
	for _, bad := range [][]string{{ids[0], ids[1]}, {ids[0], ids[0], ids[1]}, {ids[0], ids[1], "x"}} {
		if r := e.do("POST", "/meetings/"+m.ID+"/agenda/order", map[string]any{"item_ids": bad}); r.status != 400 || r.errorID(t) != "agenda.order_invalid" {
			t.Fatalf("bad order %v: %d %s", bad, r.status, r.body)
		}
	}
	e.must(200, "POST", "/meetings/"+m.ID+"/agenda/order", map[string]any{"item_ids": []string{ids[2], ids[0], ids[1]}}, nil)
	var list struct {
		Items []struct {
			ID       string
			Position int
		}
	}
	e.must(200, "GET", "/meetings/"+m.ID+"/agenda", nil, &list)
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
		e.must(201, "POST", "/meetings", map[string]any{"type": "district_roundtable", "title": "圆桌会", "starts_at": start, "ends_at": start.Add(time.Hour)}, &m)
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
	e.must(200, "GET", "/roundtables/cadence?periods=3", nil, &rep)
	if rep.Per != "month" || len(rep.Periods) != 3 || rep.Periods[1].Period != "2025-08" || rep.Periods[1].Held != 2 || !rep.Periods[1].OnTrack ||
		rep.Periods[2].Period != "2025-09" || rep.Periods[2].Held != 0 || rep.Periods[2].OnTrack || rep.Periods[0].Expected != 1 {
		t.Fatalf("cadence %+v", rep)
	}
	if r := e.do("GET", "/roundtables/cadence?periods=0", nil); r.status != 400 || r.errorID(t) != "cadence.periods_invalid" {
		t.Fatalf("periods=0: %d %s", r.status, r.body)
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
		{"invite company twice", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{"companies": []map[string]string{{"company_id": "a"}, {"company_id": "a"}}}, "", 409, "invitation.company_duplicate", "companies"},
		{"invite person role", "POST", "/meetings/" + draft.ID + "/invitations", map[string]any{"people": []map[string]string{{"name": "x", "role": "king"}}}, "", 400, "invitation.person_invalid", "people"},
		{"check-in empty code", "POST", "/meetings/" + held.ID + "/check-in", map[string]any{"code": ""}, "", 400, "invitation.code_invalid", "code"},
		{"attendance status", "POST", "/meetings/" + held.ID + "/invitations/x/attendance", map[string]any{"status": "asleep"}, "", 400, "attendance.status_invalid", "status"},
		{"entry speaker", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"kind": "speech", "text": "t"}, "", 400, "minute.speaker_required", "speaker"},
		{"entry kind", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"speaker": "s", "kind": "song", "text": "t"}, "", 400, "minute.kind_invalid", "kind"},
		{"entry text", "POST", "/meetings/" + held.ID + "/minutes/entries", map[string]any{"speaker": "s", "kind": "speech"}, "", 400, "minute.text_required", "text"},
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
		{"other district", "GET", "/../caidian/meetings", nil, "", 404, "district.not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			path := tc.path
			if strings.HasPrefix(path, "/../") {
				path = strings.TrimPrefix(path, "/..")
				e.base = strings.TrimSuffix(e.base, "/jingkai")
				defer func() { e.base += "/jingkai" }()
			}
			var hdr []string
			switch tc.contentType {
			case "":
			case "none":
				hdr = []string{"Content-Type", ""}
			default:
				hdr = []string{"Content-Type", tc.contentType}
			}
			r := e.do(tc.method, path, tc.body, hdr...)
			if r.status != tc.status || r.errorID(t) != tc.id || r.errorField(t) != tc.field {
				t.Fatalf("%d %s, want %d %s (field %q)", r.status, r.body, tc.status, tc.id, tc.field)
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
		e.must(http.StatusCreated, "POST", "/meetings", map[string]any{"type": "council", "title": "理事会", "starts_at": start, "ends_at": start.Add(time.Hour)}, nil)
	}
	held := e.heldMeeting()
	e.must(http.StatusCreated, "POST", "/meetings/"+held.ID+"/resolutions", map[string]any{"title": "决议", "action_items": []map[string]any{
		{"title": "最早", "owner_kind": "district", "due_on": "2000-01-01"},
		{"title": "最晚", "owner_kind": "district", "due_on": last.In(cst).Format(time.DateOnly)},
	}}, nil)
	// Line breaks stay allowed in free text.
	e.must(http.StatusCreated, "POST", "/meetings/"+held.ID+"/minutes/entries", map[string]any{"speaker": "罗灯亮", "kind": "speech", "text": "第一点。\n第二点。\r\n\t完"}, nil)
}

func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"type": "council", "title": "理事会", "starts_at": meetingStart, "ends_at": meetingStart.Add(time.Hour)}
	var a, b meeting
	e.must(201, "POST", "/meetings", body, &a, "Idempotency-Key", "k1")
	before := e.counts()
	e.must(201, "POST", "/meetings", body, &b, "Idempotency-Key", "k1")
	if a.ID != b.ID || fmt.Sprint(before) != fmt.Sprint(e.counts()) {
		t.Fatalf("replay created another: %s %s", a.ID, b.ID)
	}
	body["title"] = "另一个"
	if r := e.do("POST", "/meetings", body, "Idempotency-Key", "k1"); r.status != 422 || r.errorID(t) != "request.idempotency_key_reused" {
		t.Fatalf("reused key: %d %s", r.status, r.body)
	}
	// A replayed invitation never shows the codes again (they are stored
	// nowhere).
	m := e.createMeeting("council")
	inv := map[string]any{"companies": []map[string]string{{"company_id": "c1"}}}
	var first, again struct{ Items []invitation }
	e.must(201, "POST", "/meetings/"+m.ID+"/invitations", inv, &first, "Idempotency-Key", "i1")
	e.must(201, "POST", "/meetings/"+m.ID+"/invitations", inv, &again, "Idempotency-Key", "i1")
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
	e.must(200, "GET", "/meetings/audit?resource=meeting&resource_id="+m.ID, nil, &list)
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

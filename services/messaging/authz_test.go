package messaging_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/messaging"
)

var callers = []struct {
	label string
	p     auth.Principal
}{
	{"hq", auth.Principal{Role: auth.RoleHQAdmin}},
	{"da-own", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}},
	{"da-other", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}}},
	{"ca-own", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"}},
	{"ca-othercompany", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c2"}},
	{"ca-otherdistrict", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"caidian"}, Company: "c1"}},
	{"police-city", auth.Principal{Role: auth.RolePolice}},
	{"police-own", auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}},
	{"police-other", auth.Principal{Role: auth.RolePolice, Districts: []string{"caidian"}}},
	{"guard", auth.Principal{Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"}},
	{"ops", auth.Principal{Role: auth.RoleOps}},
}

type call struct {
	path string
	body any
}

// matrix calls every route of routes as every caller and checks the answer
// against the policy table: allowed callers never get 401/403, everyone
// else gets 403 auth.forbidden.
func matrix(t *testing.T, cl *testutil.Client, routes []messaging.Route, calls map[string]call, target func(name string) auth.Target) {
	t.Helper()
	policy := messaging.Policy()
	for _, rt := range routes {
		name := strings.TrimPrefix(rt.Endpoint, messaging.EndpointPrefix)
		c, ok := calls[name]
		if !ok {
			t.Errorf("route %s has no matrix call", name)
			continue
		}
		if _, ok := policy[rt.Endpoint]; !ok {
			t.Errorf("route %s has no policy row", name)
		}
		for _, caller := range callers {
			allowed := policy.Decide(caller.p, rt.Endpoint, target(name)) == nil
			r := cl.Do(rt.Method, c.path, c.body, testutil.PrincipalHeaders(caller.p, caller.label)...)
			// An allowed caller may still meet a domain rule of its own id
			// (notice.revise_forbidden: only the sending office revises),
			// never the policy table's auth.forbidden.
			if allowed && (r.Status == 401 || r.ErrorID() == "auth.forbidden") {
				t.Errorf("%s %s as %s: %d %s, want allowed", rt.Method, name, caller.label, r.Status, r.Body)
			}
			if !allowed && (r.Status != 403 || r.ErrorID() != "auth.forbidden") {
				t.Errorf("%s %s as %s: %d %s, want 403", rt.Method, name, caller.label, r.Status, r.Body)
			}
		}
	}
	if len(calls) != len(routes) {
		t.Errorf("%d matrix calls for %d routes", len(calls), len(routes))
	}
}

func TestAuthzMatrixOfADistrictNode(t *testing.T) {
	e := newEnv(t)
	n := e.publish(e.noticeBody())
	var th struct{ ID string }
	e.Must(201, "POST", "/liaison/threads", map[string]any{"title": "t", "body_markdown": "b"}, &th, lead...)
	var aid, post struct{ ID string }
	e.Must(201, "POST", "/aid/requests", aidBody(e.clock.now()), &aid, lead...)
	e.Must(201, "POST", "/publicity/posts", map[string]any{"title": "t", "body_markdown": "b"}, &post, lead...)
	calls := map[string]call{
		"post_aid_request":      {"/aid/requests", aidBody(e.clock.now())},
		"list_aid_requests":     {"/aid/requests", nil},
		"get_aid_request":       {"/aid/requests/" + aid.ID, nil},
		"aid_availability":      {"/aid/requests/" + aid.ID + "/availability", nil},
		"make_aid_offer":        {"/aid/requests/" + aid.ID + "/offers", map[string]any{"headcount": 1}},
		"list_aid_offers":       {"/aid/requests/" + aid.ID + "/offers", nil},
		"accept_aid_offer":      {"/aid/requests/" + aid.ID + "/offers/nonesuch/accept", map[string]any{}},
		"close_aid_request":     {"/aid/requests/" + aid.ID + "/close", map[string]any{"outcome": "bogus"}},
		"aid_stats":             {"/aid/stats", nil},
		"submit_post":           {"/publicity/posts", map[string]any{"title": "t", "body_markdown": "b"}},
		"list_publicity_posts":  {"/publicity/posts", nil},
		"get_publicity_post":    {"/publicity/posts/" + post.ID, nil},
		"revise_publicity_post": {"/publicity/posts/" + post.ID, map[string]any{}},
		"review_publicity_post": {"/publicity/posts/" + post.ID + "/review", map[string]any{"version": 9, "decision": "approve"}},
		"list_published_posts":  {"/publicity/published", nil},
		"open_thread":           {"/liaison/threads", map[string]any{"title": "t", "body_markdown": "b"}},
		"list_threads":          {"/liaison/threads", nil},
		"get_thread":            {"/liaison/threads/" + th.ID, nil},
		"add_post":              {"/liaison/threads/" + th.ID + "/posts", map[string]any{"body_markdown": "b"}},
		"list_posts":            {"/liaison/threads/" + th.ID + "/posts", nil},
		"mark_read":             {"/liaison/threads/" + th.ID + "/read", map[string]any{}},
		"liaison_unread":        {"/liaison/unread", nil},
		"publish_notice":        {"/notices", e.noticeBody()},
		"list_notices":          {"/notices", nil},
		"get_notice":            {"/notices/" + n.ID, nil},
		"revise_notice":         {"/notices/" + n.ID, map[string]any{}},
		"list_receipts":         {"/notices/" + n.ID + "/receipts", nil},
		"get_receipt":           {"/notices/" + n.ID + "/receipts/c1", nil},
		"read_notice":           {"/notices/" + n.ID + "/receipts/c1/read", map[string]any{"by": "x"}},
		"acknowledge_notice":    {"/notices/" + n.ID + "/receipts/c1/acknowledge", map[string]any{"revision": 1, "by": "x"}},
		"notice_rollup":         {"/notices/" + n.ID + "/rollup", nil},
		"company_notices":       {"/company-notices/c1", nil},
		"company_rollup":        {"/company-notices/c1/rollup", nil},
		"list_audit":            {"/messaging/audit", nil},
		"list_team_notices":     {"/messaging/team-notices", nil},
		"guard_team_notices":    {"/messaging/guards/g1/team-notices", nil},
		"read_team_notice":      {"/messaging/guards/g1/team-notices/nonesuch/read", nil},
	}
	company := map[string]bool{"get_receipt": true, "read_notice": true, "acknowledge_notice": true, "company_notices": true, "company_rollup": true}
	leader := map[string]bool{"guard_team_notices": true, "read_team_notice": true}
	matrix(t, e.Client, messaging.Routes(), calls, func(name string) auth.Target {
		tg := auth.Target{District: "jingkai"}
		if company[name] {
			tg.Company = "c1"
		}
		if leader[name] {
			tg.Guard = "g1"
		}
		return tg
	})
	// Ops is allowed nowhere, a guard only on its own team notices (as
	// a team's leader); nobody but the company answers for it, nobody but
	// the leader reads a team notice.
	for ep, rule := range messaging.Policy() {
		if rule.Roles[auth.RoleOps] != auth.ScopeDeny {
			t.Errorf("%s allows ops", ep)
		}
		if s := rule.Roles[auth.RoleGuard]; s != auth.ScopeDeny && (!leader[strings.TrimPrefix(ep, messaging.EndpointPrefix)] || s != auth.ScopeSelf) {
			t.Errorf("%s allows a guard %s", ep, s)
		}
	}
	if r := messaging.Policy()["messaging.read_team_notice"].Roles; len(r) != 1 || r[auth.RoleGuard] != auth.ScopeSelf {
		t.Errorf("read_team_notice allows %v, want the leader alone", r)
	}
	for _, ep := range []string{"messaging.read_notice", "messaging.acknowledge_notice"} {
		if len(messaging.Policy()[ep].Roles) != 1 {
			t.Errorf("%s allows %v, want the company-admin alone", ep, messaging.Policy()[ep].Roles)
		}
	}
}

// staticDistricts is a registry that never changes.
type staticDistricts []config.District

func (s staticDistricts) Watch(ctx context.Context, fn func([]config.District)) error {
	fn(s)
	<-ctx.Done()
	return nil
}

func TestAuthzMatrixOfTheHQRole(t *testing.T) {
	node, err := messaging.New(context.Background(), messaging.Config{Role: messaging.RoleHQ, DBPath: filepath.Join(t.TempDir(), "hq.db")},
		messaging.Deps{Districts: staticDistricts{{ID: "jingkai", Name: "Jingkai"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	srv := httptest.NewServer(testutil.ValidatedHandler(t, messaging.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), ""), slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { srv.Close(); cancel(); <-done; _ = node.Close() })
	cl := testutil.NewClient(t, srv.URL)
	var d struct{ ID string }
	cl.Must(201, "POST", "/api/v1/hq/directives", map[string]any{"title": "t", "body_markdown": "b"}, &d)
	calls := map[string]call{
		"issue_directive":          {"/api/v1/hq/directives", map[string]any{"title": "t", "body_markdown": "b"}},
		"list_directives":          {"/api/v1/hq/directives", nil},
		"get_directive":            {"/api/v1/hq/directives/" + d.ID, nil},
		"revise_directive":         {"/api/v1/hq/directives/" + d.ID, map[string]any{}},
		"directive_delivery":       {"/api/v1/hq/directives/" + d.ID + "/delivery", nil},
		"list_directive_audit":     {"/api/v1/hq/directives/audit", nil},
		"notice_rates":             {"/api/v1/hq/directives/notice-rates", nil},
		"city_aid_stats":           {"/api/v1/hq/aid/stats", nil},
		"list_hq_publicity_posts":  {"/api/v1/hq/publicity/posts", nil},
		"get_hq_publicity_post":    {"/api/v1/hq/publicity/posts/nonesuch", nil},
		"review_hq_publicity_post": {"/api/v1/hq/publicity/posts/nonesuch/review", map[string]any{"version": 1, "decision": "approve"}},
		"list_hq_published_posts":  {"/api/v1/hq/publicity/published", nil},
	}
	matrix(t, cl, messaging.HQRoutes(), calls, func(string) auth.Target { return auth.Target{} })
}

// TestAnonymousRequestsAreRefusedBeforeTheyAreRead sends every route of
// both roles an anonymous, otherwise malformed request: 401, never a 400
// that describes the body.
func TestAnonymousRequestsAreRefusedBeforeTheyAreRead(t *testing.T) {
	for _, role := range []string{messaging.RoleDistrict, messaging.RoleHQ} {
		node, err := messaging.New(context.Background(), messaging.Config{Role: role, District: "jingkai", DBPath: filepath.Join(t.TempDir(), role+".db")}, messaging.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		routes := messaging.Routes()
		if role == messaging.RoleHQ {
			routes = messaging.HQRoutes()
		}
		testutil.CheckAuthenticatesFirst(t, node.Handler(), routes, "jingkai")
		_ = node.Close()
	}
}

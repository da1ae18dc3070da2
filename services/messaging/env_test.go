package messaging_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/messaging"
)

// clock is the node's test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var cst = time.FixedZone("CST", 8*3600)

// start is the test clock's start: the morning of the district meeting.
var start = time.Date(2025, 9, 23, 9, 0, 0, 0, cst)

// env is a real district messaging node on httptest; its Client sends the
// requests (as an hq-admin unless headers say otherwise), each exchange
// checked against the service's OpenAPI document.
type env struct {
	*testutil.Client
	t     *testing.T
	node  *messaging.Node
	clock *clock
}

// The district's register as messaging knows it: c1–c4 active (c1 and c2
// council members), c5 suspended.
var register = []messaging.Company{
	{ID: "c1", Name: "武汉江城保安服务有限公司", Status: "active", Level: "council", Version: 1},
	{ID: "c2", Name: "经开保安公司", Status: "active", Level: "council", Version: 1},
	{ID: "c3", Name: "蔡甸安保公司", Status: "active", Level: "member", Version: 1},
	{ID: "c4", Name: "沌口物业安保部", Status: "active", Level: "member", Version: 1},
	{ID: "c5", Name: "停业保安公司", Status: "suspended", Level: "member", Version: 1},
}

func newEnv(t *testing.T, deps ...func(*messaging.Deps)) *env {
	t.Helper()
	return newEnvWith(t, messaging.Config{}, deps...)
}

// newEnvAt is a node consuming the broker of tenv (its membership and
// directives topics), running until the test ends.
func newEnvAt(t *testing.T, tenv *testutil.Env) *env {
	t.Helper()
	e := newEnvWith(t, messaging.Config{Brokers: []string{tenv.Broker().Addr}})
	tenv.Background("messaging", e.node.Run)
	return e
}

func newEnvWith(t *testing.T, cfg messaging.Config, deps ...func(*messaging.Deps)) *env {
	t.Helper()
	c := &clock{t: start}
	d := messaging.Deps{Now: c.now}
	for _, f := range deps {
		f(&d)
	}
	cfg.District, cfg.DBPath, cfg.Storage = "jingkai", filepath.Join(t.TempDir(), "messaging.db"), storage.Config{Synchronous: "normal"}
	node, err := messaging.New(context.Background(), cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, co := range register {
		if err := node.PutCompany(context.Background(), co); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(testutil.ValidatedHandler(t, messaging.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), "jingkai"), slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { srv.Close(); _ = node.Close() })
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/jingkai"
	return &env{Client: cl, t: t, node: node, clock: c}
}

// Callers' test headers.
var (
	lead   = []string{testutil.SubjectHeader, "lead", testutil.RoleHeader, "district-admin", testutil.DistrictsHeader, "jingkai"}
	police = []string{testutil.SubjectHeader, "police-jk", testutil.RoleHeader, "police", testutil.DistrictsHeader, "jingkai"}
)

func companyAdmin(c string) []string {
	return []string{testutil.SubjectHeader, "ca-" + c, testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, c}
}

type notice struct {
	ID           string `json:"id"`
	Origin       string `json:"origin"`
	DirectiveID  string `json:"directive_id"`
	BodyHTML     string `json:"body_html"`
	Version      int64  `json:"version"`
	Recipients   int    `json:"recipients"`
	Read         int    `json:"read"`
	Acknowledged int    `json:"acknowledged"`
}

type receipt struct {
	CompanyID      string `json:"company_id"`
	Status         string `json:"status"`
	Revision       int64  `json:"revision"`
	AcknowledgedBy string `json:"acknowledged_by"`
	Comment        string `json:"comment"`
	Reminders      int    `json:"reminders"`
}

// noticeBody is a valid notice asking for acknowledgement in three days.
func (e *env) noticeBody() map[string]any {
	return map[string]any{
		"title": "关于开展节假日安全巡防的通知", "body_markdown": "各会员单位：请于**国庆**前完成自查。",
		"priority": "urgent", "ack_required": true, "ack_deadline": e.clock.now().Add(72 * time.Hour),
		"attachments": []map[string]string{{"name": "自查表.xlsx", "url": "https://files.example.cn/a/1"}},
		"audience":    map[string]any{"kind": "district"},
	}
}

func (e *env) publish(body map[string]any) notice {
	e.t.Helper()
	var n notice
	e.Must(201, "POST", "/notices", body, &n, lead...)
	return n
}

func (e *env) read(id, company string) receipt {
	e.t.Helper()
	var r receipt
	e.Must(200, "POST", "/notices/"+id+"/receipts/"+company+"/read", map[string]any{"by": "张经理"}, &r, companyAdmin(company)...)
	return r
}

func (e *env) ack(id, company string, revision int64) receipt {
	e.t.Helper()
	var r receipt
	e.Must(200, "POST", "/notices/"+id+"/receipts/"+company+"/acknowledge", map[string]any{"revision": revision, "by": "张经理", "comment": "已落实"}, &r, companyAdmin(company)...)
	return r
}

func (e *env) counts() map[string]int {
	e.t.Helper()
	return testutil.Counts(e.t, e.node.DB().DB, "notices", "receipts", "eventbus_outbox", "audit_log", "idempotency_keys",
		"liaison_threads", "liaison_posts", "liaison_mentions", "liaison_read_markers")
}

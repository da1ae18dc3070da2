package compliance_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

// clock is the node's test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var cst = time.FixedZone("CST", 8*3600)

// start is the tests' first day: 2026-06-10 in China.
var start = time.Date(2026, 6, 10, 9, 0, 0, 0, cst)

// env is a real compliance node on httptest behind the access-log
// middleware; every exchange is validated against the OpenAPI document.
type env struct {
	*testutil.Client
	t      *testing.T
	node   *compliance.Node
	clock  *clock
	dbPath string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, compliance.Config{}, compliance.Deps{})
}

func newEnvWith(t *testing.T, cfg compliance.Config, deps compliance.Deps) *env {
	t.Helper()
	c := &clock{t: start}
	cfg.District = "jingkai"
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join(t.TempDir(), "compliance.db")
	}
	cfg.Storage = storage.Config{Synchronous: "normal"}
	cfg.Sealer = testSealer(t)
	deps.Now = c.now
	node, err := compliance.New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(testutil.ValidatedHandler(t, compliance.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), "jingkai"), slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { srv.Close(); _ = node.Close() })
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/jingkai"
	return &env{Client: cl, t: t, node: node, clock: c, dbPath: cfg.DBPath}
}

// sealKey is the tests' sealing key; its bytes must never show in the
// database file.
var sealKey = []byte("0123456789abcdef0123456789abcdef")

func testSealer(t testing.TB) *pii.Sealer {
	t.Helper()
	s, err := pii.NewSealer(map[string][]byte{"k1": sealKey}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// guard is a test guard: a membership snapshot.
type guard = eventsv1.Guard

// okGuard is a guard of company who meets every criterion once trained.
func okGuard(id, company string) *guard {
	return &guard{Id: id, District: "jingkai", CompanyId: company, EmploymentStatus: "active", BackgroundCheckStatus: "passed",
		HasCertificate: true, CertificateValidUntil: "2027-12-31", BadgeService: true, PreJobTrained: true, Version: 1}
}

// envelope wraps a membership event of g as membership's outbox would.
func envelope(typ string, g *guard, m proto.Message) *eventsv1.Envelope {
	e := testutil.Envelope("jingkai", "membership", typ, "guard", g.GetId(), m)
	e.EventId = fmt.Sprintf("ev-%s-%d-%s", g.GetId(), g.GetVersion(), typ)
	e.Sequence = g.GetVersion()
	return e
}

func hired(g *guard) *eventsv1.Envelope {
	return envelope(eventsv1.TypeGuardHired, g, &eventsv1.GuardHired{Guard: g})
}

func updated(g *guard) *eventsv1.Envelope {
	return envelope(eventsv1.TypeGuardUpdated, g, &eventsv1.GuardUpdated{Guard: g})
}

func trained(g *guard, typ string, hours float64, on string) *eventsv1.Envelope {
	return envelope(eventsv1.TypeTrainingRecorded, g, &eventsv1.TrainingRecorded{Guard: g, TrainingType: typ, Hours: hours, TrainedOn: on})
}

func (e *env) apply(envs ...*eventsv1.Envelope) {
	e.t.Helper()
	for _, ev := range envs {
		if err := e.node.ApplyMembership(context.Background(), ev); err != nil {
			e.t.Fatalf("apply %s: %v", ev.GetType(), err)
		}
	}
}

// next returns a copy of g one version on, changed by fn.
func next(g *guard, fn func(*guard)) *guard {
	n := proto.Clone(g).(*guard)
	n.Version++
	fn(n)
	return n
}

// hireTrained hires g and records a full year's training (24 h in
// service on the test day).
func (e *env) hireTrained(g *guard) *guard {
	e.t.Helper()
	e.apply(hired(g))
	g2 := next(g, func(*guard) {})
	e.apply(trained(g2, "in_service", 24, "2026-06-01"))
	return g2
}

type counts struct {
	Active            int64 `json:"active"`
	BackgroundChecked int64 `json:"background_checked"`
	Trained           int64 `json:"trained"`
	Certified         int64 `json:"certified"`
	BadgeService      int64 `json:"badge_service"`
}

type rates struct {
	BackgroundChecked *float64 `json:"background_checked"`
	Trained           *float64 `json:"trained"`
	Certified         *float64 `json:"certified"`
	BadgeService      *float64 `json:"badge_service"`
}

type companyScore struct {
	CompanyID string   `json:"company_id"`
	Counts    counts   `json:"counts"`
	Rates     rates    `json:"rates"`
	Full      []string `json:"full"`
}

type scoreboard struct {
	Day       string            `json:"day"`
	Policy    policy.Compliance `json:"policy"`
	Companies int64             `json:"companies"`
	Counts    counts            `json:"counts"`
	Rates     rates             `json:"rates"`
	Full      []string          `json:"full"`
}

func (e *env) scoreboard() scoreboard {
	e.t.Helper()
	var s scoreboard
	e.Must(200, "GET", "/compliance/scoreboard", nil, &s)
	return s
}

func (e *env) company(id string) companyScore {
	e.t.Helper()
	var s companyScore
	e.Must(200, "GET", "/compliance/companies/"+id, nil, &s)
	return s
}

// companies returns every company's counts, walking the pages.
func (e *env) companies() map[string]counts {
	e.t.Helper()
	out := map[string]counts{}
	token := ""
	for {
		var page struct {
			Items []companyScore `json:"items"`
			Next  string         `json:"next_page_token"`
		}
		e.Must(200, "GET", "/compliance/companies?page_size=2&page_token="+token, nil, &page)
		for _, it := range page.Items {
			out[it.CompanyID] = it.Counts
		}
		if page.Next == "" {
			return out
		}
		token = page.Next
	}
}

type gap struct {
	GuardID               string   `json:"guard_id"`
	CompanyID             string   `json:"company_id"`
	Criterion             string   `json:"criterion"`
	Reason                string   `json:"reason"`
	CertificateValidUntil string   `json:"certificate_valid_until"`
	Hours                 *float64 `json:"hours"`
}

// gaps walks every page of a drill-down (page_size 2).
func (e *env) gaps(query string) []gap {
	e.t.Helper()
	var out []gap
	token := ""
	for {
		var page struct {
			Items []gap  `json:"items"`
			Next  string `json:"next_page_token"`
		}
		e.Must(200, "GET", "/compliance/gaps?page_size=2&"+query+"&page_token="+token, nil, &page)
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		token = page.Next
	}
}

func (e *env) events(after int64) []testutil.OutboxEvent {
	e.t.Helper()
	evs := testutil.OutboxEvents(e.t, e.node.DB().DB, after)
	for _, ev := range evs {
		if ev.Envelope.GetDistrict() != "jingkai" || ev.Envelope.GetService() != "compliance" || ev.Envelope.GetType() != ev.Type {
			e.t.Fatalf("envelope %s/%s/%s", ev.Envelope.GetDistrict(), ev.Envelope.GetService(), ev.Envelope.GetType())
		}
	}
	return evs
}

func (e *env) lastSeq() int64 { return testutil.LastSeq(e.t, e.node.DB().DB) }

func typesOf(evs []testutil.OutboxEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

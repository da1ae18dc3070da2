package hq

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

type syncBuffer = testutil.SyncBuffer

// conventionEnv is a running node on a real embedded etcd, with fake
// Kafka consumers (the events are applied directly), behind an hq-admin
// principal.
type conventionEnv struct {
	ctx  context.Context
	cli  *clientv3.Client
	node *Node
	srv  *httptest.Server
	logs *syncBuffer
}

func newConventionEnv(t *testing.T) *conventionEnv {
	t.Helper()
	env := testutil.NewEnv(t)
	ctx, etcd := env.Context(), env.Etcd()
	logs := &syncBuffer{}
	registry := &fakeRegistry{initial: []config.District{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}},
		updates: make(chan []config.District)}
	n, err := New(ctx, Config{DBPath: env.Path("hq.db"), Brokers: []string{"127.0.0.1:1"}},
		Deps{Districts: registry, Etcd: etcd.Client, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	n.newConsumer = func(string, string) (consumer, error) {
		return &fakeConsumer{lag: &atomic.Int64{}, stopped: make(chan struct{})}, nil
	}
	// Cleanups run last-in first-out: the server, then Run, then the
	// database, then etcd.
	t.Cleanup(func() { n.Close() })
	env.Background("Run", n.Run)
	srv := httptest.NewServer(testutil.ValidatedHandler(t, openAPI, asHQAdmin(n.Handler())))
	t.Cleanup(srv.Close)
	return &conventionEnv{ctx: ctx, cli: etcd.Client, node: n, srv: srv, logs: logs}
}

// do sends method path with body (none if empty) and returns the status,
// the error id ("" on success) and the decoded body.
func (e *conventionEnv) do(t *testing.T, method, path, body string) (int, string, map[string]any) {
	t.Helper()
	status, id, raw := send(t, e.srv, method, path, body, "")
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return status, id, m
}

func (e *conventionEnv) publish(t *testing.T, version, title, text string) (int, string, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"version": version, "title": title, "text": text})
	return e.do(t, http.MethodPut, "/api/v1/hq/convention", string(b))
}

// stored returns the raw value at ConventionKey and its ModRevision (0
// when absent).
func (e *conventionEnv) stored(t *testing.T) (string, int64) {
	t.Helper()
	resp, err := e.cli.Get(e.ctx, ConventionKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return "", 0
	}
	return string(resp.Kvs[0].Value), resp.Kvs[0].ModRevision
}

func (e *conventionEnv) apply(t *testing.T, envs ...*eventsv1.Envelope) {
	t.Helper()
	for _, env := range envs {
		if err := e.node.db.InTx(e.ctx, func(tx *sql.Tx) error { _, err := e.node.proj.Apply(e.ctx, tx, env); return err }); err != nil {
			t.Fatal(err)
		}
	}
}

func signed(id, company, version string) *eventsv1.Envelope {
	return meetingsEvent("jingkai", "ConventionSigned", id, &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
		Id: id, District: "jingkai", CompanyId: company, ConventionVersion: version, Current: true}})
}

// TestConventionPublish: publish → GET returns it (and etcd holds exactly
// that) → HQ's signature rate follows the new version without restart; a
// repeated PUT writes nothing; the same version with other wording is 409
// convention.version_exists and nothing is written; the publication is
// logged with who and which version, never the text.
func TestConventionPublish(t *testing.T) {
	t.Parallel()
	e := newConventionEnv(t)
	if status, id, _ := e.do(t, http.MethodGet, "/api/v1/hq/convention", ""); status != http.StatusNotFound || id != "convention.not_published" {
		t.Fatalf("GET before any publication = %d %s, want 404 convention.not_published", status, id)
	}
	// Three active companies: c1 signed 2026, c2 and c3 signed 2025.
	e.apply(t, registered("jingkai", "c1", "active"), registered("jingkai", "c2", "active"), registered("jingkai", "c3", "active"),
		signed("s1", "c1", "2026"), signed("s2", "c2", "2025"), signed("s3", "c3", "2025"))

	const text2025 = "第一条 依法诚信经营，不以低于成本的价格承揽业务。"
	before := time.Now().UTC()
	status, id, pub := e.publish(t, "2025", "  武汉市保安行业自律公约  ", text2025)
	after := time.Now().UTC()
	if status != http.StatusOK {
		t.Fatalf("PUT 2025 = %d %s", status, id)
	}
	at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(pub["published_at"]))
	if err != nil || at.Before(before) || at.After(after) || !strings.HasSuffix(fmt.Sprint(pub["published_at"]), "Z") {
		t.Errorf("published_at = %v (%v), want a UTC time between %v and %v", pub["published_at"], err, before, after)
	}
	if pub["version"] != "2025" || pub["title"] != "武汉市保安行业自律公约" || pub["text"] != text2025 {
		t.Errorf("PUT 2025 returned %v", pub)
	}
	status, _, got := e.do(t, http.MethodGet, "/api/v1/hq/convention", "")
	if status != http.StatusOK || fmt.Sprint(got) != fmt.Sprint(pub) {
		t.Errorf("GET after PUT = %d %v, want %v", status, got, pub)
	}
	raw, _ := e.stored(t)
	c, err := ParseConvention([]byte(raw))
	if err != nil || c.Version != "2025" || c.Text != text2025 || !c.PublishedAt.Equal(at) {
		t.Errorf("etcd holds %s (%v)", raw, err)
	}
	district := func() map[string]any {
		_, _, d := e.do(t, http.MethodGet, "/api/v1/hq/districts/jingkai", "")
		return d
	}
	testutil.Eventually(t, "the rate against 2025", func() bool {
		d := district()
		return d["convention_current_version"] == "2025" && d["convention_signature_rate"] == 2.0/3
	})

	const text2026 = "第一条 依法诚信经营。第二条 持证上岗，挂牌服务。"
	status, id, pub26 := e.publish(t, "2026", "武汉市保安行业自律公约（修订）", text2026)
	if status != http.StatusOK || pub26["version"] != "2026" {
		t.Fatalf("PUT 2026 = %d %s %v", status, id, pub26)
	}
	if _, _, got := e.do(t, http.MethodGet, "/api/v1/hq/convention", ""); got["version"] != "2026" || got["text"] != text2026 {
		t.Errorf("GET after PUT 2026 = %v", got)
	}
	testutil.Eventually(t, "the rate against 2026", func() bool {
		d := district()
		return d["convention_current_version"] == "2026" && d["convention_signature_rate"] == 1.0/3
	})
	if _, _, s := e.do(t, http.MethodGet, "/api/v1/hq/summary", ""); s["convention_signature_rate"] != 1.0/3 {
		t.Errorf("summary = %v, want the 2026 rate 1/3", s)
	}
	// The deprecated convention_rate is the same figure, in the district
	// and the summary: there is one convention rate.
	_, _, s := e.do(t, http.MethodGet, "/api/v1/hq/summary", "")
	if d := district(); d["convention_rate"] != 1.0/3 || s["convention_rate"] != 1.0/3 {
		t.Errorf("convention_rate = %v (district), %v (summary), want convention_signature_rate's 1/3", d["convention_rate"], s["convention_rate"])
	}

	// The same request again (a retry) is answered with what is stored
	// and writes nothing.
	raw26, rev26 := e.stored(t)
	status, id, again := e.publish(t, "2026", "武汉市保安行业自律公约（修订）", text2026)
	if status != http.StatusOK || again["published_at"] != pub26["published_at"] {
		t.Errorf("repeated PUT 2026 = %d %s %v, want 200 with the stored published_at %v", status, id, again, pub26["published_at"])
	}
	// The same version with other wording is refused.
	for _, tc := range []struct{ title, text string }{
		{"武汉市保安行业自律公约（修订）", text2026 + "第三条 新增。"},
		{"另一个标题", text2026},
	} {
		if status, id, _ := e.publish(t, "2026", tc.title, tc.text); status != http.StatusConflict || id != "convention.version_exists" {
			t.Errorf("PUT 2026 with %q/%q = %d %s, want 409 convention.version_exists", tc.title, tc.text, status, id)
		}
	}
	if raw, rev := e.stored(t); raw != raw26 || rev != rev26 {
		t.Errorf("etcd changed by a refused or repeated PUT: %s at %d, was %s at %d", raw, rev, raw26, rev26)
	}

	logs := e.logs.String()
	for _, want := range []string{`msg="hq: convention published"`, "subject=hq-admin-test", "role=hq-admin", "version=2025", "version=2026",
		`msg="hq: convention already current, nothing written"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{text2025, text2026, "依法诚信经营"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the convention text %q", secret)
		}
	}
}

// TestConventionBadInput: every invalid body is 400 with a stable id and
// the field at fault, and nothing is written.
func TestConventionBadInput(t *testing.T) {
	t.Parallel()
	e := newConventionEnv(t)
	if status, id, _ := e.publish(t, "2025", "公约", "正文"); status != http.StatusOK {
		t.Fatalf("seed PUT = %d %s", status, id)
	}
	raw0, rev0 := e.stored(t)
	draft := func(version, title, text string) string {
		b, _ := json.Marshal(map[string]string{"version": version, "title": title, "text": text})
		return string(b)
	}
	for _, tc := range []struct {
		name, body, id, field string
	}{
		{"missing version", `{"title":"公约","text":"正文"}`, "convention.version_required", "version"},
		{"empty version", draft("", "公约", "正文"), "convention.version_required", "version"},
		{"version too long", draft(strings.Repeat("9", 33), "公约", "正文"), "convention.version_invalid", "version"},
		{"version with a space", draft("2026 rev", "公约", "正文"), "convention.version_invalid", "version"},
		{"version with a slash", draft("2026/1", "公约", "正文"), "convention.version_invalid", "version"},
		{"version not ASCII", draft("二〇二六", "公约", "正文"), "convention.version_invalid", "version"},
		{"missing title", `{"version":"2026","text":"正文"}`, "convention.title_required", "title"},
		{"blank title", draft("2026", "   ", "正文"), "convention.title_required", "title"},
		{"title too long", draft("2026", strings.Repeat("公", 201), "正文"), "convention.title_too_long", "title"},
		{"missing text", `{"version":"2026","title":"公约"}`, "convention.text_required", "text"},
		{"blank text", draft("2026", "公约", " \n\t "), "convention.text_required", "text"},
		{"text over 256 KiB", draft("2026", "公约", strings.Repeat("公", (256<<10)/3+1)), "convention.text_too_long", "text"},
		{"text over 100000 characters", draft("2026", "公约", strings.Repeat("a", 100001)), "convention.text_too_long", "text"},
		{"unknown field", `{"version":"2026","title":"公约","text":"正文","draft":true}`, "request.unknown_field", "draft"},
		{"published_at is HQ's", `{"version":"2026","title":"公约","text":"正文","published_at":"2030-01-01T00:00:00Z"}`, "request.unknown_field", "published_at"},
		{"wrong type", `{"version":2026,"title":"公约","text":"正文"}`, "request.field_type", "version"},
		{"malformed", `{"version":"2026",`, "request.body_malformed", ""},
		{"empty body", ``, "request.body_empty", ""},
		{"trailing data", draft("2026", "公约", "正文") + `{}`, "request.body_trailing_data", ""},
	} {
		status, id, body := e.do(t, http.MethodPut, "/api/v1/hq/convention", tc.body)
		errBody, _ := body["error"].(map[string]any)
		field, _ := errBody["field"].(string)
		if status != http.StatusBadRequest || id != tc.id || field != tc.field {
			t.Errorf("%s: PUT = %d %s field %q, want 400 %s field %q", tc.name, status, id, field, tc.id, tc.field)
		}
	}
	// A body over the API's 1 MiB limit is 413, also before anything is written.
	if status, id, _ := e.do(t, http.MethodPut, "/api/v1/hq/convention", draft("2026", "公约", strings.Repeat("a", 1<<20))); status != http.StatusRequestEntityTooLarge || id != "request.body_too_large" {
		t.Errorf("PUT of more than 1 MiB = %d %s, want 413 request.body_too_large", status, id)
	}
	if raw, rev := e.stored(t); raw != raw0 || rev != rev0 {
		t.Errorf("a rejected PUT wrote etcd: %s at %d, was %s at %d", raw, rev, raw0, rev0)
	}
	// The largest valid text (256 KiB of three-byte characters is fewer
	// than 100000 characters) is accepted.
	big := strings.Repeat("公", (256<<10)/3)
	if status, id, got := e.publish(t, "2026", "公约", big); status != http.StatusOK || got["text"] != big {
		t.Errorf("PUT with a 256 KiB text = %d %s", status, id)
	}
}

// TestConventionNeverGoesBack: a current convention published later than
// HQ's clock (a skewed replica wrote it) is not replaced, 409
// convention.not_newer; an unreadable stored value is 500 on GET and is
// repaired by the next publication.
func TestConventionNeverGoesBack(t *testing.T) {
	t.Parallel()
	e := newConventionEnv(t)
	future := `{"version":"2099","title":"公约","text":"正文","published_at":"2099-01-01T00:00:00Z"}`
	put, err := e.cli.Put(e.ctx, ConventionKey, future)
	if err != nil {
		t.Fatal(err)
	}
	if status, id, _ := e.publish(t, "2026", "公约", "正文"); status != http.StatusConflict || id != "convention.not_newer" {
		t.Errorf("PUT over a future publication = %d %s, want 409 convention.not_newer", status, id)
	}
	if raw, rev := e.stored(t); raw != future || rev != put.Header.Revision {
		t.Errorf("etcd changed: %s at %d", raw, rev)
	}

	if _, err := e.cli.Put(e.ctx, ConventionKey, `not json`); err != nil {
		t.Fatal(err)
	}
	if status, id, _ := e.do(t, http.MethodGet, "/api/v1/hq/convention", ""); status != http.StatusInternalServerError || id != "convention.stored_invalid" {
		t.Errorf("GET of an unreadable value = %d %s, want 500 convention.stored_invalid", status, id)
	}
	if status, id, _ := e.publish(t, "2026", "公约", "正文"); status != http.StatusOK {
		t.Fatalf("PUT over an unreadable value = %d %s, want 200", status, id)
	}
	if status, _, got := e.do(t, http.MethodGet, "/api/v1/hq/convention", ""); status != http.StatusOK || got["version"] != "2026" {
		t.Errorf("GET after the repair = %d %v", status, got)
	}
}

// TestConventionConcurrentPublishers: several admins publishing different
// versions at once all succeed, each written exactly once (the etcd
// transaction retries on a lost race instead of overwriting blindly or
// refusing the loser as "not newer"), and the last write is the current one.
func TestConventionConcurrentPublishers(t *testing.T) {
	t.Parallel()
	e := newConventionEnv(t)
	const n = 6
	var wg sync.WaitGroup
	results := make([]map[string]any, n)
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]string{"version": fmt.Sprintf("v%d", i), "title": "公约", "text": fmt.Sprintf("正文 %d", i)})
			req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/api/v1/hq/convention", bytes.NewReader(b))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			statuses[i] = resp.StatusCode
			_ = json.NewDecoder(resp.Body).Decode(&results[i])
		})
	}
	wg.Wait()
	for i := range n {
		if statuses[i] != http.StatusOK || results[i]["version"] != fmt.Sprintf("v%d", i) {
			t.Errorf("publisher %d = %d %v", i, statuses[i], results[i])
		}
	}
	resp, err := e.cli.Get(e.ctx, ConventionKey)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("get: %v %v", resp, err)
	}
	// Version counts the key's modifications since it was created.
	if v := resp.Kvs[0].Version; v != n {
		t.Errorf("the key was written %d times, want %d", v, n)
	}
	c, err := ParseConvention(resp.Kvs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	// The current one is the newest: no publication went back in time.
	for i := range n {
		at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(results[i]["published_at"]))
		if at.After(c.PublishedAt) {
			t.Errorf("v%d published at %v, after the current %s at %v", i, at, c.Version, c.PublishedAt)
		}
	}
}

// TestConventionWithoutEtcd: a node without etcd can neither read nor
// publish the convention: 503 convention.unavailable, not 404 or 500.
func TestConventionWithoutEtcd(t *testing.T) {
	t.Parallel()
	n := matrixNode(t, nil)
	srv := httptest.NewServer(testutil.ValidatedHandler(t, openAPI, asHQAdmin(n.Handler())))
	defer srv.Close()
	for _, tc := range []struct{ method, body string }{
		{http.MethodGet, ""},
		{http.MethodPut, `{"version":"2026","title":"公约","text":"正文"}`},
	} {
		if status, id, _ := send(t, srv, tc.method, "/api/v1/hq/convention", tc.body, ""); status != http.StatusServiceUnavailable || id != "convention.unavailable" {
			t.Errorf("%s without etcd = %d %s, want 503 convention.unavailable", tc.method, status, id)
		}
	}
}

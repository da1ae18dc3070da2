package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
)

func TestFlagsAreValidatedBeforeAnythingStarts(t *testing.T) {
	err := runMain(context.Background(), []string{"-district=Bad District", "-admin.addr=9090"}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err == nil {
		t.Fatal("bad flags accepted")
	}
	for _, want := range []string{"-district", "pii.id-hash-key-file", "pii.seal-key-file", "kafka", "etcd", "auth.oidc.issuer", "-admin.addr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestEnvironmentFillsFlags(t *testing.T) {
	env := map[string]string{"GUILDHALL_DISTRICT": "Not Valid"}
	err := runMain(context.Background(), nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), `"Not Valid"`) {
		t.Fatalf("GUILDHALL_DISTRICT not applied: %v", err)
	}
}

type syncBuffer = testutil.SyncBuffer

// TestRealWiring runs the command as main does, against an embedded etcd
// and an in-process Kafka-protocol broker, and checks the API, the admin
// endpoints on their own listener (and not on the API's), that no national
// ID number reaches the log, and that the relay publishes the outbox.
func TestRealWiring(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	etcd, err := devstack.StartEtcd(ctx, filepath.Join(dir, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	broker, err := devstack.StartBroker(devstack.BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString([]byte("0123456789abcdef0123"))), 0o600); err != nil {
		t.Fatal(err)
	}
	// A keyring mid-rotation: k2 is staged, k1 still seals.
	sealFile := filepath.Join(dir, "seal")
	sealRing := "k2:" + hex.EncodeToString(bytes.Repeat([]byte{2}, 32)) + "\nk1:" + hex.EncodeToString(bytes.Repeat([]byte{1}, 32)) + "\ncurrent=k1\n"
	if err := os.WriteFile(sealFile, []byte(sealRing), 0o600); err != nil {
		t.Fatal(err)
	}
	// The OIDC issuer: a local one whose key set is served over loopback
	// http, as an external issuer's JWKS would be.
	issuer, err := auth.NewLocalIssuer(filepath.Join(dir, "issuer"), "https://id.example.test/realms/guildhall", "guildhall-api", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(issuer.JWKS())
	}))
	defer jwks.Close()
	token, _, err := issuer.Issue(auth.Principal{Subject: "alice", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "membership.db")
	args := []string{
		"-auth.oidc.issuer=https://id.example.test/realms/guildhall", "-auth.oidc.audience=guildhall-api", "-auth.oidc.jwks-url=" + jwks.URL,
		"-district=jingkai", "-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-db.path=" + dbPath,
		"-pii.id-hash-key-file=" + keyFile, "-pii.seal-key-file=" + sealFile, "-http.trust-proxy",
		"-sqlite.synchronous=normal", "-relay.election-ttl=2",
		"-kafka.brokers=" + broker.Addr, "-etcd.endpoints=" + strings.Join(etcd.Endpoints, ","),
	}
	runCtx, stop := context.WithCancel(ctx)
	addrc := make(chan [2]string, 1)
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- runMain(runCtx, args, func(string) (string, bool) { return "", false }, &logs, func(api, admin string) { addrc <- [2]string{api, admin} })
	}()
	var base, adminBase string
	select {
	case a := <-addrc:
		base, adminBase = "http://"+a[0], "http://"+a[1]
	case err := <-done:
		t.Fatalf("runMain ended early: %v", err)
	case <-ctx.Done():
		t.Fatal("never ready")
	}

	// at calls the server at root with bearer token tok ("" for none).
	at := func(root, tok, method, path string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, root+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	// doAs calls the API with bearer token tok ("" for none).
	doAs := func(tok, method, path string, body any) (int, []byte) {
		t.Helper()
		return at(base, tok, method, path, body)
	}
	do := func(method, path string, body any) (int, []byte) {
		t.Helper()
		return doAs(token, method, path, body)
	}

	// No token, or a bad one: 401 with the stable ids, nothing written.
	for _, tc := range []struct{ tok, id string }{{"", "auth.token_missing"}, {token + "x", "auth.token_invalid"}} {
		if status, body := doAs(tc.tok, "GET", "/api/v1/districts/jingkai/companies", nil); status != http.StatusUnauthorized || !strings.Contains(string(body), tc.id) {
			t.Fatalf("token %q…: %d %s", tc.id, status, body)
		}
	}
	// A token of another district's admin: 403.
	other, _, err := issuer.Issue(auth.Principal{Subject: "bob", Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := doAs(other, "GET", "/api/v1/districts/jingkai/companies", nil); status != http.StatusForbidden || !strings.Contains(string(body), "auth.forbidden") {
		t.Fatalf("other district's admin: %d %s", status, body)
	}

	code, err := idcheck.MakeCreditCode("91420100MA0000001")
	if err != nil {
		t.Fatal(err)
	}
	status, body := do("POST", "/api/v1/districts/jingkai/companies", map[string]any{
		"name": "武汉测试保安服务有限公司", "credit_code": code, "licence_number": "L1", "kind": "service_company",
	})
	if status != http.StatusCreated || !strings.Contains(string(body), "武汉测试保安服务有限公司") {
		t.Fatalf("register: %d %s", status, body)
	}
	var company struct{ ID string }
	if err := json.Unmarshal(body, &company); err != nil {
		t.Fatal(err)
	}
	// A hire through a proxy: the ID number is sealed with the current key
	// and the audit row has the forwarded client and the request id.
	idNumber := idcheck.MakeResidentID("420106", time.Date(1990, 3, 14, 0, 0, 0, 0, time.UTC), 123)
	hb, _ := json.Marshal(map[string]any{"name": "张伟", "id_number": idNumber})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/districts/jingkai/companies/"+company.ID+"/guards", bytes.NewReader(hb))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "10.0.0.1, 203.0.113.7") // a client-sent entry, then the proxy's
	req.Header.Set("X-Request-Id", "wiring-hire-1")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hired, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || strings.Contains(string(hired), idNumber) {
		t.Fatalf("hire: %d %s", res.StatusCode, hired)
	}
	status, body = do("GET", "/api/v1/districts/jingkai/audit?action=guard.hire", nil)
	var audit struct {
		Items []struct {
			Subject   string `json:"subject"`
			RequestID string `json:"request_id"`
			RemoteIP  string `json:"remote_ip"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &audit); status != http.StatusOK || err != nil || len(audit.Items) != 1 {
		t.Fatalf("audit: %d %s", status, body)
	}
	if a := audit.Items[0]; a.Subject != "alice" || a.RequestID != "wiring-hire-1" || a.RemoteIP != "203.0.113.7" {
		t.Fatalf("audit row %+v", a)
	}
	if status, body := do("GET", "/api/v1/districts/caidian/companies", nil); status != http.StatusNotFound || !strings.Contains(string(body), "district.not_found") {
		t.Fatalf("other district: %d %s", status, body)
	}
	// A client that puts the ID number in the URL gets its answer, and the
	// number reaches neither the access log nor the service's own log.
	if status, body := do("GET", "/api/v1/districts/jingkai/guards/"+idNumber+"?id_number="+idNumber, nil); status != http.StatusNotFound {
		t.Fatalf("a guard by ID number in the path: %d %s", status, body)
	}
	// The admin endpoints are on the admin listener and need no token; the
	// OpenAPI document is on the API's.
	if status, _ := at(adminBase, "", "GET", "/healthz", nil); status != http.StatusOK {
		t.Fatalf("healthz %d", status)
	}
	if status, body := at(adminBase, "", "GET", "/readyz", nil); status != http.StatusOK {
		t.Fatalf("readyz %d %s", status, body)
	}
	if status, body := doAs("", "GET", "/api/v1/openapi.json", nil); status != http.StatusOK || !json.Valid(body) {
		t.Fatalf("openapi %d", status)
	}
	_, metrics := at(adminBase, "", "GET", "/metrics", nil)
	if !strings.Contains(string(metrics), `guildhall_endpoint_requests_total{district="jingkai",endpoint="register_company",outcome="success",service="membership"} 1`) {
		t.Fatalf("endpoint metrics missing:\n%s", metrics)
	}
	// The public API port refuses them with the JSON 404, token or not.
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		for _, tok := range []string{"", token} {
			if status, body := doAs(tok, "GET", p, nil); status != http.StatusNotFound || !strings.Contains(string(body), `"route.not_found"`) {
				t.Fatalf("API port %s: %d %s, want the JSON 404", p, status, body)
			}
		}
	}
	if status, body := at(adminBase, "", "GET", "/api/v1/districts/jingkai/companies", nil); status != http.StatusNotFound || !strings.Contains(string(body), `"route.not_found"`) {
		t.Fatalf("admin port served the API: %d %s", status, body)
	}

	// The relay, elected through etcd, publishes the CompanyRegistered and
	// GuardHired events: their outbox rows get marked sent.
	db, err := storage.OpenSQLite(ctx, dbPath, storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sealed string
	if err := db.QueryRowContext(ctx, `SELECT id_number_sealed FROM guards`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "k1:") || strings.Contains(sealed, idNumber) {
		t.Fatalf("stored id number %q is not sealed with the current key k1", sealed)
	}
	for {
		var sent int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NOT NULL`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent == 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the relay never published the event")
		case <-time.After(20 * time.Millisecond):
		}
	}

	stop()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	out := logs.String()
	if strings.Contains(out, idNumber) || !strings.Contains(out, `"path":"/api/v1/districts/jingkai/guards/[redacted]"`) {
		t.Fatalf("the log holds the ID number or lacks the redacted access line:\n%s", out)
	}
	// Every record has each key once and no null; every access line names
	// the route that served it.
	testutil.CheckLog(t, []byte(out))
	for _, route := range []string{`"route":"GET /api/v1/openapi.json"`, `"route":"POST /api/v1/districts/{district}/companies/{id}/guards"`} {
		if !strings.Contains(out, route) {
			t.Errorf("no access line with %s", route)
		}
	}
	if strings.Contains(out, `"route":""`) {
		t.Errorf("an access line without a route:\n%s", out)
	}
}

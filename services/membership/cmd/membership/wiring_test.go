package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
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

// TestRealWiring runs the command as main does, against an embedded etcd
// and an in-process Kafka-protocol broker, and checks the API behind real
// OIDC tokens, the admin endpoints on their own listener (and not on the
// API's), that no national ID number reaches the log, that the relay
// publishes the outbox and that the process shuts down gracefully.
func TestRealWiring(t *testing.T) {
	env := testutil.NewEnv(t)
	keyFile := env.Path("key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString([]byte("0123456789abcdef0123"))), 0o600); err != nil {
		t.Fatal(err)
	}
	// A keyring mid-rotation: k2 is staged, k1 still seals.
	sealFile := env.Path("seal")
	sealRing := "k2:" + hex.EncodeToString(bytes.Repeat([]byte{2}, 32)) + "\nk1:" + hex.EncodeToString(bytes.Repeat([]byte{1}, 32)) + "\ncurrent=k1\n"
	if err := os.WriteFile(sealFile, []byte(sealRing), 0o600); err != nil {
		t.Fatal(err)
	}
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "alice", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	dbPath := env.Path("membership.db")
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+dbPath,
		"-pii.id-hash-key-file="+keyFile, "-pii.seal-key-file="+sealFile, "-http.trust-proxy",
		"-sqlite.synchronous=normal", "-relay.election-ttl=2",
		"-kafka.brokers="+env.Broker().Addr, "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","),
	)...)
	api := cmd.API.As(token)

	// No token, or a bad one: 401 with the stable ids, nothing written.
	for _, tc := range []struct{ tok, id string }{{"", "auth.token_missing"}, {token + "x", "auth.token_invalid"}} {
		if r := cmd.API.As(tc.tok).Do("GET", "/api/v1/districts/jingkai/companies", nil); r.Status != http.StatusUnauthorized || r.ErrorID() != tc.id {
			t.Fatalf("token %q…: %d %s", tc.id, r.Status, r.Body)
		}
	}
	// A token of another district's admin: 403.
	other := idp.Token(t, auth.Principal{Subject: "bob", Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}})
	if r := cmd.API.As(other).Do("GET", "/api/v1/districts/jingkai/companies", nil); r.Status != http.StatusForbidden || r.ErrorID() != "auth.forbidden" {
		t.Fatalf("other district's admin: %d %s", r.Status, r.Body)
	}

	code, err := idcheck.MakeCreditCode("91420100MA0000001")
	if err != nil {
		t.Fatal(err)
	}
	var company struct{ ID string }
	api.Must(http.StatusCreated, "POST", "/api/v1/districts/jingkai/companies", map[string]any{
		"name": "武汉测试保安服务有限公司", "credit_code": code, "licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 1), "kind": "service_company",
	}, &company)
	// Only an active member hires.
	api.Must(http.StatusOK, "POST", "/api/v1/districts/jingkai/companies/"+company.ID+"/status", map[string]any{"status": "active"}, nil)
	// A hire through a proxy: the ID number is sealed with the current key
	// and the audit row has the forwarded client and the request id.
	idNumber := idcheck.MakeResidentID("420106", time.Date(1990, 3, 14, 0, 0, 0, 0, time.UTC), 123)
	hired := api.Must(http.StatusCreated, "POST", "/api/v1/districts/jingkai/companies/"+company.ID+"/guards",
		map[string]any{"name": "张伟", "id_number": idNumber},
		nil, "X-Forwarded-For", "10.0.0.1, 203.0.113.7", // a client-sent entry, then the proxy's
		"X-Request-Id", "wiring-hire-1")
	if strings.Contains(string(hired.Body), idNumber) {
		t.Fatalf("hire answered the full ID number: %s", hired.Body)
	}
	var audit struct {
		Items []struct {
			Subject   string `json:"subject"`
			RequestID string `json:"request_id"`
			RemoteIP  string `json:"remote_ip"`
		} `json:"items"`
	}
	if api.Must(http.StatusOK, "GET", "/api/v1/districts/jingkai/audit?action=guard.hire", nil, &audit); len(audit.Items) != 1 {
		t.Fatalf("audit: %+v", audit)
	}
	if a := audit.Items[0]; a.Subject != "alice" || a.RequestID != "wiring-hire-1" || a.RemoteIP != "203.0.113.7" {
		t.Fatalf("audit row %+v", a)
	}
	if r := api.Do("GET", "/api/v1/districts/caidian/companies", nil); r.Status != http.StatusNotFound || r.ErrorID() != "district.not_found" {
		t.Fatalf("other district: %d %s", r.Status, r.Body)
	}
	// A client that puts the ID number in the URL gets its answer, and the
	// number reaches neither the access log nor the service's own log.
	if r := api.Do("GET", "/api/v1/districts/jingkai/guards/"+idNumber+"?id_number="+idNumber, nil); r.Status != http.StatusNotFound {
		t.Fatalf("a guard by ID number in the path: %d %s", r.Status, r.Body)
	}
	// The OpenAPI document is open, on the API's listener; the admin
	// endpoints are on the admin listener only.
	if r := cmd.API.Do("GET", "/api/v1/openapi.json", nil); r.Status != http.StatusOK || !json.Valid(r.Body) {
		t.Fatalf("openapi %d", r.Status)
	}
	cmd.CheckAdminListener(t, token, "/api/v1/districts/jingkai/companies")
	if m := cmd.Admin.Do("GET", "/metrics", nil); !strings.Contains(string(m.Body), `guildhall_endpoint_requests_total{district="jingkai",endpoint="register_company",outcome="success",service="membership"} 1`) {
		t.Fatalf("endpoint metrics missing:\n%s", m.Body)
	}

	// The relay, elected through etcd, publishes the CompanyRegistered,
	// CompanyStatusChanged and GuardHired events: their outbox rows get
	// marked sent.
	db, err := storage.OpenSQLite(env.Context(), dbPath, storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sealed string
	if err := db.QueryRow(`SELECT id_number_sealed FROM guards`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "k1:") || strings.Contains(sealed, idNumber) {
		t.Fatalf("stored id number %q is not sealed with the current key k1", sealed)
	}
	testutil.Eventually(t, "the relay publishing the three events", func() bool {
		var sent int
		if err := db.QueryRow(`SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NOT NULL`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		return sent == 3
	})

	cmd.Stop()
	out := cmd.Log.String()
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

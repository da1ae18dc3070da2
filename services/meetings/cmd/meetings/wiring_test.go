package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/meetings"
)

func TestFlagsAreValidatedBeforeAnythingStarts(t *testing.T) {
	err := runMain(context.Background(), []string{"-district=Bad District", "-relay.election-ttl=0", "-log.level=loud", "-admin.addr="}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err == nil {
		t.Fatal("bad flags accepted")
	}
	for _, want := range []string{"-district", "-relay.election-ttl", "-log.level", "kafka", "etcd", "auth.oidc.issuer", "-admin.addr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	// No district at all is its own problem.
	if err := runMain(context.Background(), nil, func(string) (string, bool) { return "", false }, io.Discard, nil); !errors.Is(err, errNoDistrict) {
		t.Errorf("missing -district: %v", err)
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
// API's), the etcd watches, that the relay
// publishes the outbox and that the process shuts down gracefully.
func TestRealWiring(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	etcd, err := devstack.StartEtcd(ctx, filepath.Join(dir, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	// One partition, so the test reads the topic from one place.
	broker, err := devstack.StartBroker(devstack.BrokerConfig{Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
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
	dbPath := filepath.Join(dir, "meetings.db")
	args := []string{
		"-auth.oidc.issuer=https://id.example.test/realms/guildhall", "-auth.oidc.audience=guildhall-api", "-auth.oidc.jwks-url=" + jwks.URL,
		"-district=jingkai", "-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-db.path=" + dbPath, "-http.trust-proxy",
		"-sqlite.synchronous=normal", "-relay.election-ttl=2", "-relay.candidate=meetings-0",
		"-kafka.brokers=" + broker.Addr, "-etcd.endpoints=" + strings.Join(etcd.Endpoints, ","),
	}
	runCtx, stop := context.WithCancel(ctx)
	addrc := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runMain(runCtx, args, func(string) (string, bool) { return "", false }, io.Discard, func(api, admin string) { addrc <- [2]string{api, admin} })
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
	// poll calls GET path as alice until ok accepts the answer.
	poll := func(what, path string, ok func(int, []byte) bool) {
		t.Helper()
		for {
			status, body := do("GET", path, nil)
			if ok(status, body) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: last answer %d %s", what, status, body)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}

	start := time.Date(2025, 9, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	meeting := map[string]any{"type": "district_working", "title": "经开、蔡甸片区第一次工作会议", "starts_at": start, "ends_at": start.Add(3 * time.Hour)}
	// No token, or a bad one: 401 with the stable ids.
	for _, tc := range []struct{ tok, id string }{{"", "auth.token_missing"}, {token + "x", "auth.token_invalid"}} {
		if status, body := doAs(tc.tok, "POST", "/api/v1/districts/jingkai/meetings", meeting); status != http.StatusUnauthorized || !strings.Contains(string(body), tc.id) {
			t.Fatalf("token %q…: %d %s", tc.id, status, body)
		}
	}
	// A token of another district's admin: 403.
	other, _, err := issuer.Issue(auth.Principal{Subject: "bob", Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := doAs(other, "POST", "/api/v1/districts/jingkai/meetings", meeting); status != http.StatusForbidden || !strings.Contains(string(body), "auth.forbidden") {
		t.Fatalf("other district's admin: %d %s", status, body)
	}

	status, body := do("POST", "/api/v1/districts/jingkai/meetings", meeting)
	if status != http.StatusCreated || !strings.Contains(string(body), "经开、蔡甸片区第一次工作会议") {
		t.Fatalf("create meeting: %d %s", status, body)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		t.Fatalf("created meeting %s: %v", body, err)
	}
	if status, body := do("GET", "/api/v1/districts/caidian/meetings", nil); status != http.StatusNotFound || !strings.Contains(string(body), "district.not_found") {
		t.Fatalf("other district: %d %s", status, body)
	}

	// The node watches etcd through the command's client: a convention and
	// a cadence put while it runs are what the API answers with.
	if status, body := do("GET", "/api/v1/districts/jingkai/convention", nil); status != http.StatusNotFound || !strings.Contains(string(body), "convention.not_published") {
		t.Fatalf("convention before publishing: %d %s", status, body)
	}
	conv := meetings.Convention{Version: "2025-1", Title: "武汉市保安服务行业自律公约", Text: "第一条 …", PublishedAt: start}
	if wrote, err := policy.PublishConventionIfAbsent(ctx, etcd.Client, conv); err != nil || !wrote {
		t.Fatalf("publish: %v, %v", wrote, err)
	}
	poll("convention watch", "/api/v1/districts/jingkai/convention", func(status int, body []byte) bool {
		var c meetings.Convention
		return status == http.StatusOK && json.Unmarshal(body, &c) == nil && c.Version == "2025-1"
	})
	if _, err := etcd.Client.Put(ctx, policy.CadenceKey("jingkai"), `{"per":"week","count":2}`); err != nil {
		t.Fatal(err)
	}
	poll("cadence watch", "/api/v1/districts/jingkai/roundtables/cadence", func(status int, body []byte) bool {
		var rep struct {
			Per   string `json:"per"`
			Count int    `json:"count"`
		}
		return status == http.StatusOK && json.Unmarshal(body, &rep) == nil && rep.Per == "week" && rep.Count == 2
	})
	// A value no reader accepts is refused, kept out, and counted where
	// Prometheus can see it (the process's registry, on the admin listener).
	if _, err := etcd.Client.Put(ctx, policy.CadenceKey("jingkai"), `{"per":"fortnight","count":2}`); err != nil {
		t.Fatal(err)
	}
	rejected := `guildhall_config_invalid_total{source="` + policy.CadenceKey("jingkai") + `"} 1`
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, m := at(adminBase, "", "GET", "/metrics", nil)
		if strings.Contains(string(m), rejected) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a rejected cadence is not counted on /metrics (want %s)", rejected)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The admin endpoints are on the admin listener and need no token; the
	// OpenAPI document is on the API's.
	if status, _ := at(adminBase, "", "GET", "/healthz", nil); status != http.StatusOK {
		t.Fatalf("healthz %d", status)
	}
	if status, body := at(adminBase, "", "GET", "/readyz", nil); status != http.StatusOK {
		t.Fatalf("readyz %d %s", status, body)
	}
	if status, body := doAs("", "GET", "/api/v1/openapi.json", nil); status != http.StatusOK || !json.Valid(body) || !strings.Contains(string(body), "create_meeting") {
		t.Fatalf("openapi %d", status)
	}
	_, metrics := at(adminBase, "", "GET", "/metrics", nil)
	if !strings.Contains(string(metrics), `guildhall_endpoint_requests_total{district="jingkai",endpoint="create_meeting",outcome="success",service="meetings"} 1`) {
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

	// The relay, elected through etcd, publishes the MeetingScheduled
	// event: its outbox row gets marked sent…
	db, err := storage.OpenSQLite(ctx, dbPath, storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for {
		var sent int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NOT NULL`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the relay never published the event")
		case <-time.After(20 * time.Millisecond):
		}
	}
	// …and the message is on gh.jingkai.meetings.v1.
	topic := eventbus.Topic("jingkai", meetings.ServiceName)
	if topic != "gh.jingkai.meetings.v1" {
		t.Fatalf("topic %q", topic)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker.Addr}, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(kafka.FirstOffset); err != nil {
		t.Fatal(err)
	}
	msg, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	headers := map[string]string{}
	for _, h := range msg.Headers {
		headers[h.Key] = string(h.Value)
	}
	var env eventsv1.Envelope
	if err := proto.Unmarshal(msg.Value, &env); err != nil {
		t.Fatal(err)
	}
	var ev eventsv1.MeetingScheduled
	if err := proto.Unmarshal(env.GetPayload(), &ev); err != nil {
		t.Fatal(err)
	}
	if headers["event_type"] != "MeetingScheduled" || env.GetType() != "MeetingScheduled" || env.GetDistrict() != "jingkai" ||
		env.GetService() != "meetings" || string(msg.Key) != created.ID || ev.GetMeeting().GetId() != created.ID ||
		ev.GetMeeting().GetTitle() != "经开、蔡甸片区第一次工作会议" {
		t.Fatalf("published %v %+v %+v", headers, &env, &ev)
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
	// After shutdown the listeners are closed: the process really stopped.
	for _, root := range []string{base, adminBase} {
		if _, err := http.Get(root + "/healthz"); err == nil {
			t.Fatalf("%s still answering after shutdown", root)
		}
	}
}

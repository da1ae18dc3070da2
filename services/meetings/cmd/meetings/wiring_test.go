package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
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
	if err := runMain(context.Background(), nil, func(string) (string, bool) { return "", false }, io.Discard, nil); !errors.Is(err, node.ErrNoDistrict) {
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
	// One partition, so the test reads the topic from one place.
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	ctx := env.Context()
	etcd, broker := env.Etcd(), env.Broker()
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "alice", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	dbPath := env.Path("meetings.db")
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+dbPath, "-http.trust-proxy",
		"-sqlite.synchronous=normal", "-relay.election-ttl=2", "-relay.candidate=meetings-0",
		"-kafka.brokers="+broker.Addr, "-etcd.endpoints="+strings.Join(etcd.Endpoints, ","),
	)...)
	api := cmd.API.As(token)
	api.Prefix = "/api/v1/districts/jingkai"

	start := time.Date(2025, 9, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	meeting := map[string]any{"type": "district_working", "title": "经开、蔡甸片区第一次工作会议", "starts_at": start, "ends_at": start.Add(3 * time.Hour)}
	// No token, or a bad one: 401 with the stable ids.
	for _, tc := range []struct{ tok, id string }{{"", "auth.token_missing"}, {token + "x", "auth.token_invalid"}} {
		if r := api.As(tc.tok).Do("POST", "/meetings", meeting); r.Status != http.StatusUnauthorized || r.ErrorID() != tc.id {
			t.Fatalf("token %q…: %d %s", tc.id, r.Status, r.Body)
		}
	}
	// A token of another district's admin: 403.
	other := idp.Token(t, auth.Principal{Subject: "bob", Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}})
	if r := api.As(other).Do("POST", "/meetings", meeting); r.Status != http.StatusForbidden || r.ErrorID() != "auth.forbidden" {
		t.Fatalf("other district's admin: %d %s", r.Status, r.Body)
	}
	var created struct{ ID string }
	if api.Must(http.StatusCreated, "POST", "/meetings", meeting, &created); created.ID == "" {
		t.Fatal("the created meeting has no id")
	}
	if r := api.Do("GET", "/api/v1/districts/caidian/meetings", nil); r.Status != http.StatusNotFound || r.ErrorID() != "district.not_found" {
		t.Fatalf("other district: %d %s", r.Status, r.Body)
	}

	// The node watches etcd through the command's client: a convention and
	// a cadence put while it runs are what the API answers with.
	if r := api.Do("GET", "/convention", nil); r.Status != http.StatusNotFound || r.ErrorID() != "convention.not_published" {
		t.Fatalf("convention before publishing: %d %s", r.Status, r.Body)
	}
	conv := meetings.Convention{Version: "2025-1", Title: "武汉市保安服务行业自律公约", Text: "第一条 …", PublishedAt: start}
	if wrote, err := policy.PublishConventionIfAbsent(ctx, etcd.Client, conv); err != nil || !wrote {
		t.Fatalf("publish: %v, %v", wrote, err)
	}
	testutil.Eventually(t, "the convention watch", func() bool {
		var c meetings.Convention
		r := api.Do("GET", "/convention", nil)
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &c) == nil && c.Version == "2025-1"
	})
	env.Put(policy.CadenceKey("jingkai"), `{"per":"week","count":2}`)
	testutil.Eventually(t, "the cadence watch", func() bool {
		var rep struct {
			Per   string `json:"per"`
			Count int    `json:"count"`
		}
		r := api.Do("GET", "/roundtables/cadence", nil)
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &rep) == nil && rep.Per == "week" && rep.Count == 2
	})
	// A value no reader accepts is refused, kept out, and counted where
	// Prometheus can see it (the process's registry, on the admin listener).
	env.Put(policy.CadenceKey("jingkai"), `{"per":"fortnight","count":2}`)
	rejected := `guildhall_config_invalid_total{source="` + policy.CadenceKey("jingkai") + `"} 1`
	testutil.Eventually(t, "a rejected cadence counted on /metrics", func() bool {
		return strings.Contains(string(cmd.Admin.Do("GET", "/metrics", nil).Body), rejected)
	})

	if r := cmd.API.Do("GET", "/api/v1/openapi.json", nil); r.Status != http.StatusOK || !json.Valid(r.Body) || !strings.Contains(string(r.Body), "create_meeting") {
		t.Fatalf("openapi %d", r.Status)
	}
	cmd.CheckAdminListener(t, token, "/api/v1/districts/jingkai/meetings")
	if m := cmd.Admin.Do("GET", "/metrics", nil); !strings.Contains(string(m.Body), `guildhall_endpoint_requests_total{district="jingkai",endpoint="create_meeting",outcome="success",service="meetings"} 1`) {
		t.Fatalf("endpoint metrics missing:\n%s", m.Body)
	}

	// The relay, elected through etcd, publishes the MeetingScheduled
	// event: its outbox row gets marked sent…
	db, err := storage.OpenSQLite(ctx, dbPath, storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testutil.Eventually(t, "the relay publishing the event", func() bool {
		var sent int
		if err := db.QueryRow(`SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NOT NULL`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		return sent == 1
	})
	// …and the message is on gh.jingkai.meetings.v1.
	topic := eventbus.Topic("jingkai", meetings.ServiceName)
	if topic != "gh.jingkai.meetings.v1" {
		t.Fatalf("topic %q", topic)
	}
	msgs := env.Messages(topic)
	if len(msgs) != 1 {
		t.Fatalf("%d messages on %s, want 1", len(msgs), topic)
	}
	msg := msgs[0]
	headers := map[string]string{}
	for _, h := range msg.Headers {
		headers[h.Key] = string(h.Value)
	}
	var ev eventsv1.Envelope
	if err := proto.Unmarshal(msg.Value, &ev); err != nil {
		t.Fatal(err)
	}
	var scheduled eventsv1.MeetingScheduled
	if err := proto.Unmarshal(ev.GetPayload(), &scheduled); err != nil {
		t.Fatal(err)
	}
	if headers["event_type"] != "MeetingScheduled" || ev.GetType() != "MeetingScheduled" || ev.GetDistrict() != "jingkai" ||
		ev.GetService() != "meetings" || string(msg.Key) != created.ID || scheduled.GetMeeting().GetId() != created.ID ||
		scheduled.GetMeeting().GetTitle() != "经开、蔡甸片区第一次工作会议" {
		t.Fatalf("published %v %+v %+v", headers, &ev, &scheduled)
	}
	// The node consumes the district's membership topic (-kafka.brokers):
	// a company registered there can be invited once it is projected.
	members := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(members)
	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyRegistered, "company", "k1",
		&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: "k1", District: "jingkai", Name: "江城保安", Status: "active", Version: 1}}))
	testutil.Eventually(t, "the company projected from the membership topic", func() bool {
		r := api.Do("POST", "/meetings/"+created.ID+"/invitations", map[string]any{"companies": []map[string]string{{"company_id": "k1"}}})
		return r.Status == http.StatusCreated && strings.Contains(string(r.Body), `"company_name":"江城保安"`)
	})
	// The shutdown is graceful, and after it the listeners are closed.
	cmd.Stop()
	testutil.CheckLog(t, cmd.Log.Bytes())
}

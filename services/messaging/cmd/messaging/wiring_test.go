package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

func TestFlagsAreValidatedBeforeAnythingStarts(t *testing.T) {
	err := runMain(context.Background(), []string{"-role=city", "-district=Bad District", "-admin.addr="}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err == nil {
		t.Fatal("bad flags accepted")
	}
	for _, want := range []string{"-role", "-district", "kafka", "etcd", "auth.oidc.issuer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	// The HQ role needs no -district.
	err = runMain(context.Background(), []string{"-role=hq"}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err == nil || strings.Contains(err.Error(), "-district") {
		t.Fatalf("-role=hq without -district: %v", err)
	}
}

// TestRealWiring runs both roles as main does, against an embedded etcd
// and an in-process broker, behind real OIDC tokens: a directive issued on
// the HQ role's API travels gh.hq.directives.v1 to the district command,
// which materialises it for the company it learnt from its membership
// topic; the company acknowledges on the district's API, and the HQ role's
// delivery view shows it. Both shut down gracefully.
func TestRealWiring(t *testing.T) {
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	etcd, broker := env.Etcd(), env.Broker()
	members := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(messaging.DirectivesTopic, eventbus.Topic("jingkai", "messaging"), members)
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai"})
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	common := append(idp.Flags(), "-sqlite.synchronous=normal", "-relay.election-ttl=2",
		"-kafka.brokers="+broker.Addr, "-etcd.endpoints="+strings.Join(etcd.Endpoints, ","))
	hqCmd := testutil.StartCommand(t, runMain, append(common, "-role=hq", "-db.path="+env.Path("hq.db"), "-relay.candidate=hq-0")...)
	dCmd := testutil.StartCommand(t, runMain, append(common, "-district=jingkai", "-db.path="+env.Path("jk.db"), "-relay.candidate=jk-0")...)

	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyRegistered, "company", "k1",
		&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: "k1", District: "jingkai", Name: "江城保安", Status: "active", Level: "member", Version: 1}}))

	hqAPI := hqCmd.API.As(idp.Token(t, auth.Principal{Subject: "secretary", Role: auth.RoleHQAdmin}))
	lead := idp.Token(t, auth.Principal{Subject: "lead", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	if r := hqCmd.API.As(lead).Do("POST", "/api/v1/hq/directives", map[string]any{"title": "t", "body_markdown": "b"}); r.Status != http.StatusForbidden {
		t.Fatalf("a district lead issuing a directive: %d %s", r.Status, r.Body)
	}
	// The company must be known before the directive materialises (the
	// node's projection of its membership topic).
	dAPI := dCmd.API.As(lead)
	dAPI.Prefix = "/api/v1/districts/jingkai"
	testutil.Eventually(t, "the company projected", func() bool {
		return dAPI.Do("POST", "/notices", map[string]any{"title": "t", "body_markdown": "b", "audience": map[string]any{"kind": "companies", "company_ids": []string{"k1"}}}).Status == http.StatusCreated
	})
	var d struct{ ID string }
	hqAPI.Must(http.StatusCreated, "POST", "/api/v1/hq/directives", map[string]any{"title": "关于元旦安保的指令", "body_markdown": "**务必**落实",
		"ack_required": true, "ack_deadline": time.Now().Add(48 * time.Hour)}, &d)
	type delivery struct {
		Districts []struct {
			Status       string `json:"status"`
			NoticeID     string `json:"notice_id"`
			Acknowledged *int   `json:"acknowledged"`
		} `json:"districts"`
	}
	var del delivery
	testutil.Eventually(t, "HQ to see the directive delivered to jingkai", func() bool {
		r := hqAPI.Do("GET", "/api/v1/hq/directives/"+d.ID+"/delivery", nil)
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &del) == nil && len(del.Districts) == 1 && del.Districts[0].Status == "delivered"
	})
	ca := dCmd.API.As(idp.Token(t, auth.Principal{Subject: "ca-k1", Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "k1"}))
	ca.Prefix = dAPI.Prefix
	nid := del.Districts[0].NoticeID
	ca.Must(http.StatusOK, "POST", "/notices/"+nid+"/receipts/k1/read", map[string]any{"by": "王"}, nil)
	ca.Must(http.StatusOK, "POST", "/notices/"+nid+"/receipts/k1/acknowledge", map[string]any{"revision": 1, "by": "王"}, nil)
	testutil.Eventually(t, "the acknowledgement at HQ", func() bool {
		r := hqAPI.Do("GET", "/api/v1/hq/directives/"+d.ID+"/delivery", nil)
		return json.Unmarshal(r.Body, &del) == nil && len(del.Districts) == 1 && del.Districts[0].Acknowledged != nil && *del.Districts[0].Acknowledged == 1
	})
	if r := hqCmd.API.Do("GET", "/api/v1/openapi.json", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "issue_directive") {
		t.Fatalf("openapi %d", r.Status)
	}
	dCmd.Stop()
	hqCmd.Stop()
	testutil.CheckLog(t, dCmd.Log.Bytes())
	testutil.CheckLog(t, hqCmd.Log.Bytes())
}

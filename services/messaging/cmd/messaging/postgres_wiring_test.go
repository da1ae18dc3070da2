package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

// TestRealWiringOnPostgres runs both roles with -db.dsn on one database:
// the HQ role's tables in schema hq_directives (its outbox is
// gh.hq.directives.v1's, so its database is named "hq.directives"), the
// district's in jingkai_messaging; no SQLite file at either -db.path. A
// directive issued at HQ is materialised at the district for the company
// its membership topic announced, read and acknowledged there, and HQ's
// delivery view shows the acknowledgement: every hop read from and written
// to PostgreSQL, and published by the relays from there.
func TestRealWiringOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	members := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(messaging.DirectivesTopic, eventbus.Topic("jingkai", "messaging"), members)
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai"})
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	common := append(idp.Flags(), "-db.dsn="+dsn, "-relay.election-ttl=2",
		"-kafka.brokers="+env.Broker().Addr, "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","))
	hqPath, jkPath := env.Path("hq.db"), env.Path("jk.db")
	hqCmd := testutil.StartCommand(t, runMain, append(common, "-role=hq", "-db.path="+hqPath, "-relay.candidate=hq-0")...)
	dCmd := testutil.StartCommand(t, runMain, append(common, "-district=jingkai", "-db.path="+jkPath, "-relay.candidate=jk-0")...)

	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyRegistered, "company", "k1",
		&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: "k1", District: "jingkai", Name: "江城保安", Status: "active", Level: "member", Version: 1}}))
	hqAPI := hqCmd.API.As(idp.Token(t, auth.Principal{Subject: "secretary", Role: auth.RoleHQAdmin}))
	lead := idp.Token(t, auth.Principal{Subject: "lead", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	dAPI := dCmd.API.As(lead)
	dAPI.Prefix = "/api/v1/districts/jingkai"
	testutil.Eventually(t, "the company projected", func() bool {
		return dAPI.Do("POST", "/notices", map[string]any{"title": "t", "body_markdown": "b", "audience": map[string]any{"kind": "companies", "company_ids": []string{"k1"}}}).Status == http.StatusCreated
	})
	var d struct{ ID string }
	hqAPI.Must(http.StatusCreated, "POST", "/api/v1/hq/directives", map[string]any{"title": "关于元旦安保的指令", "body_markdown": "**务必**落实",
		"ack_required": true, "ack_deadline": time.Now().Add(48 * time.Hour)}, &d)
	var del struct {
		Districts []struct {
			Status       string `json:"status"`
			NoticeID     string `json:"notice_id"`
			Acknowledged *int   `json:"acknowledged"`
		} `json:"districts"`
	}
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

	for _, tc := range []struct{ schema, query string }{
		{"hq_directives", `SELECT count(*) FROM directives WHERE id = $1 AND ack_required`},
		{"jingkai_messaging", `SELECT count(*) FROM notices WHERE directive_id = $1 AND ack_required AND ack_count = 1`},
	} {
		db, err := storage.OpenPostgres(env.Context(), dsn, tc.schema)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = db.QueryRow(tc.query, d.ID).Scan(&n)
		_ = db.Close()
		if err != nil || n != 1 {
			t.Fatalf("the directive in schema %s: %d (%v)", tc.schema, n, err)
		}
	}
	for _, p := range []string{hqPath, jkPath} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a SQLite file at -db.path %s although -db.dsn was given: %v", p, err)
		}
	}
	dCmd.Stop()
	hqCmd.Stop()
}

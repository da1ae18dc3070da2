package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// TestRealWiringOnPostgres runs the binary with -db.dsn: the read model's
// tables, and the consumer's inbox, are in the schema hq of that database
// (no SQLite file is made at -db.path). A district's company and guards
// published to its membership topic are applied there (the guard tallies
// and a person conflict in the same transactions) and read over the API.
func TestRealWiringOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	jk, cd := eventbus.Topic("jingkai", "membership"), eventbus.Topic("caidian", "membership")
	env.CreateTopics(jk, cd)
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}, config.District{ID: "caidian", Name: "Caidian", NameZH: "蔡甸"})
	idp := testutil.NewOIDC(t, testIssuer, testAudience)
	dbPath := env.Path("hq.db")
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(), "-db.path="+dbPath, "-db.dsn="+dsn,
		"-kafka.brokers="+env.Broker().Addr, "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","))...)
	api := cmd.API.As(idp.Token(t, auth.Principal{Subject: "hq-1", Role: auth.RoleHQAdmin}))

	company := func(district, id string) *eventsv1.Envelope {
		return testutil.Envelope(district, "membership", eventsv1.TypeCompanyRegistered, "company", id, &eventsv1.CompanyRegistered{
			Company: &eventsv1.Company{Id: id, District: district, Name: "公司" + id, CreditCode: "CC" + id, Status: "active", PartyOrg: true, Version: 1}})
	}
	guard := func(district, id, companyID, hash string) *eventsv1.Envelope {
		return testutil.Envelope(district, "membership", eventsv1.TypeGuardHired, "guard", id, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
			Id: id, District: district, CompanyId: companyID, IdHash: hash, EmploymentStatus: "active", HiredOn: "2025-05-01",
			HasCertificate: true, CertificateValidUntil: "2099-12-31", BackgroundCheckStatus: "passed", Version: 1}})
	}
	env.Publish(jk, company("jingkai", "c1"), guard("jingkai", "g1", "c1", "p1"), guard("jingkai", "g2", "c1", "p2"))
	env.Publish(cd, company("caidian", "c2"), guard("caidian", "g3", "c2", "p1"))
	testutil.Eventually(t, "both districts' events applied in PostgreSQL and read over the API", func() bool {
		j, c := api.Object("/api/v1/hq/districts/jingkai"), api.Object("/api/v1/hq/districts/caidian")
		return j["guards_active"] == 2.0 && j["companies_active"] == 1.0 && j["certified_rate"] == 1.0 && c["guards_active"] == 1.0
	})
	var conflicts struct {
		Items []struct {
			Kind   string `json:"kind"`
			IDHash string `json:"id_hash"`
		} `json:"items"`
	}
	testutil.Eventually(t, "the person active in both districts a conflict", func() bool {
		api.Must(http.StatusOK, "GET", "/api/v1/hq/conflicts", nil, &conflicts)
		return len(conflicts.Items) == 1 && conflicts.Items[0].IDHash == "p1"
	})

	db, err := storage.OpenPostgres(env.Context(), dsn, "hq")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var guards, tallied int
	if err := db.QueryRow(`SELECT count(*), (SELECT sum(active) FROM hq_guard_tallies) FROM hq_guards`).Scan(&guards, &tallied); err != nil ||
		guards != 3 || tallied != 3 {
		t.Fatalf("the guards in the PostgreSQL schema: %d rows, %d tallied (%v)", guards, tallied, err)
	}
	if err := db.Ready(env.Context()); err != nil {
		t.Errorf("the PostgreSQL read model is not ready: %v", err)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("a SQLite file at -db.path although -db.dsn was given: %v", err)
	}
	cmd.Stop()
	testutil.CheckLog(t, cmd.Log.Bytes())
}

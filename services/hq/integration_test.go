package hq

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

func hired(district, id, companyID, hash string, certified bool) *eventsv1.Envelope {
	return apitest.Envelope(district, "membership", eventsv1.TypeGuardHired, "guard", id, &eventsv1.GuardHired{Guard: &eventsv1.Guard{
		Id: id, District: district, CompanyId: companyID, IdHash: hash, EmploymentStatus: "active", HasCertificate: certified, Version: 1}})
}

func registered(district, id, status string) *eventsv1.Envelope {
	return apitest.Envelope(district, "membership", eventsv1.TypeCompanyRegistered, "company", id, &eventsv1.CompanyRegistered{
		Company: &eventsv1.Company{Id: id, District: district, Name: id, Status: status, PartyOrg: true, Version: 1}})
}

// serveAsAdmin serves node's handler to an hq-admin, every exchange
// validated against the document, and returns the client of it.
func serveAsAdmin(t *testing.T, node *Node) *apitest.Client {
	t.Helper()
	srv := httptest.NewServer(apitest.ValidatedHandler(t, openAPI, asHQAdmin(node.Handler())))
	t.Cleanup(srv.Close)
	return apitest.NewClient(t, srv.URL)
}

// startNode opens an HQ node on the env's broker (and the registry and
// etcd deps name) and runs it until the test ends.
func startNode(t *testing.T, env *apitest.Env, deps Deps) *Node {
	t.Helper()
	node, err := New(env.Context(), Config{DBPath: env.Path("hq.db"), Storage: storageConfigForTests(),
		Brokers: []string{env.Broker().Addr}, GroupID: "hq-test"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	env.Background("Run", node.Run)
	return node
}

func TestIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded etcd and an in-process Kafka broker; skipped in -short")
	}
	env := apitest.NewEnv(t)
	jk, cd, hn := eventbus.Topic("jingkai", "membership"), eventbus.Topic("caidian", "membership"), eventbus.Topic("hannan", "membership")
	env.CreateTopics(jk, cd, hn)
	reg := prometheus.NewPedanticRegistry()
	env.RegisterDistrict(config.District{ID: "jingkai", Name: "Jingkai", NameZH: "经开"},
		config.District{ID: "caidian", Name: "Caidian", NameZH: "蔡甸"})
	bus := eventbus.NewMetrics(reg)
	node := startNode(t, env, Deps{Districts: env.Registry(), Bus: bus, Registerer: reg})
	env.Publish(jk, registered("jingkai", "c1", "active"), hired("jingkai", "g1", "c1", "p1", true),
		hired("jingkai", "g2", "c1", "p2", false))
	env.Publish(cd, registered("caidian", "c2", "active"), hired("caidian", "g3", "c2", "p1", true))

	api := serveAsAdmin(t, node)
	district := func(id string) map[string]any { return api.Object("/api/v1/hq/districts/" + id) }
	// Companies and guards are keyed apart, so they may sit on different
	// partitions and arrive in either order: wait for both.
	apitest.Eventually(t, "jingkai's and caidian's events at HQ", func() bool {
		j, c := district("jingkai"), district("caidian")
		return j["guards_active"] == 2.0 && c["guards_active"] == 1.0 && j["companies_active"] == 1.0
	})
	j := district("jingkai")
	if j["certified_rate"] != 0.5 || j["companies_active"] != 1.0 || j["party_org_rate"] != 1.0 || j["name_zh"] != "经开" {
		t.Errorf("jingkai = %v", j)
	}
	apitest.Eventually(t, "HQ caught up", node.CaughtUp)
	if j := district("jingkai"); j["events_behind"] != 0.0 || j["stale"] != false || j["last_event_at"] == nil {
		t.Errorf("jingkai freshness = %v", j)
	}

	// A third district registered while HQ runs is consumed without restart.
	env.RegisterDistrict(config.District{ID: "hannan", Name: "Hannan", NameZH: "汉南"})
	env.Publish(hn, registered("hannan", "c3", "active"), hired("hannan", "g4", "c3", "p4", true))
	apitest.Eventually(t, "hannan's events at HQ", func() bool { return district("hannan")["guards_active"] == 1.0 })
	if h := district("hannan"); h["name_zh"] != "汉南" || h["registered"] != true {
		t.Errorf("hannan = %v", h)
	}

	// An event whose envelope district is not its topic's is rejected,
	// counted and dead-lettered; it never reaches the read model.
	forged := hired("caidian", "g-forged", "c2", "p9", true)
	env.Publish(jk, forged)
	var dead []kafka.Message
	apitest.Eventually(t, "the forged event in the dead-letter topic", func() bool {
		dead = env.Messages(eventbus.DeadLetterTopic(eventbus.HQNode, jk))
		return len(dead) > 0
	})
	headers := map[string]string{}
	for _, h := range dead[0].Headers {
		headers[h.Key] = string(h.Value)
	}
	if len(dead) != 1 || headers["dlq_reason"] != string(eventbus.ReasonDistrictMismatch) {
		t.Errorf("dead letters = %d, headers %v", len(dead), headers)
	}
	rejected := bus.ConsumerRejected.With(prometheus.Labels{"district": "jingkai", "service": "membership",
		"topic": jk, "consumer": "hq", "reason": string(eventbus.ReasonDistrictMismatch)})
	if n := testutil.ToFloat64(rejected); n != 1 {
		t.Errorf("rejected counter = %v, want 1", n)
	}
	if c := district("caidian"); c["guards_active"] != 1.0 {
		t.Errorf("caidian after the forged event = %v", c)
	}

	// The person p1 is active in jingkai and caidian at once.
	if sum := api.Object("/api/v1/hq/summary"); sum["districts"] != 3.0 || sum["guards_active"] != 4.0 || sum["conflicts"] != 1.0 {
		t.Errorf("summary = %v", sum)
	}
}

func storageConfigForTests() storage.Config { return storage.Config{Synchronous: "normal"} }

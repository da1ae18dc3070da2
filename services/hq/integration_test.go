package hq

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

func registerDistrict(t *testing.T, r *config.Registry, d config.District) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Register(ctx, d); err != nil {
		t.Fatal(err)
	}
}

func publish(t *testing.T, w *kafka.Writer, topic string, envs ...*eventsv1.Envelope) {
	t.Helper()
	var msgs []kafka.Message
	for _, e := range envs {
		b, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(e.GetAggregateId()), Value: b})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("publish to %s: %v", topic, err)
	}
}

func hired(district, id, companyID, hash string, certified bool) *eventsv1.Envelope {
	b, _ := proto.Marshal(&eventsv1.GuardHired{Guard: &eventsv1.Guard{Id: id, District: district, CompanyId: companyID,
		IdHash: hash, EmploymentStatus: "active", HasCertificate: certified, Version: 1}})
	return &eventsv1.Envelope{EventId: "ev-" + district + "-" + id, District: district, Service: "membership",
		Type: "GuardHired", AggregateType: "guard", AggregateId: id, Sequence: 1, OccurredAt: timestamppb.Now(),
		SchemaVersion: 1, Payload: b}
}

func registered(district, id, status string) *eventsv1.Envelope {
	b, _ := proto.Marshal(&eventsv1.CompanyRegistered{Company: &eventsv1.Company{Id: id, District: district,
		Name: id, Status: status, PartyOrg: true, Version: 1}})
	return &eventsv1.Envelope{EventId: "ev-" + district + "-" + id, District: district, Service: "membership",
		Type: "CompanyRegistered", AggregateType: "company", AggregateId: id, Sequence: 1, OccurredAt: timestamppb.Now(),
		SchemaVersion: 1, Payload: b}
}

// dlqMessages reads every message of topic's dead-letter topic.
func dlqMessages(ctx context.Context, addr, topic string) ([]kafka.Message, error) {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
	dlq := eventbus.DLQTopic(topic)
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{dlq}})
	if err != nil {
		return nil, err
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, tp := range md.Topics {
		if tp.Name != dlq || tp.Error != nil {
			return nil, nil
		}
		for _, p := range tp.Partitions {
			req.Topics[dlq] = append(req.Topics[dlq], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	lo, err := cli.ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for _, po := range lo.Topics[dlq] {
		if po.LastOffset <= po.FirstOffset {
			continue
		}
		f, err := cli.Fetch(ctx, &kafka.FetchRequest{Topic: dlq, Partition: po.Partition, Offset: po.FirstOffset, MaxBytes: 1 << 20})
		if err != nil {
			return nil, err
		}
		for {
			r, err := f.Records.ReadRecord()
			if err != nil {
				break
			}
			m := kafka.Message{Topic: dlq, Partition: po.Partition, Offset: r.Offset}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, kafka.Header(h))
			}
			out = append(out, m)
		}
	}
	return out, nil
}

func TestIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded etcd and an in-process Kafka broker; skipped in -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	etcd, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	broker, err := devstack.StartBroker(devstack.BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()

	jk, cd, hn := eventbus.Topic("jingkai", "membership"), eventbus.Topic("caidian", "membership"), eventbus.Topic("hannan", "membership")
	if err := broker.CreateTopics(ctx, jk, cd, hn); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	registry := config.NewRegistry(etcd.Client, slog.New(slog.DiscardHandler), nil)
	registerDistrict(t, registry, config.District{ID: "jingkai", Name: "Jingkai", NameZH: "经开"})
	registerDistrict(t, registry, config.District{ID: "caidian", Name: "Caidian", NameZH: "蔡甸"})

	bus := eventbus.NewMetrics(reg)
	node, err := New(ctx, Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Storage: storageConfigForTests(),
		Brokers: []string{broker.Addr}, GroupID: "hq-test"},
		Deps{Districts: registry, Bus: bus, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- node.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	w := &kafka.Writer{Addr: kafka.TCP(broker.Addr), Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond,
		RequiredAcks: kafka.RequireAll}
	defer w.Close()
	publish(t, w, jk, registered("jingkai", "c1", "active"), hired("jingkai", "g1", "c1", "p1", true),
		hired("jingkai", "g2", "c1", "p2", false))
	publish(t, w, cd, registered("caidian", "c2", "active"), hired("caidian", "g3", "c2", "p1", true))

	srv := httptest.NewServer(apitest.ValidatedHandler(t, openAPI, asHQAdmin(node.Handler())))
	defer srv.Close()
	district := func(id string) map[string]any {
		resp, err := srv.Client().Get(srv.URL + "/api/v1/hq/districts/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if resp.StatusCode == http.StatusOK {
			_ = json.NewDecoder(resp.Body).Decode(&m)
		}
		return m
	}
	// Companies and guards are keyed apart, so they may sit on different
	// partitions and arrive in either order: wait for both.
	eventually(t, "jingkai's and caidian's events at HQ", func() bool {
		j, c := district("jingkai"), district("caidian")
		return j["guards_active"] == 2.0 && c["guards_active"] == 1.0 && j["companies_active"] == 1.0
	})
	j := district("jingkai")
	if j["certified_rate"] != 0.5 || j["companies_active"] != 1.0 || j["party_org_rate"] != 1.0 || j["name_zh"] != "经开" {
		t.Errorf("jingkai = %v", j)
	}
	eventually(t, "HQ caught up", node.CaughtUp)
	if j := district("jingkai"); j["events_behind"] != 0.0 || j["stale"] != false || j["last_event_at"] == nil {
		t.Errorf("jingkai freshness = %v", j)
	}

	// A third district registered while HQ runs is consumed without restart.
	registerDistrict(t, registry, config.District{ID: "hannan", Name: "Hannan", NameZH: "汉南"})
	publish(t, w, hn, registered("hannan", "c3", "active"), hired("hannan", "g4", "c3", "p4", true))
	eventually(t, "hannan's events at HQ", func() bool { return district("hannan")["guards_active"] == 1.0 })
	if h := district("hannan"); h["name_zh"] != "汉南" || h["registered"] != true {
		t.Errorf("hannan = %v", h)
	}

	// An event whose envelope district is not its topic's is rejected,
	// counted and dead-lettered; it never reaches the read model.
	forged := hired("caidian", "g-forged", "c2", "p9", true)
	publish(t, w, jk, forged)
	var dead []kafka.Message
	eventually(t, "the forged event in the dead-letter topic", func() bool {
		dead, err = dlqMessages(ctx, broker.Addr, jk)
		return err == nil && len(dead) > 0
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
	resp, err := srv.Client().Get(srv.URL + "/api/v1/hq/summary")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil {
		t.Fatal(err)
	}
	if sum["districts"] != 3.0 || sum["guards_active"] != 4.0 || sum["conflicts"] != 1.0 {
		t.Errorf("summary = %v", sum)
	}
}

func storageConfigForTests() storage.Config { return storage.Config{Synchronous: "normal"} }

package membership_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership"
	"github.com/guildhall/guildhall/services/membership/internal/transport"
)

// redeliveryNode is one run of jingkai's membership node on a database
// that outlives it, consuming its meetings topic.
type redeliveryNode struct {
	node *membership.Node
	bus  *eventbus.Metrics
	stop func()
}

func startRedeliveryNode(t *testing.T, dbPath string, brokers []string) *redeliveryNode {
	t.Helper()
	bus := eventbus.NewMetrics(nil)
	node, err := membership.New(context.Background(), membership.Config{
		District: "jingkai", DBPath: dbPath, IDHashKey: hashKey, Sealer: keyring(t, "k1"),
		Storage: storage.Config{Synchronous: "normal"}, Brokers: brokers,
	}, membership.Deps{Bus: bus})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = node.Run(ctx) }()
	r := &redeliveryNode{node: node, bus: bus}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		if err := node.Close(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(r.stop)
	return r
}

// call sends a request as an hq-admin and decodes the answer into out.
func (r *redeliveryNode) call(t *testing.T, want int, method, path string, body, out any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, "/api/v1/districts/jingkai"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(auth.WithPrincipal(req.Context(), auth.Principal{Subject: "test-admin", Role: auth.RoleHQAdmin}))
	rec := httptest.NewRecorder()
	r.node.Handler().ServeHTTP(rec, req)
	if rec.Code != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, rec.Code, rec.Body.String(), want)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
}

// count runs a count(*) query on the node's database.
func (r *redeliveryNode) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := r.node.DB().QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// inbox lists the node's inbox rows of its meetings consumer, one per
// applied event id (a repeated id would be listed twice).
func (r *redeliveryNode) inbox(t *testing.T) []string {
	t.Helper()
	rows, err := r.node.DB().Query(`SELECT event_id FROM eventbus_inbox WHERE consumer = ? ORDER BY event_id`,
		transport.MeetingsGroupID("jingkai"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// consumerCount reads the applied or duplicates counter of the node's
// meetings consumer.
func (r *redeliveryNode) consumerCount(t *testing.T, which string) float64 {
	t.Helper()
	topic := eventbus.Topic("jingkai", transport.MeetingsService)
	labels := []string{"jingkai", transport.MeetingsService, topic, transport.MeetingsGroupID("jingkai")}
	switch which {
	case "applied":
		return testutil.ToFloat64(r.bus.ConsumerApplied.WithLabelValues(labels...))
	case "duplicates":
		return testutil.ToFloat64(r.bus.ConsumerDuplicates.WithLabelValues(labels...))
	}
	t.Fatalf("no counter %q", which)
	return 0
}

// TestARedeliveredMeetingsTopicIsAppliedOnlyOnceAtMembership consumes the
// district's meetings topic, stops the node, resets its consumer group's
// offsets and forgets its own positions, so that every event is delivered
// again, and starts the node on the same database: nothing is applied
// twice. A signature applied twice changes nothing visible (the service
// ignores a signature it has applied), so what tells is the consumer's
// applied count — membership's events_applied — and the inbox rows.
func TestARedeliveredMeetingsTopicIsAppliedOnlyOnceAtMembership(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker; skipped in -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	broker, err := devstack.StartBroker(devstack.BrokerConfig{Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	topic := eventbus.Topic("jingkai", transport.MeetingsService)
	if err := broker.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "membership.db")

	first := startRedeliveryNode(t, dbPath, []string{broker.Addr})
	var companies []company
	for i := range 2 {
		var c company
		first.call(t, http.StatusCreated, "POST", "/companies", map[string]any{
			"name": fmt.Sprintf("武汉经开保安服务有限公司%d", i), "credit_code": creditCode(t, 900+i),
			"licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 900+i), "kind": "service_company",
		}, &c)
		first.call(t, http.StatusOK, "POST", "/companies/"+c.ID+"/status", map[string]any{"status": "active"}, &c)
		companies = append(companies, c)
	}
	c1, c2 := companies[0], companies[1]
	updates := func(r *redeliveryNode) int {
		return r.count(t, `SELECT count(*) FROM eventbus_outbox WHERE event_type = '`+eventsv1.TypeCompanyUpdated+`'`)
	}
	audits := func(r *redeliveryNode) int {
		return r.count(t, `SELECT count(*) FROM audit_log WHERE subject = 'system:meetings-events'`)
	}

	meeting, err := proto.Marshal(&eventsv1.MeetingScheduled{Meeting: &eventsv1.Meeting{Id: "m1", District: "jingkai",
		Type: "district_roundtable", Status: "scheduled", Version: 1}})
	if err != nil {
		t.Fatal(err)
	}
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(broker.Addr), Topic: topic, Balancer: &kafka.Hash{},
		BatchTimeout: 5 * time.Millisecond, RequiredAcks: kafka.RequireAll, Transport: tr}
	defer w.Close()
	write := func(envs ...*eventsv1.Envelope) {
		t.Helper()
		var msgs []kafka.Message
		for _, env := range envs {
			b, err := proto.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, kafka.Message{Key: []byte(env.GetAggregateId()), Value: b})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	write(
		&eventsv1.Envelope{EventId: "ev-0", District: "jingkai", Service: transport.MeetingsService,
			Type: eventsv1.TypeMeetingScheduled, AggregateId: "m1", Sequence: 1, Payload: meeting},
		signature("ev-1", "s1", c1.ID, "2025", true, signedAt),
		signature("ev-2", "s2", "no-such-company", "2025", true, signedAt),
	)
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond) // polling interval, not a wait for an outcome
		}
	}
	eventually("the 3 events settled", func() bool { return len(first.inbox(t)) == 3 })
	before := first.inbox(t)
	if got := first.consumerCount(t, "applied"); got != 3 || updates(first) != 1 || audits(first) != 1 {
		t.Fatalf("first run: %v applied, %d CompanyUpdated, %d audit rows; want 3, 1 and 1", got, updates(first), audits(first))
	}
	first.stop()

	// Force the redelivery: the group back at the start, and the node's own
	// record of where it is forgotten (else it overrules the group).
	if err := broker.ResetGroupOffsets(ctx, transport.MeetingsGroupID("jingkai"), topic); err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenSQLite(ctx, dbPath, storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM eventbus_consumer_position`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	second := startRedeliveryNode(t, dbPath, []string{broker.Addr})
	// A new event after those that come again (one partition: in order).
	last := signature("ev-3", "s3", c2.ID, "2025", true, signedAt.Add(time.Hour))
	write(last)
	eventually("the new event settled", func() bool { return slices.Contains(second.inbox(t), last.GetEventId()) })

	want := slices.Sorted(slices.Values(append(slices.Clone(before), last.GetEventId())))
	if got := second.inbox(t); !slices.Equal(got, want) {
		t.Errorf("inbox after the redelivery = %v, want %v", got, want)
	}
	if got := second.consumerCount(t, "applied"); got != 1 {
		t.Errorf("the second run applied %v events, want only the new one", got)
	}
	if got := second.consumerCount(t, "duplicates"); got != 3 {
		t.Errorf("the second run skipped %v redelivered events, want 3", got)
	}
	if u, a := updates(second), audits(second); u != 2 || a != 2 {
		t.Errorf("%d CompanyUpdated events and %d audit rows after the redelivery, want 2 and 2 (c1 once, c2 once)", u, a)
	}
}

package messaging_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging"
)

// federation is a city in one test: etcd with the district registry, the
// broker, the HQ-role messaging node and district nodes, each with the
// relay of its outbox.
type federation struct {
	// deps, if set, adds to a district node's dependencies.
	deps func(id string, d *messaging.Deps)
	t    *testing.T
	env  *testutil.Env
	hq   *testutil.Client
	hqN  *messaging.Node
}

func relay(t *testing.T, env *testutil.Env, ob *eventbus.Outbox) func() {
	r, err := eventbus.NewRelay(eventbus.RelayConfig{Brokers: []string{env.Broker().Addr}, Outbox: ob, SafetyPoll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return env.Background("relay "+ob.Topic(), func(ctx context.Context) error { _ = r.Run(ctx); return nil })
}

func newFederation(t *testing.T, districts ...string) *federation {
	// One partition: a directive issued after a replay is read after it.
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	topics := []string{messaging.DirectivesTopic}
	for _, d := range []string{"jingkai", "caidian", "hannan"} {
		topics = append(topics, eventbus.Topic(d, "messaging"), eventbus.Topic(d, "membership"))
	}
	env.CreateTopics(topics...)
	for _, d := range districts {
		env.RegisterDistrict(config.District{ID: d, Name: d})
	}
	hq, err := messaging.New(context.Background(), messaging.Config{Role: messaging.RoleHQ, DBPath: env.Path("hq-messaging.db"),
		Brokers: []string{env.Broker().Addr}}, messaging.Deps{Districts: env.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(testutil.ValidatedHandler(t, messaging.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, hq.Handler(), ""), slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { srv.Close(); _ = hq.Close() })
	env.Background("hq messaging", hq.Run)
	relay(t, env, hq.Outbox())
	return &federation{t: t, env: env, hq: testutil.NewClient(t, srv.URL), hqN: hq}
}

// district is a running district node.
type district struct {
	node *messaging.Node
	cl   *testutil.Client
	stop func()
}

// start opens (or reopens: the same database file) district id's node,
// with companies, and runs it with its relay.
func (f *federation) start(id string, companies int) *district { return f.startAt(id, companies, nil) }

// startAt is start with the node's clock now (nil: time.Now).
func (f *federation) startAt(id string, companies int, now func() time.Time) *district {
	t := f.t
	deps := messaging.Deps{Now: now}
	if f.deps != nil {
		f.deps(id, &deps)
	}
	n, err := messaging.New(context.Background(), messaging.Config{District: id, DBPath: f.env.Path(id + "-messaging.db"),
		Brokers: []string{f.env.Broker().Addr}}, deps)
	if err != nil {
		t.Fatal(err)
	}
	for i := range companies {
		if err := n.PutCompany(context.Background(), messaging.Company{ID: fmt.Sprintf("%s-c%d", id, i), Name: fmt.Sprintf("%s公司%d", id, i),
			Status: "active", Level: "member", Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(testutil.ValidatedHandler(t, messaging.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, n.Handler(), id), slog.New(slog.DiscardHandler))))
	stopRun := f.env.Background(id+" messaging", n.Run)
	stopRelay := relay(t, f.env, n.Outbox())
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/" + id
	d := &district{node: n, cl: cl}
	closed := false
	d.stop = func() {
		if closed {
			return
		}
		closed = true
		stopRelay()
		stopRun()
		srv.Close()
		_ = n.Close()
	}
	t.Cleanup(d.stop)
	return d
}

// materialised returns how many notices of district d's node materialise
// directive id.
func materialised(t *testing.T, d *district, id string) int {
	t.Helper()
	var n int
	if err := d.node.DB().DB.QueryRow(`SELECT count(*) FROM notices WHERE directive_id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type delivery struct {
	Districts []struct {
		District            string     `json:"district"`
		Status              string     `json:"status"`
		NoticeID            string     `json:"notice_id"`
		DeliveredAt         *time.Time `json:"delivered_at"`
		LastReceiptAt       *time.Time `json:"last_receipt_at"`
		Recipients          *int       `json:"recipients"`
		Acknowledged        *int       `json:"acknowledged"`
		AcknowledgementRate *float64   `json:"acknowledgement_rate"`
	} `json:"districts"`
	Delivered    int  `json:"delivered_districts"`
	Pending      int  `json:"pending_districts"`
	Recipients   int  `json:"recipients"`
	Acknowledged int  `json:"acknowledged"`
	Complete     bool `json:"complete"`
}

func (f *federation) delivery(id string) delivery {
	f.t.Helper()
	var d delivery
	f.hq.Must(200, "GET", "/api/v1/hq/directives/"+id+"/delivery", nil, &d)
	return d
}

func (d delivery) of(district string) (status string, acknowledged *int, recipients *int, lastReceipt *time.Time) {
	for _, x := range d.Districts {
		if x.District == district {
			return x.Status, x.Acknowledged, x.Recipients, x.LastReceiptAt
		}
	}
	return "", nil, nil, nil
}

type rate struct {
	Reported            bool     `json:"reported"`
	Notices             *int     `json:"notices"`
	Recipients          *int     `json:"recipients"`
	Acknowledged        *int     `json:"acknowledged"`
	AcknowledgementRate *float64 `json:"acknowledgement_rate"`
}

func (f *federation) rates() map[string]rate {
	f.t.Helper()
	var v struct {
		Districts []struct {
			District string `json:"district"`
			rate
		} `json:"districts"`
	}
	f.hq.Must(200, "GET", "/api/v1/hq/directives/notice-rates", nil, &v)
	out := map[string]rate{}
	for _, d := range v.Districts {
		out[d.District] = d.rate
	}
	return out
}

func (f *federation) issue(body map[string]any) string {
	f.t.Helper()
	var d struct{ ID string }
	f.hq.Must(201, "POST", "/api/v1/hq/directives", body, &d)
	return d.ID
}

func directiveBody() map[string]any {
	return map[string]any{"title": "关于做好元旦期间安保工作的指令", "body_markdown": "全市各会员单位**务必**落实。",
		"ack_required": true, "ack_deadline": time.Now().Add(72 * time.Hour)}
}

// TestADirectiveReachesAStoppedDistrictAfterItsRestartExactlyOnce: a
// directive issued while caidian's node is stopped is pending at that node
// in HQ's view (never 0 acknowledged) while jingkai's companies have it;
// when caidian's node is back it materialises it for its companies, once,
// even when the directive is delivered to it again; receipts flow back to
// HQ; a district registered later gets it too.
func TestADirectiveReachesAStoppedDistrictAfterItsRestartExactlyOnce(t *testing.T) {
	f := newFederation(t, "jingkai", "caidian")
	jk := f.start("jingkai", 3)
	cd := f.start("caidian", 2)
	cd.stop()

	id := f.issue(directiveBody())
	testutil.Eventually(t, "jingkai to materialise the directive", func() bool { return materialised(t, jk, id) == 1 })
	testutil.Eventually(t, "HQ to see jingkai's delivery", func() bool {
		s, _, _, _ := f.delivery(id).of("jingkai")
		return s == "delivered"
	})
	d := f.delivery(id)
	if s, ack, rec, _ := d.of("caidian"); s != "pending_at_node" || ack != nil || rec != nil {
		t.Fatalf("caidian while stopped: %s acknowledged %v recipients %v, want pending_at_node with null counts", s, ack, rec)
	}
	if s, ack, rec, _ := d.of("jingkai"); s != "delivered" || ack == nil || *ack != 0 || rec == nil || *rec != 3 {
		t.Fatalf("jingkai: %s %v/%v", s, ack, rec)
	}
	if d.Complete || d.Pending != 1 || d.Delivered != 1 {
		t.Fatalf("delivery %+v, want 1 delivered, 1 pending, not complete", d)
	}
	// The city's notice rates: jingkai reported (0 of 3), caidian not
	// reported at all — null, not 0.
	if r := f.rates(); r["jingkai"].Recipients == nil || *r["jingkai"].Recipients != 3 || !r["jingkai"].Reported ||
		r["caidian"].Reported || r["caidian"].Acknowledged != nil {
		t.Fatalf("notice rates while caidian is stopped: %+v", r)
	}

	// caidian comes back: its node reads on from where it stopped.
	cd = f.start("caidian", 2)
	testutil.Eventually(t, "caidian to materialise the directive after its restart", func() bool { return materialised(t, cd, id) == 1 })
	testutil.Eventually(t, "HQ to see caidian's delivery", func() bool { return f.delivery(id).Complete })
	var ns struct{ Items []notice }
	cd.cl.Must(200, "GET", "/notices?origin=hq", nil, &ns)
	if len(ns.Items) != 1 || ns.Items[0].Recipients != 2 || ns.Items[0].DirectiveID != id {
		t.Fatalf("caidian's notices of HQ %+v", ns.Items)
	}

	// The directive delivered again, under a new event id (a replay that
	// the inbox cannot recognise): still one notice.
	var again *eventsv1.Envelope
	for _, m := range f.env.Messages(messaging.DirectivesTopic) {
		var env eventsv1.Envelope
		if err := proto.Unmarshal(m.Value, &env); err != nil {
			t.Fatal(err)
		}
		if env.GetAggregateId() == id {
			again = proto.Clone(&env).(*eventsv1.Envelope)
		}
	}
	again.EventId = "0190aaaa-0000-7000-8000-000000000001"
	f.env.Publish(messaging.DirectivesTopic, again)
	marker := f.issue(directiveBody()) // after the replay on the topic: once it is in, the replay was read
	testutil.Eventually(t, "caidian to read past the replay", func() bool { return materialised(t, cd, marker) == 1 })
	if got := materialised(t, cd, id); got != 1 {
		t.Fatalf("caidian materialised the directive %d times", got)
	}

	// A company of jingkai acknowledges; the receipt reaches HQ.
	nid := ""
	for _, x := range f.delivery(id).Districts {
		if x.District == "jingkai" {
			nid = x.NoticeID
		}
	}
	ca := []string{testutil.SubjectHeader, "ca", testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, "jingkai-c0"}
	jk.cl.Must(200, "POST", "/notices/"+nid+"/receipts/jingkai-c0/read", map[string]any{"by": "王"}, nil, ca...)
	jk.cl.Must(200, "POST", "/notices/"+nid+"/receipts/jingkai-c0/acknowledge", map[string]any{"revision": 1, "by": "王"}, nil, ca...)
	testutil.Eventually(t, "HQ to see jingkai's acknowledgement", func() bool {
		_, ack, _, last := f.delivery(id).of("jingkai")
		return ack != nil && *ack == 1 && last != nil
	})
	if d := f.delivery(id); d.Recipients != 5 || d.Acknowledged != 1 {
		t.Fatalf("city totals %d/%d, want 1 of 5", d.Acknowledged, d.Recipients)
	}
	// jingkai's rate counts both directives' notices (3 recipients each).
	testutil.Eventually(t, "jingkai's notice rate at HQ", func() bool {
		r := f.rates()["jingkai"]
		return r.AcknowledgementRate != nil && *r.AcknowledgementRate == 1.0/6 && *r.Notices == 2
	})

	// A district registered later: pending until its node reads the topic
	// from the start, then delivered.
	f.env.RegisterDistrict(config.District{ID: "hannan", Name: "Hannan"})
	testutil.Eventually(t, "HQ to expect hannan", func() bool {
		s, _, _, _ := f.delivery(id).of("hannan")
		return s == "pending_at_node"
	})
	hn := f.start("hannan", 1)
	testutil.Eventually(t, "hannan to materialise the directive in force", func() bool { return materialised(t, hn, id) == 1 })
	testutil.Eventually(t, "HQ to see hannan's delivery", func() bool { return f.delivery(id).Complete })
}

// TestADirectiveToListedDistrictsReachesOnlyThem.
func TestADirectiveToListedDistrictsReachesOnlyThem(t *testing.T) {
	f := newFederation(t, "jingkai", "caidian")
	jk := f.start("jingkai", 1)
	cd := f.start("caidian", 1)
	b := directiveBody()
	b["districts"] = []string{"jingkai"}
	testutil.Eventually(t, "HQ to read the registry", func() bool {
		return f.hq.Do("POST", "/api/v1/hq/directives", map[string]any{"title": "x", "body_markdown": "y", "districts": []string{"nowhere"}}).ErrorID() == "directive.districts_invalid"
	})
	id := f.issue(b)
	all := f.issue(directiveBody())
	testutil.Eventually(t, "caidian to materialise the city-wide one", func() bool { return materialised(t, cd, all) == 1 })
	testutil.Eventually(t, "jingkai to materialise both", func() bool { return materialised(t, jk, id) == 1 && materialised(t, jk, all) == 1 })
	if got := materialised(t, cd, id); got != 0 {
		t.Fatalf("caidian materialised a directive to jingkai only")
	}
	d := f.delivery(id)
	if len(d.Districts) != 1 || d.Districts[0].District != "jingkai" {
		t.Fatalf("delivery of a jingkai directive lists %+v", d.Districts)
	}
}

// TestADistrictRegisteredLaterGetsOnlyTheDirectivesStillInForce: a node
// that reads the directives topic from the start after a directive's
// deadline has passed does not materialise it (history, not news), and
// does materialise one still in force.
func TestADistrictRegisteredLaterGetsOnlyTheDirectivesStillInForce(t *testing.T) {
	f := newFederation(t, "jingkai")
	f.start("jingkai", 1)
	past := f.issue(directiveBody()) // deadline in 72 h
	b := directiveBody()
	b["ack_deadline"] = time.Now().Add(200 * time.Hour)
	inForce := f.issue(b)
	f.env.RegisterDistrict(config.District{ID: "hannan", Name: "Hannan"})
	// hannan's node starts 100 h later (its clock says so).
	later := func() time.Time { return time.Now().Add(100 * time.Hour) }
	hn := f.startAt("hannan", 2, later)
	testutil.Eventually(t, "hannan to materialise the directive in force", func() bool { return materialised(t, hn, inForce) == 1 })
	if got := materialised(t, hn, past); got != 0 {
		t.Fatalf("hannan materialised a directive whose deadline had passed")
	}
	if s, ack, _, _ := f.delivery(past).of("hannan"); s != "pending_at_node" || ack != nil {
		t.Fatalf("HQ shows hannan's expired directive as %s %v", s, ack)
	}
}

// TestARevisedDirectiveAsksEveryDistrictAgain: HQ revises a directive a
// company has acknowledged; the district's notice becomes its next
// version, the receipts are delivered again, HQ's delivery shows 0
// acknowledged of the revision, and the old version cannot be acknowledged.
func TestARevisedDirectiveAsksEveryDistrictAgain(t *testing.T) {
	f := newFederation(t, "jingkai")
	jk := f.start("jingkai", 2)
	id := f.issue(directiveBody())
	testutil.Eventually(t, "jingkai to materialise it", func() bool { return materialised(t, jk, id) == 1 })
	var ns struct{ Items []notice }
	jk.cl.Must(200, "GET", "/notices?origin=hq", nil, &ns)
	nid := ns.Items[0].ID
	ca := []string{testutil.SubjectHeader, "ca", testutil.RoleHeader, "company-admin", testutil.DistrictsHeader, "jingkai", testutil.CompanyHeader, "jingkai-c0"}
	jk.cl.Must(200, "POST", "/notices/"+nid+"/receipts/jingkai-c0/read", map[string]any{"by": "王"}, nil, ca...)
	jk.cl.Must(200, "POST", "/notices/"+nid+"/receipts/jingkai-c0/acknowledge", map[string]any{"revision": 1, "by": "王"}, nil, ca...)
	testutil.Eventually(t, "HQ to see the acknowledgement", func() bool {
		_, ack, _, _ := f.delivery(id).of("jingkai")
		return ack != nil && *ack == 1
	})
	var d struct{ Version int64 }
	f.hq.Must(200, "PATCH", "/api/v1/hq/directives/"+id, map[string]any{"body_markdown": "全市各会员单位**务必**落实，并于三日内上报。"}, &d, "If-Match", `"1"`)
	if d.Version != 2 {
		t.Fatalf("revised directive version %d", d.Version)
	}
	testutil.Eventually(t, "jingkai's notice to be revised", func() bool {
		var n notice
		jk.cl.Must(200, "GET", "/notices/"+nid, nil, &n)
		return n.Version == 2 && n.Acknowledged == 0
	})
	testutil.Eventually(t, "HQ to see 0 acknowledged of the revision", func() bool {
		_, ack, _, _ := f.delivery(id).of("jingkai")
		return ack != nil && *ack == 0
	})
	var v struct{ Receipt receipt }
	jk.cl.Must(200, "GET", "/notices/"+nid+"/receipts/jingkai-c0", nil, &v, ca...)
	if v.Receipt.Status != "delivered" || v.Receipt.Revision != 2 {
		t.Fatalf("the company's receipt after the revision %+v, want delivered for version 2", v.Receipt)
	}
	jk.cl.Must(200, "POST", "/notices/"+nid+"/receipts/jingkai-c0/read", map[string]any{"by": "王"}, nil, ca...)
	r := jk.cl.Do("POST", "/notices/"+nid+"/receipts/jingkai-c0/acknowledge", map[string]any{"revision": 1, "by": "王"}, ca...)
	if r.Status != 409 || r.ErrorID() != "receipt.revision_stale" {
		t.Fatalf("acknowledging the old version: %d %s", r.Status, r.Body)
	}
	// A stale If-Match at HQ changes nothing.
	if r := f.hq.Do("PATCH", "/api/v1/hq/directives/"+id, map[string]any{"title": "新"}, "If-Match", `"1"`); r.Status != 412 {
		t.Fatalf("a stale If-Match: %d %s", r.Status, r.Body)
	}
}

package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/messaging"
)

var (
	msgDistricts = flag.Int("bench.messaging.districts", 20, "districts of the city in the directive benchmark")
	msgCompanies = flag.Int("bench.messaging.companies", 100, "active companies per district in the directive benchmark")
)

// BenchmarkDirectiveFanOut issues one HQ directive to every company of a
// many-district city (-bench.messaging.districts × -bench.messaging.companies)
// over HTTP to the HQ-role messaging node, and measures the time until
// every district node has materialised it (gh.hq.directives.v1 → each
// node's consumer → a notice and a receipt per company, in one
// transaction) and until HQ's delivery roll-up is complete (each node's
// NoticePublished → its relay → gh.<district>.messaging.v1 → HQ's consumer
// of that district). Next to it, the raw baseline on the same broker:
// kafka-go producing as many messages as there are companies (what a
// message per recipient would move) and one consumer group reading them
// all.
func BenchmarkDirectiveFanOut(b *testing.B) {
	for range b.N {
		benchDirective(b, *msgDistricts, *msgCompanies)
	}
}

func benchDirective(b *testing.B, districts, companies int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	broker, err := devstack.StartBroker(devstack.BrokerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer broker.Close()
	brokers := []string{broker.Addr}
	dir := b.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	var reg staticDistricts
	topics := []string{messaging.DirectivesTopic}
	for i := range districts {
		id := fmt.Sprintf("d%02d", i)
		reg = append(reg, config.District{ID: id, Name: id})
		topics = append(topics, eventbus.Topic(id, "messaging"), eventbus.Topic(id, "membership"))
	}
	if err := broker.CreateTopics(ctx, topics...); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	run := func(f func(context.Context) error) {
		wg.Add(1)
		go func() { defer wg.Done(); _ = f(ctx) }()
	}
	relay := func(ob *eventbus.Outbox) {
		r, err := eventbus.NewRelay(eventbus.RelayConfig{Brokers: brokers, Outbox: ob, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		run(r.Run)
	}
	st := storage.Config{Synchronous: "normal"}

	hq, err := messaging.New(ctx, messaging.Config{Role: messaging.RoleHQ, DBPath: filepath.Join(dir, "hq.db"), Storage: st, Brokers: brokers},
		messaging.Deps{Logger: quiet, Districts: reg})
	if err != nil {
		b.Fatal(err)
	}
	defer hq.Close()
	run(hq.Run)
	relay(hq.Outbox())

	// materialised counts, per directive, the district nodes that applied it.
	var mu sync.Mutex
	seen := map[string]*atomic.Int64{}
	counter := func(id string) *atomic.Int64 {
		mu.Lock()
		defer mu.Unlock()
		if seen[id] == nil {
			seen[id] = &atomic.Int64{}
		}
		return seen[id]
	}
	for _, d := range reg {
		n, err := messaging.New(ctx, messaging.Config{District: d.ID, DBPath: filepath.Join(dir, d.ID+".db"), Storage: st, Brokers: brokers},
			messaging.Deps{Logger: quiet, Applied: func(m eventbus.Message) {
				if m.Topic == messaging.DirectivesTopic {
					counter(m.Envelope.GetAggregateId()).Add(1)
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		defer n.Close()
		for c := range companies {
			if err := n.PutCompany(ctx, messaging.Company{ID: d.ID + "-c" + strconv.Itoa(c), Name: "公司" + strconv.Itoa(c), Status: "active", Level: "member", Version: 1}); err != nil {
				b.Fatal(err)
			}
		}
		run(n.Run)
		relay(n.Outbox())
	}
	issue := func() string { return issueDirective(b, hq) }
	complete := func(id string) bool {
		var n, rec int
		_ = hq.DB().DB.QueryRow(`SELECT count(*), coalesce(sum(recipients), 0) FROM deliveries WHERE directive_id = ?`, id).Scan(&n, &rec)
		return n == districts && rec == districts*companies
	}
	wait := func(what string, cond func() bool, limit time.Duration) time.Duration {
		start := time.Now()
		for !cond() {
			if time.Since(start) > limit {
				b.Fatalf("%s not within %s", what, limit)
			}
			time.Sleep(time.Millisecond)
		}
		return time.Since(start)
	}
	// Warm up: every consumer group joins, every topic is read once.
	warm := issue()
	wait("the warm-up directive", func() bool { return complete(warm) }, 5*time.Minute)

	t0 := time.Now()
	id := issue()
	issued := time.Since(t0)
	c := counter(id)
	materialised := wait("every district to materialise", func() bool { return c.Load() >= int64(districts) }, 5*time.Minute) + issued
	rolledUp := wait("HQ's roll-up", func() bool { return complete(id) }, 5*time.Minute) + materialised

	raw := rawFanIn(b, brokers, districts*companies)
	b.ReportMetric(ms(materialised), "materialised_ms")
	b.ReportMetric(ms(rolledUp), "hq_rollup_ms")
	b.ReportMetric(ms(raw), "raw_ms")
	fmt.Printf("directive to %d districts × %d companies (%d receipts): every node materialised in %.0f ms, HQ roll-up complete in %.0f ms | "+
		"raw kafka-go produce→consume of %d messages: %.0f ms | ratio materialised %.2fx, roll-up %.2fx\n",
		districts, companies, districts*companies, ms(materialised), ms(rolledUp), districts*companies, ms(raw),
		ms(materialised)/ms(raw), ms(rolledUp)/ms(raw))
}

// issueDirective issues a city-wide directive through the HQ role's HTTP
// handler (its whole endpoint chain) as a city-wide hq-admin.
func issueDirective(b *testing.B, hq *messaging.Node) string {
	b.Helper()
	body := `{"title":"关于做好元旦期间安保工作的指令","body_markdown":"全市各会员单位**务必**落实。","ack_required":true,"ack_deadline":"` +
		time.Now().Add(72*time.Hour).UTC().Format(time.RFC3339) + `"}`
	req := httptest.NewRequest("POST", "/api/v1/hq/directives", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(auth.WithPrincipal(req.Context(), auth.Principal{Role: auth.RoleHQAdmin, Subject: "bench"}))
	w := httptest.NewRecorder()
	hq.Handler().ServeHTTP(w, req)
	var d struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || w.Code != 201 {
		b.Fatalf("issue directive: %d %s", w.Code, w.Body)
	}
	return d.ID
}

// rawFanIn is the baseline: a kafka-go writer (the relay's settings)
// producing n messages at once and one consumer group reading them all.
func rawFanIn(b *testing.B, brokers []string, n int) time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	topic := "bench.raw." + uuid.NewString()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond, AllowAutoTopicCreation: true}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("warm"), Value: []byte("w")}); err != nil {
		b.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: "raw-" + uuid.NewString(),
		StartOffset: kafka.FirstOffset, SessionTimeout: 6 * time.Second, MaxWait: 500 * time.Millisecond, JoinGroupBackoff: time.Second})
	defer r.Close()
	var got atomic.Int64
	go func() {
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				return
			}
			got.Add(1)
			_ = r.CommitMessages(ctx, m)
		}
	}()
	waitCount(b, &got, 1, 60*time.Second)
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte(strconv.Itoa(i)), Value: []byte("directive for company " + strconv.Itoa(i))}
	}
	start := time.Now()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		b.Fatal(err)
	}
	waitCount(b, &got, int64(n+1), 2*time.Minute)
	return time.Since(start)
}

var aidDistricts = flag.Int("bench.aid.districts", 20, "districts of the city in the mutual-aid benchmark")

// BenchmarkAidRelay posts one mutual-aid request over HTTP in district d00
// of a -bench.aid.districts city and measures the time until every other
// district node holds its copy (gh.d00.messaging.v1 → HQ's messaging
// consumer, which relays it in its transaction → gh.hq.directives.v1 →
// each node's consumer), then the time from a d01 company's offer over
// HTTP until d00's node has it (the same two hops the other way). The
// baseline, on the same broker: kafka-go producing one message, a
// consumer group reading it and producing it on a second topic, a second
// group reading that — the two hops with nothing done in between.
func BenchmarkAidRelay(b *testing.B) {
	for range b.N {
		benchAid(b, *aidDistricts)
	}
}

func benchAid(b *testing.B, districts int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	broker, err := devstack.StartBroker(devstack.BrokerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer broker.Close()
	brokers := []string{broker.Addr}
	dir := b.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	var reg staticDistricts
	topics := []string{messaging.DirectivesTopic}
	for i := range districts {
		id := fmt.Sprintf("d%02d", i)
		reg = append(reg, config.District{ID: id, Name: id})
		topics = append(topics, eventbus.Topic(id, "messaging"), eventbus.Topic(id, "membership"))
	}
	if err := broker.CreateTopics(ctx, topics...); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	run := func(f func(context.Context) error) {
		wg.Add(1)
		go func() { defer wg.Done(); _ = f(ctx) }()
	}
	relay := func(ob *eventbus.Outbox) {
		r, err := eventbus.NewRelay(eventbus.RelayConfig{Brokers: brokers, Outbox: ob, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		run(r.Run)
	}
	st := storage.Config{Synchronous: "normal"}
	hq, err := messaging.New(ctx, messaging.Config{Role: messaging.RoleHQ, DBPath: filepath.Join(dir, "hq.db"), Storage: st, Brokers: brokers},
		messaging.Deps{Logger: quiet, Districts: reg})
	if err != nil {
		b.Fatal(err)
	}
	defer hq.Close()
	run(hq.Run)
	relay(hq.Outbox())

	// applied holds, per (type, aggregate), the district nodes that read
	// it on the directives topic. It is a set, not a count: the requester
	// reads its own request back from HQ too, and a count of districts-1
	// could then be met while one of the others (d01, which offers next)
	// has not read it yet.
	var mu sync.Mutex
	applied := map[string]map[string]bool{}
	readBy := func(key string, ids ...string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if !applied[key][id] {
				return false
			}
		}
		return true
	}
	nodes := map[string]*messaging.Node{}
	for _, d := range reg {
		n, err := messaging.New(ctx, messaging.Config{District: d.ID, DBPath: filepath.Join(dir, d.ID+".db"), Storage: st, Brokers: brokers},
			messaging.Deps{Logger: quiet, Applied: func(m eventbus.Message) {
				if m.Topic == messaging.DirectivesTopic {
					key := m.Envelope.GetType() + "/" + m.Envelope.GetAggregateId()
					mu.Lock()
					if applied[key] == nil {
						applied[key] = map[string]bool{}
					}
					applied[key][d.ID] = true
					mu.Unlock()
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		defer n.Close()
		for c := range 3 {
			co := d.ID + "-c" + strconv.Itoa(c)
			if err := n.PutCompany(ctx, messaging.Company{ID: co, Name: "公司" + strconv.Itoa(c), Status: "active", Level: "member", Version: 1}); err != nil {
				b.Fatal(err)
			}
			for g := range 10 {
				if err := n.PutGuard(ctx, messaging.Guard{ID: co + "-g" + strconv.Itoa(g), CompanyID: co, Active: true, Certified: true, Version: 1}); err != nil {
					b.Fatal(err)
				}
			}
		}
		nodes[d.ID] = n
		run(n.Run)
		relay(n.Outbox())
	}
	wait := func(what string, cond func() bool, limit time.Duration) time.Duration {
		start := time.Now()
		for !cond() {
			if time.Since(start) > limit {
				b.Fatalf("%s not within %s", what, limit)
			}
			time.Sleep(time.Millisecond)
		}
		return time.Since(start)
	}
	lead := auth.Principal{Role: auth.RoleDistrictAdmin, Subject: "bench-lead", Districts: []string{"d00"}}
	post := func() string {
		day := time.Now().AddDate(0, 0, 1)
		body := fmt.Sprintf(`{"kind":"cultural_tourism","title":"文旅活动安保支援","headcount":20,"starts_at":%q,"ends_at":%q,"place":"体育中心","contact_role":"现场负责人"}`,
			day.UTC().Format(time.RFC3339), day.Add(12*time.Hour).UTC().Format(time.RFC3339))
		var r struct{ ID string }
		call(b, nodes["d00"], "POST", "/api/v1/districts/d00/aid/requests", body, lead, 201, &r)
		return r.ID
	}
	others := make([]string, 0, len(reg))
	for _, d := range reg {
		if d.ID != "d00" {
			others = append(others, d.ID)
		}
	}
	everywhere := func(id string) func() bool {
		return func() bool { return readBy(eventsTypeAidPosted+"/"+id, others...) }
	}
	// Warm up: every consumer group joins, every topic is read once.
	warm := post()
	wait("the warm-up request everywhere", everywhere(warm), 5*time.Minute)
	ca := auth.Principal{Role: auth.RoleCompanyAdmin, Subject: "bench-ca", Districts: []string{"d01"}, Company: "d01-c0"}
	var wo struct{ ID string }
	call(b, nodes["d01"], "POST", "/api/v1/districts/d01/aid/requests/"+warm+"/offers", `{"headcount":1}`, ca, 201, &wo)
	wait("the warm-up offer at d00", func() bool { return readBy(eventsTypeAidOffer+"/"+wo.ID, "d00") }, 5*time.Minute)

	t0 := time.Now()
	id := post()
	wait("the request at every other node", everywhere(id), 5*time.Minute)
	visible := time.Since(t0)
	t1 := time.Now()
	var o struct{ ID string }
	call(b, nodes["d01"], "POST", "/api/v1/districts/d01/aid/requests/"+id+"/offers", `{"headcount":5}`, ca, 201, &o)
	wait("the offer at d00", func() bool { return readBy(eventsTypeAidOffer+"/"+o.ID, "d00") }, 5*time.Minute)
	offered := time.Since(t1)

	raw := rawTwoHops(b, brokers)
	b.ReportMetric(ms(visible), "visible_everywhere_ms")
	b.ReportMetric(ms(offered), "offer_at_requester_ms")
	b.ReportMetric(ms(raw), "raw_two_hops_ms")
	fmt.Printf("aid request of d00 in a %d-district city: at the %d other nodes in %.0f ms; d01's offer at d00 in %.0f ms | "+
		"raw kafka-go produce→consume→produce→consume of one message: %.0f ms | ratio visible %.2fx, offer %.2fx\n",
		districts, districts-1, ms(visible), ms(offered), ms(raw), ms(visible)/ms(raw), ms(offered)/ms(raw))
}

const (
	eventsTypeAidPosted = "AidRequestPosted"
	eventsTypeAidOffer  = "AidOfferMade"
)

// call serves one request through n's HTTP handler (its whole endpoint
// chain) as p.
func call(b *testing.B, n *messaging.Node, method, path, body string, p auth.Principal, want int, out any) {
	b.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(auth.WithPrincipal(req.Context(), p))
	w := httptest.NewRecorder()
	n.Handler().ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			b.Fatal(err)
		}
	}
}

// rawTwoHops is the relay's baseline: one message produced on a topic, a
// consumer group reading it and producing it on a second topic (the
// relay's writer settings), a second group reading that.
func rawTwoHops(b *testing.B, brokers []string) time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, z := "bench.hop1."+uuid.NewString(), "bench.hop2."+uuid.NewString()
	writer := func(topic string) *kafka.Writer {
		return &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
			BatchTimeout: 5 * time.Millisecond, AllowAutoTopicCreation: true}
	}
	reader := func(topic string) *kafka.Reader {
		return kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: "raw-" + uuid.NewString(),
			StartOffset: kafka.FirstOffset, SessionTimeout: 6 * time.Second, MaxWait: 500 * time.Millisecond, JoinGroupBackoff: time.Second})
	}
	wa, wz := writer(a), writer(z)
	defer wa.Close()
	defer wz.Close()
	for _, w := range []*kafka.Writer{wa, wz} {
		if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("warm"), Value: []byte("w")}); err != nil {
			b.Fatal(err)
		}
	}
	ra, rz := reader(a), reader(z)
	defer ra.Close()
	defer rz.Close()
	var got atomic.Int64
	go func() {
		for {
			m, err := ra.FetchMessage(ctx)
			if err != nil {
				return
			}
			if string(m.Key) != "warm" {
				_ = wz.WriteMessages(ctx, kafka.Message{Key: m.Key, Value: m.Value})
			}
			_ = ra.CommitMessages(ctx, m)
		}
	}()
	go func() {
		for {
			m, err := rz.FetchMessage(ctx)
			if err != nil {
				return
			}
			got.Add(1)
			_ = rz.CommitMessages(ctx, m)
		}
	}()
	waitCount(b, &got, 1, 60*time.Second)
	start := time.Now()
	if err := wa.WriteMessages(ctx, kafka.Message{Key: []byte("aid"), Value: []byte("aid request")}); err != nil {
		b.Fatal(err)
	}
	waitCount(b, &got, 2, time.Minute)
	return time.Since(start)
}

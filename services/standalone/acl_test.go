package standalone_test

// The Kafka security model as code, held to what the code does: the
// KafkaTopics and KafkaUsers the chart renders for the city's own releases
// (charts/guildhall/golden/deploy-<node>.yaml, which make test-k8s keeps
// equal to a fresh `helm template` of deploy/) are loaded into a broker that
// authenticates every client (SCRAM-SHA-512) and enforces the ACLs; the
// city runs on it with each node as its own principal, and must work
// exactly as it does on the development broker. A grant the code needs and
// the chart lacks (a consumer group, another district's topic) stalls a
// consumer or a relay and fails the test; the refusals below show the
// broker does enforce what the chart leaves out.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"sigs.k8s.io/yaml"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/services/standalone"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// release is what one rendered release asks of Kafka.
type release struct {
	// topics are its KafkaTopics: topic name → partitions.
	topics map[string]int32
	// user is its KafkaUser's name, the node's principal.
	user string
	acls []kfake.ACL
}

// loadRelease reads the KafkaTopics and the KafkaUser of a golden render.
func loadRelease(t *testing.T, node string) release {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "charts", "guildhall", "golden", "deploy-"+node+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := release{topics: map[string]int32{}}
	for doc := range strings.SplitSeq(string(raw), "\n---\n") {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				TopicName     string `json:"topicName"`
				Partitions    int32  `json:"partitions"`
				Authorization struct {
					ACLs []struct {
						Resource struct {
							Type, Name, PatternType string
						} `json:"resource"`
						Operations []string `json:"operations"`
					} `json:"acls"`
				} `json:"authorization"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%s: %v", node, err)
		}
		switch obj.Kind {
		case "KafkaTopic":
			r.topics[obj.Spec.TopicName] = obj.Spec.Partitions
		case "KafkaUser":
			r.user = obj.Metadata.Name
			for _, a := range obj.Spec.Authorization.ACLs {
				for _, op := range a.Operations {
					r.acls = append(r.acls, kfake.ACL{
						Resource: strimziResource(t, a.Resource.Type), Name: a.Resource.Name,
						Pattern: strimziPattern(t, a.Resource.PatternType), Operation: strimziOperation(t, op), Allow: true,
					})
				}
			}
		}
	}
	if r.user == "" || len(r.acls) == 0 {
		t.Fatalf("deploy-%s.yaml renders no KafkaUser with ACLs", node)
	}
	return r
}

func strimziResource(t *testing.T, s string) kmsg.ACLResourceType {
	switch s {
	case "topic":
		return kmsg.ACLResourceTypeTopic
	case "group":
		return kmsg.ACLResourceTypeGroup
	case "cluster":
		return kmsg.ACLResourceTypeCluster
	case "transactionalId":
		return kmsg.ACLResourceTypeTransactionalId
	}
	t.Fatalf("Strimzi resource type %q", s)
	return 0
}

func strimziPattern(t *testing.T, s string) kmsg.ACLResourcePatternType {
	switch s {
	case "", "literal":
		return kmsg.ACLResourcePatternTypeLiteral
	case "prefix":
		return kmsg.ACLResourcePatternTypePrefixed
	}
	t.Fatalf("Strimzi pattern type %q", s)
	return 0
}

// camelHump is a lower-case letter followed by an upper-case one.
var camelHump = regexp.MustCompile(`([a-z])([A-Z])`)

func strimziOperation(t *testing.T, s string) kmsg.ACLOperation {
	op, err := kmsg.ParseACLOperation(strings.ToLower(s))
	if err != nil {
		// Strimzi spells them in CamelCase (DescribeConfigs, IdempotentWrite).
		op, err = kmsg.ParseACLOperation(camelHump.ReplaceAllString(s, "${1}_${2}"))
	}
	if err != nil {
		t.Fatalf("Strimzi operation %q: %v", s, err)
	}
	return op
}

// aclBroker is a one-node kfake with SASL and ACLs: a superuser (the
// provisioning Strimzi does) and each release's user with its ACLs, and
// every release's KafkaTopics created.
type aclBroker struct {
	addr      string
	passwords map[string]string
}

func startACLBroker(t *testing.T, releases map[string]release) *aclBroker {
	t.Helper()
	b := &aclBroker{passwords: map[string]string{}}
	secret := func() string { k := make([]byte, 12); _, _ = rand.Read(k); return hex.EncodeToString(k) }
	opts := []kfake.Opt{
		kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("SCRAM-SHA-512", "strimzi-admin", secret()),
		// kafka-go's readers ask for short sessions (pkg/devstack).
		kfake.GroupMinSessionTimeout(time.Second),
	}
	for node, r := range releases {
		b.passwords[node] = secret()
		opts = append(opts, kfake.User("SCRAM-SHA-512", r.user, b.passwords[node], r.acls...))
		for topic, parts := range r.topics {
			opts = append(opts, kfake.SeedTopics(parts, topic))
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	b.addr = c.ListenAddrs()[0]
	return b
}

// kafkaAs is node's client settings on b, as its release's Secret gives
// them.
func (b *aclBroker) kafkaAs(node string) config.Kafka {
	return config.Kafka{
		Brokers: config.StringList{b.addr}, ClientID: "guildhall-" + node,
		SASL: config.SASLConfig{Mechanism: config.SASLScramSHA512, Username: node, Password: b.passwords[node]},
	}
}

// client is a kafka-go client authenticated as node.
func (b *aclBroker) client(t *testing.T, node string) *kafka.Client {
	t.Helper()
	mech, err := scram.Mechanism(scram.SHA512, node, b.passwords[node])
	if err != nil {
		t.Fatal(err)
	}
	tr := &kafka.Transport{SASL: mech, ClientID: "acl-test-" + node}
	t.Cleanup(tr.CloseIdleConnections)
	return &kafka.Client{Addr: kafka.TCP(b.addr), Transport: tr, Timeout: 10 * time.Second}
}

func TestTheCityRunsOnTheChartsKafkaACLs(t *testing.T) {
	nodes := []string{standalone.HQNode, "jingkai", "caidian"}
	releases := map[string]release{}
	for _, n := range nodes {
		releases[n] = loadRelease(t, n)
		if releases[n].user != n {
			t.Fatalf("the %s release's KafkaUser is %q: NodeKafka names the principal after the node", n, releases[n].user)
		}
	}
	broker := startACLBroker(t, releases)

	// The broker enforces them: what no release grants is refused, before
	// the city runs (so nothing the city did grants it either).
	t.Run("refusals", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		jk, cd, hq := broker.client(t, "jingkai"), broker.client(t, "caidian"), broker.client(t, standalone.HQNode)
		// describe is the broker's metadata answer for topic. A topic the
		// principal may not even Describe is hidden from it: kafka-go
		// answers from the transport's metadata of every topic it may see,
		// so that is UNKNOWN_TOPIC_OR_PARTITION, not
		// TOPIC_AUTHORIZATION_FAILED; hidden checks the topic's owner does
		// see it.
		describe := func(cli *kafka.Client, topic string) error {
			md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
			if err != nil {
				return err
			}
			for _, mt := range md.Topics {
				if mt.Name == topic {
					return mt.Error
				}
			}
			return fmt.Errorf("%s not in the metadata answer", topic)
		}
		hidden := func(cli, owner *kafka.Client, topic string) error {
			if err := describe(owner, topic); err != nil {
				return fmt.Errorf("its owner cannot see it either: %w", err)
			}
			err := describe(cli, topic)
			if errors.Is(err, kafka.TopicAuthorizationFailed) || errors.Is(err, kafka.UnknownTopicOrPartition) {
				return nil
			}
			return fmt.Errorf("not hidden: %v", err)
		}
		produce := func(cli *kafka.Client, topic string) error {
			if err := describe(cli, topic); err != nil {
				return err
			}
			resp, err := cli.Produce(ctx, &kafka.ProduceRequest{Topic: topic, RequiredAcks: kafka.RequireAll,
				Records: kafka.NewRecordReader(kafka.Record{Value: kafka.NewBytes([]byte("x"))})})
			if err != nil {
				return err
			}
			return resp.Error
		}
		for _, c := range []struct {
			who        string
			cli, owner *kafka.Client
			topic      string
		}{
			{"jingkai seeing caidian's membership topic", jk, cd, "gh.caidian.membership.v1"},
			{"caidian seeing jingkai's membership topic", cd, jk, "gh.jingkai.membership.v1"},
			{"caidian seeing jingkai's node topic", cd, jk, "gh.jingkai.node.v1"},
		} {
			if err := hidden(c.cli, c.owner, c.topic); err != nil {
				t.Errorf("%s: %v", c.who, err)
			}
		}
		// What it may see but not write.
		for _, c := range []struct {
			who   string
			cli   *kafka.Client
			topic string
		}{
			{"jingkai writing HQ's directives", jk, "gh.hq.directives.v1"},
			{"jingkai writing caidian's patrols topic (it may only read it)", jk, "gh.caidian.patrols.v1"},
			{"HQ writing jingkai's membership topic", hq, "gh.jingkai.membership.v1"},
		} {
			if err := produce(c.cli, c.topic); !errors.Is(err, kafka.TopicAuthorizationFailed) {
				t.Errorf("%s: %v, want TOPIC_AUTHORIZATION_FAILED", c.who, err)
			}
		}
		// Its own topic is writable: the refusals above are the ACLs, not
		// the authentication. The record is no event: HQ's consumer of the
		// topic dead-letters it under HQ's own prefix
		// (gh.hq.dlq.jingkai.node.v1), a topic no KafkaTopic provisions,
		// which HQ creates itself (the broker creates no topic on first
		// use, as with Strimzi's topic operator).
		if err := produce(jk, "gh.jingkai.node.v1"); err != nil {
			t.Errorf("jingkai writing its own node topic: %v", err)
		}
		for _, group := range []string{"membership-caidian", "patrols-caidian-bookings-jingkai", "guildhall-hq",
			"guildhall-hq.gh.jingkai.membership.v1", "membership-jingkai2"} {
			of, err := jk.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{"gh.jingkai.membership.v1": {0}}})
			if err == nil {
				err = of.Error
			}
			if !errors.Is(err, kafka.GroupAuthorizationFailed) {
				t.Errorf("jingkai using group %s: %v, want GROUP_AUTHORIZATION_FAILED", group, err)
			}
		}
		created, err := jk.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
			{Topic: "gh.caidian.dlq.jingkai.membership.v1", NumPartitions: 1, ReplicationFactor: 1}}})
		if err == nil {
			err = created.Errors["gh.caidian.dlq.jingkai.membership.v1"]
		}
		if !errors.Is(err, kafka.TopicAuthorizationFailed) {
			t.Errorf("jingkai creating a topic under caidian's prefix: %v, want TOPIC_AUTHORIZATION_FAILED", err)
		}
	})
	if t.Failed() {
		return
	}

	dir := t.TempDir()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var cfg standalone.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{
		"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-data.dir=" + dir,
		"-sqlite.synchronous=normal", "-relay.election-ttl=2", "-heartbeat.interval=1s",
		"-kafka.brokers=" + broker.addr, "-demo",
	}); err != nil {
		t.Fatal(err)
	}
	cfg.NodeKafka = broker.kafkaAs
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out := &syncBuffer{}
	city, err := standalone.Start(ctx, cfg, slog.New(slog.DiscardHandler), out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(city.Close)
	c := citytest.New("http://" + city.Addr())
	if err := c.LoginBootstrap(ctx, dir, string(out.Bytes())); err != nil {
		t.Fatal(err)
	}
	// HQ's directives cross to every district and their receipts back.
	var dir1 struct{ ID string }
	if err := c.Must(ctx, http.StatusCreated, "POST", "/api/v1/hq/directives", map[string]any{
		"title": "关于做好元旦期间安保工作的指令", "body_markdown": "全市各会员单位落实。",
		"ack_required": true, "ack_deadline": time.Now().Add(72 * time.Hour),
	}, &dir1); err != nil {
		t.Fatal(err)
	}

	// Every consumer the city started has read its topic to the end and
	// committed it (consumer_lag 0: the group's committed offset is the
	// high watermark, which takes Read on the topic and the group), no
	// outbox holds anything back (the relays' writes were allowed), every
	// district service beats on its node topic, and nothing was
	// dead-lettered.
	var last string
	ok := pollFor(3*time.Minute, func() bool {
		last = eventbusSeries(scrape(t, city)).problems()
		return last == ""
	})
	if !ok {
		t.Fatalf("the city on the chart's ACLs: %s", last)
	}
	// HQ created its dead-letter topic under its own prefix.
	md, err := broker.client(t, standalone.HQNode).Metadata(ctx, &kafka.MetadataRequest{Topics: []string{"gh.hq.dlq.jingkai.node.v1"}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		t.Fatalf("HQ's dead-letter topic: %+v %v", md, err)
	}
	var delivery cityDelivery
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/hq/directives/"+dir1.ID+"/delivery", nil, &delivery); err != nil || !delivery.Complete {
		t.Fatalf("the directive's delivery as HQ sees it: %+v %v", delivery, err)
	}
}

// cityMetrics are the event bus series of one scrape, by metric name then
// label set.
type cityMetrics map[string]map[string]float64

var seriesKey = regexp.MustCompile(`^(guildhall_eventbus_[a-z_]+)\{([^}]*)\}$`)

// eventbusSeries picks the event bus series of a scrape (sample → value).
func eventbusSeries(samples map[string]float64) cityMetrics {
	m := cityMetrics{}
	for k, v := range samples {
		g := seriesKey.FindStringSubmatch(k)
		if g == nil {
			continue
		}
		if m[g[1]] == nil {
			m[g[1]] = map[string]float64{}
		}
		m[g[1]][g[2]] = v
	}
	return m
}

// poisoned is the consumer that meets the refusals test's record, which is
// no event.
const poisoned = `consumer="hq",district="jingkai",service="node",topic="gh.jingkai.node.v1"`

// problems says what is not yet as it should be ("" when all is).
func (m cityMetrics) problems() string {
	var p []string
	consumers := m["guildhall_eventbus_consumer_applied_total"]
	if len(consumers) == 0 {
		return "no consumer series"
	}
	for labels := range consumers {
		if lag, ok := m["guildhall_eventbus_consumer_lag"][labels]; !ok {
			p = append(p, "lag unknown: "+labels)
		} else if lag != 0 {
			p = append(p, fmt.Sprintf("lag %v: %s", lag, labels))
		}
	}
	for labels, v := range m["guildhall_eventbus_consumer_dead_lettered_total"] {
		want := 0.0
		if labels == poisoned {
			want = 1
		}
		if v != want {
			p = append(p, fmt.Sprintf("%v dead-lettered, want %v: %s", v, want, labels))
		}
	}
	if _, ok := m["guildhall_eventbus_consumer_dead_lettered_total"][poisoned]; !ok {
		p = append(p, "no consumer "+poisoned)
	}
	for labels, v := range m["guildhall_eventbus_outbox_backlog"] {
		if v != 0 {
			p = append(p, fmt.Sprintf("outbox backlog %v: %s", v, labels))
		}
	}
	beats := m["guildhall_eventbus_heartbeats_sent_total"]
	for _, d := range []string{"jingkai", "caidian"} {
		for _, s := range []string{"membership", "meetings", "compliance", "patrols", "messaging"} {
			if beats[`district="`+d+`",service="`+s+`"`] == 0 {
				p = append(p, "no heartbeat of "+d+" "+s)
			}
		}
	}
	slices.Sort(p)
	if len(p) > 5 {
		p = append(p[:5], fmt.Sprintf("and %d more", len(p)-5))
	}
	return strings.Join(p, "; ")
}

package testutil

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// Env is the infrastructure of an in-process test, the one every module's
// tests share instead of each starting its own: a temp dir for the
// databases, and — started on first use, so a test pays only for what it
// uses — an embedded etcd and an in-process Kafka-protocol broker
// (pkg/devstack). Everything it starts stops when the test ends (the
// cleanups run in reverse order, so a node the test closes in a cleanup
// registered later stops before the etcd and broker it talks to).
type Env struct {
	t         testing.TB
	dir       string
	brokerCfg devstack.BrokerConfig

	mu       sync.Mutex
	etcd     *devstack.Etcd
	broker   *devstack.Broker
	registry *config.Registry
	writer   *kafka.Writer
}

// EnvOption configures an Env.
type EnvOption func(*Env)

// WithBroker starts the broker with cfg (e.g. one partition, so a test
// reads a topic in order, or a data dir and a fixed address, so it can be
// restarted).
func WithBroker(cfg devstack.BrokerConfig) EnvOption {
	return func(e *Env) { e.brokerCfg = cfg }
}

// NewEnv returns the test's Env.
func NewEnv(t testing.TB, opts ...EnvOption) *Env {
	t.Helper()
	e := &Env{t: t, dir: t.TempDir()}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Path returns name in the test's temp dir, e.g. the file of a node's
// database.
func (e *Env) Path(name string) string { return filepath.Join(e.dir, name) }

// Context returns a context that ends with the test.
func (e *Env) Context() context.Context { return e.t.Context() }

// Etcd returns the embedded etcd, started on the first call.
func (e *Env) Etcd() *devstack.Etcd {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.etcd == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		etcd, err := devstack.StartEtcd(ctx, e.Path("etcd"))
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { _ = etcd.Close() })
		e.etcd = etcd
	}
	return e.etcd
}

// Put writes value at key in etcd.
func (e *Env) Put(key, value string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.Etcd().Client.Put(ctx, key, value); err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
}

// Registry returns the district registry in the Env's etcd (one per Env).
func (e *Env) Registry() *config.Registry {
	e.t.Helper()
	cli := e.Etcd().Client
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.registry == nil {
		e.registry = config.NewRegistry(cli, slog.New(slog.DiscardHandler), nil)
	}
	return e.registry
}

// RegisterDistrict registers each district in the registry.
func (e *Env) RegisterDistrict(ds ...config.District) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range ds {
		if err := e.Registry().Register(ctx, d); err != nil {
			e.t.Fatalf("register district %s: %v", d.ID, err)
		}
	}
}

// Broker returns the in-process broker, started on the first call (with
// WithBroker's configuration, if given).
func (e *Env) Broker() *devstack.Broker {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.broker == nil {
		b, err := devstack.StartBroker(e.brokerCfg)
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(b.Close)
		e.broker = b
	}
	return e.broker
}

// CreateTopics creates topics on the broker.
func (e *Env) CreateTopics(topics ...string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Broker().CreateTopics(ctx, topics...); err != nil {
		e.t.Fatal(err)
	}
}

// Publish writes envs to topic as a district's relay does: the protobuf
// envelope as the value, keyed by the aggregate id (so one aggregate's
// events stay in order on one partition), acknowledged by the broker before
// it returns.
func (e *Env) Publish(topic string, envs ...*eventsv1.Envelope) {
	e.t.Helper()
	msgs := make([]kafka.Message, 0, len(envs))
	for _, env := range envs {
		b, err := proto.Marshal(env)
		if err != nil {
			e.t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(env.GetAggregateId()), Value: b})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.kafkaWriter().WriteMessages(ctx, msgs...); err != nil {
		e.t.Fatalf("publish to %s: %v", topic, err)
	}
}

func (e *Env) kafkaWriter() *kafka.Writer {
	addr := e.Broker().Addr
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.writer == nil {
		tr := &kafka.Transport{}
		e.writer = &kafka.Writer{Addr: kafka.TCP(addr), Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond,
			RequiredAcks: kafka.RequireAll, Transport: tr}
		w := e.writer
		e.t.Cleanup(func() { _ = w.Close(); tr.CloseIdleConnections() })
	}
	return e.writer
}

// Messages returns every message on topic now, in partition and offset
// order (headers and value; nil when the topic does not exist): what a
// test reads back from a dead-letter topic, say.
func (e *Env) Messages(topic string) []kafka.Message {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := readTopic(ctx, e.Broker().Addr, topic)
	if err != nil {
		e.t.Fatalf("read %s: %v", topic, err)
	}
	return out
}

// readTopic fetches every record of topic, partition by partition.
func readTopic(ctx context.Context, addr, topic string) ([]kafka.Message, error) {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, err
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, tp := range md.Topics {
		if tp.Name != topic || tp.Error != nil {
			return nil, nil
		}
		for _, p := range tp.Partitions {
			req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	lo, err := cli.ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for _, po := range lo.Topics[topic] {
		for offset := po.FirstOffset; offset < po.LastOffset; {
			f, err := cli.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: po.Partition, Offset: offset, MaxBytes: 1 << 20})
			if err != nil {
				return nil, err
			}
			if f.Error != nil {
				return nil, f.Error
			}
			before := offset
			for {
				r, err := f.Records.ReadRecord()
				if err != nil {
					break
				}
				if r.Offset < offset {
					continue // a batch starts before the offset asked for
				}
				m := kafka.Message{Topic: topic, Partition: po.Partition, Offset: r.Offset}
				for _, h := range r.Headers {
					m.Headers = append(m.Headers, kafka.Header(h))
				}
				if r.Key != nil {
					m.Key, _ = io.ReadAll(r.Key)
				}
				if r.Value != nil {
					m.Value, _ = io.ReadAll(r.Value)
				}
				out = append(out, m)
				offset = r.Offset + 1
			}
			if offset == before {
				break // nothing more to read below the high watermark
			}
		}
	}
	return out, nil
}

// Background runs fn until the test ends (or stop is called), then fails
// the test if fn returned an error other than the context's: a node's Run,
// a relay. stop cancels fn and waits for it, and may be called more than
// once.
func (e *Env) Background(name string, fn func(context.Context) error) (stop func()) {
	return Background(e.t, name, fn)
}

// Background is Env.Background without an Env.
func Background(t testing.TB, name string, fn func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// Eventually polls cond until it holds, failing t after 30 s: a test waits
// for an outcome this way, never by sleeping for a guessed time.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyWithin(t, 30*time.Second, what, cond)
}

// EventuallyWithin is Eventually with its own deadline.
func EventuallyWithin(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // poll interval, not a wait for an outcome
	}
}

// Envelope returns the envelope of one event as a district's outbox writes
// it: district and service (the topic's), type, the aggregate it is about
// (type and id) at sequence 1, now, schema version 1, with payload
// marshalled. Its event id is unique per (district, service, type,
// aggregate).
func Envelope(district, service, typ, aggregateType, aggregateID string, payload proto.Message) *eventsv1.Envelope {
	b, err := proto.Marshal(payload)
	if err != nil {
		panic(err) // a test's own message: a bug in the test
	}
	return &eventsv1.Envelope{EventId: "ev-" + district + "-" + service + "-" + typ + "-" + aggregateID,
		District: district, Service: service, Type: typ, AggregateType: aggregateType, AggregateId: aggregateID,
		Sequence: 1, OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: b}
}

// Package devstack runs the infrastructure of a Guildhall node inside the
// process: an embedded etcd server and an in-process Kafka-protocol broker
// (kfake). The standalone binary and the tests use it; production talks to
// real etcd and Kafka clusters instead.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Etcd is an embedded etcd server (go.etcd.io/etcd/server/v3/embed) plus a
// client connected to it.
type Etcd struct {
	// Endpoints are the client URLs of the server.
	Endpoints []string
	// Client is connected to the server; Close closes it.
	Client *clientv3.Client

	srv *embed.Etcd
}

// StartEtcd starts a single-member etcd whose data lives in dir, listening on
// random loopback ports. Starting again with the same dir keeps the data.
// It returns once the server is ready to serve requests.
func StartEtcd(ctx context.Context, dir string) (*Etcd, error) {
	return StartEtcdAt(ctx, dir, "127.0.0.1:0")
}

// StartEtcdAt is StartEtcd with the client listener on clientAddr
// (host:port; port 0 picks one). A fixed address lets a separate etcd
// process that was stopped be found again at the same place after its
// restart; a host other than loopback lets clients in another network
// namespace reach it (the fault harness). Peers stay on a random loopback
// port: the member is alone.
func StartEtcdAt(ctx context.Context, dir, clientAddr string) (*Etcd, error) {
	host, port, err := net.SplitHostPort(clientAddr)
	if err != nil {
		return nil, fmt.Errorf("devstack: etcd addr %q: %w", clientAddr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	cfg := embed.NewConfig()
	cfg.Name = "devstack"
	cfg.Dir = dir
	// Short ticks make the single member elect itself in well under a
	// second, which matters for tests and for the standalone binary's start.
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	// etcd logs a lot (and prints stack traces on Close) through zap; the
	// caller's own logs are what matter here.
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	peer, err := url.Parse("http://127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	client, err := url.Parse("http://" + net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("devstack: etcd addr %q: %w", clientAddr, err)
	}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("devstack: start etcd: %w", err)
	}
	select {
	case <-srv.Server.ReadyNotify():
	case err := <-srv.Err():
		srv.Close()
		return nil, fmt.Errorf("devstack: etcd failed: %w", err)
	case <-ctx.Done():
		srv.Close()
		return nil, fmt.Errorf("devstack: etcd not ready: %w", ctx.Err())
	}
	endpoint := "http://" + srv.Clients[0].Addr().String()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("devstack: etcd client: %w", err)
	}
	return &Etcd{Endpoints: []string{endpoint}, Client: cli, srv: srv}, nil
}

// Close closes the client and stops the server.
func (e *Etcd) Close() error {
	err := e.Client.Close()
	e.srv.Close()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// BrokerConfig configures the in-process broker.
type BrokerConfig struct {
	// Addr is the listen address; "" or "127.0.0.1:0" picks a random port.
	// A fixed port lets a restarted broker be found at the same address.
	// kfake always listens on 127.0.0.1.
	Addr string
	// DataDir keeps the log (and the cluster id) across restarts; "" keeps
	// everything in memory, lost on Close.
	DataDir string
	// Partitions is the partition count of created topics; default 3.
	Partitions int32
	// ListenHost, if set, is the IP address to listen on instead of
	// 127.0.0.1 (with Addr's port), e.g. an address other network
	// namespaces reach (the fault harness).
	ListenHost string
	// Advertise, if set, is the host:port the broker names in its metadata
	// (where clients connect after bootstrapping) instead of its listen
	// address: a proxy in front of it, for instance. Clients must reach the
	// broker through it, StartBroker included.
	Advertise string
}

// Broker is an in-process Kafka-protocol broker (kfake) with one node.
type Broker struct {
	// Addr is the host:port clients connect to.
	Addr string
	// ClusterID is the cluster id the broker reports in metadata. A broker
	// without a DataDir gets a fresh one on every start, so a relay can tell
	// a new, empty broker from the one it published to before.
	ClusterID string

	// Recovered is true when the broker's data dir held the log of a run
	// that did not shut down cleanly, which was discarded: the broker
	// started empty and relays re-publish their retained outboxes.
	Recovered bool

	partitions int32
	cluster    *kfake.Cluster
	marker     string
	closeOnce  sync.Once
}

// StartBroker starts a one-node in-process broker.
func StartBroker(cfg BrokerConfig) (*Broker, error) {
	parts := cfg.Partitions
	if parts <= 0 {
		parts = 3
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(int(parts)),
		// kafka-go's readers default to short session timeouts; anything
		// below the broker's minimum makes joining fail silently forever.
		kfake.GroupMinSessionTimeout(time.Second),
		// kfake's default cluster id is the constant "kfake". A fresh id
		// per start lets a relay notice a new, empty broker. With a data
		// dir that already holds a cluster, kfake replaces this id with the
		// persisted one, which is what we want.
		kfake.ClusterID(uuid.NewString()),
	}
	if cfg.Addr != "" {
		_, portStr, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("devstack: broker addr %q: %w", cfg.Addr, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return nil, fmt.Errorf("devstack: broker port %q: %w", portStr, err)
		}
		if port != 0 {
			opts = append(opts, kfake.Ports(port))
		}
	}
	if cfg.ListenHost != "" || cfg.Advertise != "" {
		opts = append(opts, kfake.ListenFn(func(network, address string) (net.Listener, error) {
			if cfg.ListenHost != "" {
				_, port, err := net.SplitHostPort(address)
				if err != nil {
					return nil, err
				}
				address = net.JoinHostPort(cfg.ListenHost, port)
			}
			ln, err := net.Listen(network, address)
			if err != nil || cfg.Advertise == "" {
				return ln, err
			}
			adv, err := net.ResolveTCPAddr("tcp", cfg.Advertise)
			if err != nil {
				_ = ln.Close()
				return nil, fmt.Errorf("devstack: broker advertise %q: %w", cfg.Advertise, err)
			}
			return advertisedListener{Listener: ln, addr: adv}, nil
		}))
	}
	var (
		marker  string
		crashed bool
	)
	if cfg.DataDir != "" {
		// kfake saves its topic metadata only when it is closed cleanly;
		// after a crash it reloads segment files it can no longer index
		// correctly (fetches answer with the wrong batches). A log that
		// cannot be trusted is worse than none: start empty, under a new
		// cluster id, and let the relays refill it from their outboxes.
		marker = filepath.Join(cfg.DataDir, ".running")
		if _, err := os.Stat(marker); err == nil {
			if err := os.RemoveAll(cfg.DataDir); err != nil {
				return nil, fmt.Errorf("devstack: discard crashed broker log: %w", err)
			}
			crashed = true
		}
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("devstack: broker data dir: %w", err)
		}
		if err := os.WriteFile(marker, nil, 0o600); err != nil {
			return nil, fmt.Errorf("devstack: broker data dir: %w", err)
		}
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("devstack: start broker: %w", err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		c.Close()
		return nil, errors.New("devstack: broker has no listen address")
	}
	b := &Broker{Addr: addrs[0], partitions: parts, cluster: c, marker: marker, Recovered: crashed}
	// Ask the broker which cluster id it settled on (the persisted one
	// wins over ours when DataDir already held a cluster).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(b.Addr), Transport: tr}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("devstack: broker metadata: %w", err)
	}
	b.ClusterID = md.ClusterID
	return b, nil
}

// CreateTopics creates topics with the broker's partition count; topics
// that already exist are fine.
func (b *Broker) CreateTopics(ctx context.Context, topics ...string) error {
	if len(topics) == 0 {
		return nil
	}
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(b.Addr), Transport: tr}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: int(b.partitions), ReplicationFactor: 1})
	}
	resp, err := cli.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("devstack: create topics: %w", err)
	}
	var errs []error
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("devstack: create topic %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// DeleteTopics deletes topics; topics that do not exist are fine. Tests use
// it to simulate a broker that lost a topic.
func (b *Broker) DeleteTopics(ctx context.Context, topics ...string) error {
	if len(topics) == 0 {
		return nil
	}
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(b.Addr), Transport: tr}
	resp, err := cli.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("devstack: delete topics: %w", err)
	}
	var errs []error
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("devstack: delete topic %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// ResetGroupOffsets sets group's committed offset of every partition of
// topic to the partition's first offset, as `kafka-consumer-groups
// --reset-offsets --to-earliest` does: a consumer of the group that trusts
// the group's offsets reads the topic again. The group must have no live
// member (stop its consumers first); the broker refuses the commit
// otherwise.
func (b *Broker) ResetGroupOffsets(ctx context.Context, group, topic string) error {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(b.Addr), Transport: tr}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return fmt.Errorf("devstack: metadata of %s: %w", topic, err)
	}
	lreq := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return fmt.Errorf("devstack: metadata of %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			lreq.Topics[topic] = append(lreq.Topics[topic], kafka.FirstOffsetOf(p.ID))
		}
	}
	if len(lreq.Topics[topic]) == 0 {
		return fmt.Errorf("devstack: topic %s has no partitions", topic)
	}
	lo, err := cli.ListOffsets(ctx, lreq)
	if err != nil {
		return fmt.Errorf("devstack: list offsets of %s: %w", topic, err)
	}
	creq := &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{}}
	for _, po := range lo.Topics[topic] {
		if po.Error != nil {
			return fmt.Errorf("devstack: first offset of %s/%d: %w", topic, po.Partition, po.Error)
		}
		creq.Topics[topic] = append(creq.Topics[topic], kafka.OffsetCommit{Partition: po.Partition, Offset: po.FirstOffset})
	}
	resp, err := cli.OffsetCommit(ctx, creq)
	if err != nil {
		return fmt.Errorf("devstack: reset offsets of group %s: %w", group, err)
	}
	var errs []error
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			errs = append(errs, fmt.Errorf("devstack: reset offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error))
		}
	}
	return errors.Join(errs...)
}

// GroupMember is what the broker was asked by one member of a consumer
// group (WatchGroups).
type GroupMember struct {
	// Joins counts its JoinGroup requests under its member id: one for its
	// first generation, one more for every rebalance it went through.
	Joins int
	// Generation is the generation of its last SyncGroup request, which a
	// member sends once in every generation it joined.
	Generation int32
}

// GroupWatch records the JoinGroup and SyncGroup requests the broker
// receives (WatchGroups).
type GroupWatch struct {
	mu     sync.Mutex
	groups map[string]map[string]GroupMember
}

// WatchGroups starts recording, for every consumer group, what each member
// asks of the broker from now on: how often it joined and the generation
// it last synced. A member whose joins or generation grew went through a
// rebalance, whoever caused it (tests of group isolation).
func (b *Broker) WatchGroups() *GroupWatch {
	w := &GroupWatch{groups: map[string]map[string]GroupMember{}}
	// Observers only: returning false leaves the request to the broker and
	// keeps the function for the next one.
	b.cluster.ControlKey(int16(kmsg.JoinGroup), func(req kmsg.Request) (kmsg.Response, error, bool) {
		// A first JoinGroup has no member id yet (the broker answers with
		// one, MEMBER_ID_REQUIRED, and the member asks again with it).
		if r, ok := req.(*kmsg.JoinGroupRequest); ok && r.MemberID != "" {
			w.update(r.Group, r.MemberID, func(m *GroupMember) { m.Joins++ })
		}
		return nil, nil, false
	})
	b.cluster.ControlKey(int16(kmsg.SyncGroup), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if r, ok := req.(*kmsg.SyncGroupRequest); ok {
			w.update(r.Group, r.MemberID, func(m *GroupMember) { m.Generation = r.Generation })
		}
		return nil, nil, false
	})
	return w
}

func (w *GroupWatch) update(group, member string, fn func(*GroupMember)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.groups[group] == nil {
		w.groups[group] = map[string]GroupMember{}
	}
	m := w.groups[group][member]
	fn(&m)
	w.groups[group][member] = m
}

// Members returns what each member of group (by member id) asked so far.
func (w *GroupWatch) Members(group string) map[string]GroupMember {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]GroupMember, len(w.groups[group]))
	for id, m := range w.groups[group] {
		out[id] = m
	}
	return out
}

// Close stops the broker; with a DataDir its log is flushed to disk first.
func (b *Broker) Close() {
	b.closeOnce.Do(func() {
		b.cluster.Close() // saves topics, groups and offsets to the data dir
		if b.marker != "" {
			_ = os.Remove(b.marker)
		}
	})
}

// advertisedListener reports addr as its address: kfake puts a listener's
// address in the metadata it answers, which is where clients connect.
type advertisedListener struct {
	net.Listener
	addr net.Addr
}

// Addr implements net.Listener.
func (l advertisedListener) Addr() net.Addr { return l.addr }

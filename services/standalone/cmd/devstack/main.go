// Command devstack runs the development infrastructure of pkg/devstack —
// an embedded etcd, an in-process Kafka-protocol broker (kfake), or both —
// as a process of its own, so that it can be stopped, frozen (SIGSTOP) or
// killed independently of the services that use it. The fault harness
// (cmd/faults, make test-faults) runs one for etcd and one for the broker;
// it is also handy for running the per-service binaries by hand:
//
//	devstack -etcd.addr=127.0.0.1:2379 -etcd.dir=/tmp/gh/etcd \
//	         -broker.addr=127.0.0.1:9092 -broker.dir=/tmp/gh/broker
//
// It prints "etcd: <url>" and "broker: <host:port>" lines, then
// "devstack: ready", and stops cleanly on SIGINT/SIGTERM (the broker saves
// its log). After a kill -9 the broker's log is discarded on the next start
// (pkg/devstack: a crashed kfake log cannot be trusted), which is how the
// harness simulates a broker that lost its log. Development only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guildhall/guildhall/pkg/devstack"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	etcdAddr := fs.String("etcd.addr", "", "client address of the embedded etcd, host:port (empty: no etcd)")
	etcdDir := fs.String("etcd.dir", "", "data directory of the embedded etcd (required with -etcd.addr)")
	brokerAddr := fs.String("broker.addr", "", "listen address of the broker; its host must be 127.0.0.1 unless -broker.listen-host says otherwise (empty: no broker)")
	listenHost := fs.String("broker.listen-host", "", "IP address the broker listens on instead of 127.0.0.1 (port from -broker.addr)")
	advertise := fs.String("broker.advertise", "", "host:port the broker names in its metadata instead of its listen address (a proxy in front of it)")
	brokerDir := fs.String("broker.dir", "", "directory keeping the broker's log across clean restarts (empty: in memory)")
	partitions := fs.Int("broker.partitions", 3, "partition count of created topics")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *etcdAddr == "" && *brokerAddr == "" {
		return errors.New("nothing to run: give -etcd.addr, -broker.addr or both")
	}
	if *etcdAddr != "" && *etcdDir == "" {
		return errors.New("-etcd.dir is required with -etcd.addr")
	}
	if *partitions < 1 {
		return errors.New("-broker.partitions must be at least 1")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *etcdAddr != "" {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		e, err := devstack.StartEtcdAt(sctx, *etcdDir, *etcdAddr)
		cancel()
		if err != nil {
			return err
		}
		defer func() { _ = e.Close() }()
		fmt.Printf("etcd: %s\n", e.Endpoints[0])
	}
	if *brokerAddr != "" {
		b, err := devstack.StartBroker(devstack.BrokerConfig{
			Addr: *brokerAddr, ListenHost: *listenHost, Advertise: *advertise,
			DataDir: *brokerDir, Partitions: int32(*partitions),
		})
		if err != nil {
			return err
		}
		defer b.Close()
		fmt.Printf("broker: %s (cluster %s)\n", b.Addr, b.ClusterID)
		if b.Recovered {
			fmt.Println("broker: the last run did not stop cleanly; its log was discarded")
		}
	}
	fmt.Println("devstack: ready")
	<-ctx.Done()
	return nil
}

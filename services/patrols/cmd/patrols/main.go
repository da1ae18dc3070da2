// Command patrols runs one district's patrols service on its own (the
// Kubernetes deployment): the HTTP API and /api/v1/openapi.json on
// -http.addr, /healthz, /readyz and /metrics on the admin listener, the
// background work (the roster's re-gating at the day rollover, missed
// tours, idempotency-key expiry, the consumer of the district's
// membership topic that keeps the guards patrols knows, the consumers of
// the other registered districts' patrols topics that keep their
// assignments (no double-booking of one person across districts), and the etcd watch
// of the city's patrol rules at /guildhall/policy/patrols), and the outbox
// relay to Kafka, which publishes only while this replica holds the
// district's etcd election. Every API request must carry a bearer token
// from the configured OIDC issuer (-auth.oidc.*, required).
//
// Every flag can also be set from the environment: flag "kafka.brokers" ←
// GUILDHALL_KAFKA_BROKERS; flags win.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/services/patrols"
)

func main() { os.Exit(node.Main(patrols.ServiceName, runMain)) }

// Config is the command's configuration: the flags of every service
// binary (node.Flags) and of every district service (node.DistrictFlags).
type Config struct {
	node.Flags
	node.DistrictFlags
}

// RegisterFlags registers every flag of the command under prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	c.Flags.RegisterFlags(prefix, fs)
	c.DistrictFlags.RegisterFlags(prefix, fs)
}

// Validate checks the configuration, reporting every problem at once.
func (c *Config) Validate() error { return errors.Join(c.DistrictFlags.Validate(), c.Flags.Validate()) }

// runMain parses args (and the environment through lookup), wires the
// service and runs it until ctx ends or a SIGINT/SIGTERM arrives. ready, if
// not nil, is called with the API's and the admin routes' listen addresses
// once both listeners accept.
func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error {
	var cfg Config
	if err := node.Parse(patrols.ServiceName, &cfg, args, lookup, stderr, ""); err != nil {
		return err
	}
	if cfg.DBPath == "" {
		cfg.DBPath = cfg.DefaultDBPath(patrols.ServiceName)
	}
	p, err := node.Start(ctx, cfg.Flags, patrols.ServiceName, cfg.District, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	var districts patrols.Districts
	if p.Etcd != nil {
		districts = config.NewRegistry(p.Etcd, p.Logger, p.Registry)
	}
	n, err := patrols.New(ctx, patrols.Config{
		District: cfg.District, DBPath: cfg.DBPath, Storage: cfg.Storage, TrustProxy: cfg.TrustProxy,
		// The node consumes its district's membership topic for the
		// guards the roster gates (patrols.Config.Brokers).
		Brokers: cfg.Kafka.Brokers,
	}, patrols.Deps{
		Logger: p.Logger, Endpoint: p.Endpoint, Storage: p.Storage, Registerer: p.Registry,
		Bus: p.Bus, Dialer: p.Dialer, Transport: p.Transport,
		// The live patrol rules come from etcd, and the district
		// registry whose other districts' patrols topics the node follows
		// (no double-booking of one person across districts).
		Etcd:      p.Etcd,
		Districts: districts,
	})
	if err != nil {
		return err
	}
	return p.ServeDistrict(ctx, n, cfg.DistrictFlags, ready)
}

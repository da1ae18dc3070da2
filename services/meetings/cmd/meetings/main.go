// Command meetings runs one district's meetings service on its own (the
// Kubernetes deployment): the HTTP API and /api/v1/openapi.json on
// -http.addr, /healthz, /readyz and /metrics on the admin listener
// -admin.addr (default :9090; "same" puts them on the API listener), the
// background work (action item reminders,
// idempotency-key expiry, the consumer of the district's membership topic
// that keeps the companies meetings knows, and the etcd watches of the association's
// convention and the district's roundtable cadence), and the outbox relay to
// Kafka, which publishes only while this replica holds the district's etcd
// election. Every API request must carry a bearer token from the configured
// OIDC issuer (-auth.oidc.*, required); the admin endpoints and the OpenAPI
// document stay open.
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

	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/services/meetings"
)

func main() { os.Exit(node.Main(meetings.ServiceName, runMain)) }

// Config is the command's configuration: the flags of every service
// binary (node.Flags) and of every district service (node.DistrictFlags).
// Etcd is required: it holds the convention and the cadence the node
// watches, and the relay election.
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
	if err := node.Parse(meetings.ServiceName, &cfg, args, lookup, stderr, ""); err != nil {
		return err
	}
	if cfg.DBPath == "" {
		cfg.DBPath = cfg.DefaultDBPath(meetings.ServiceName)
	}
	p, err := node.Start(ctx, cfg.Flags, meetings.ServiceName, cfg.District, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	n, err := meetings.New(ctx, meetings.Config{
		District: cfg.District, DBPath: cfg.DBPath, Storage: cfg.Storage, TrustProxy: cfg.TrustProxy,
		// The node consumes its district's membership topic for the
		// companies it knows (meetings.Config.Brokers).
		Brokers: cfg.Kafka.Brokers,
	}, meetings.Deps{
		Logger: p.Logger, Endpoint: p.Endpoint, Storage: p.Storage, Registerer: p.Registry,
		Bus: p.Bus, Dialer: p.Dialer, Transport: p.Transport,
		// The live convention and roundtable cadence come from etcd.
		Etcd: p.Etcd,
	})
	if err != nil {
		return err
	}
	return p.ServeDistrict(ctx, n, cfg.DistrictFlags, ready)
}

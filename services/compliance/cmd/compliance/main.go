// Command compliance runs one district's compliance service on its own
// (the Kubernetes deployment): the HTTP API and /api/v1/openapi.json on
// -http.addr, /healthz, /readyz and /metrics on the admin listener, the
// consumer of the district's membership topic that keeps the four-100%
// scoreboard, the etcd watch of the city's compliance policy, the day's
// rollover, and the outbox relay to Kafka (only while this replica holds
// the district's etcd election). Every API request must carry a bearer
// token from the configured OIDC issuer.
//
// Every flag can also be set from the environment: flag "kafka.brokers" ←
// GUILDHALL_KAFKA_BROKERS; flags win.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/services/compliance"
)

func main() { os.Exit(node.Main(compliance.ServiceName, runMain)) }

// Config is the command's configuration: the flags of every service
// binary and of every district service.
type Config struct {
	node.Flags
	node.DistrictFlags
	// SealKeyFile holds the keyring sealing the two-four-one contents (the
	// city's, pii.ParseKeyring's format, as membership's).
	SealKeyFile string
}

// RegisterFlags registers every flag of the command under prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	c.Flags.RegisterFlags(prefix, fs)
	c.DistrictFlags.RegisterFlags(prefix, fs)
	fs.StringVar(&c.SealKeyFile, prefix+"pii.seal-key-file", "", "file holding the keyring that encrypts two-four-one check contents at rest: lines <kid>:<64 hex digits>, the first (or the one named by a current=<kid> line) seals (required)")
}

// ErrNoSealKeyFile is a command started without -pii.seal-key-file.
var ErrNoSealKeyFile = errors.New("compliance: -pii.seal-key-file is required")

// Validate checks the configuration, reporting every problem at once.
func (c *Config) Validate() error {
	var own error
	if c.SealKeyFile == "" {
		own = ErrNoSealKeyFile
	}
	return errors.Join(own, c.DistrictFlags.Validate(), c.Flags.Validate())
}

// runMain parses args, wires the service and runs it until ctx ends or a
// signal arrives; ready, if not nil, gets the listen addresses.
func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error {
	var cfg Config
	if err := node.Parse(compliance.ServiceName, &cfg, args, lookup, stderr, ""); err != nil {
		return err
	}
	if cfg.DBPath == "" {
		cfg.DBPath = cfg.DefaultDBPath(compliance.ServiceName)
	}
	raw, err := os.ReadFile(cfg.SealKeyFile)
	if err != nil {
		return fmt.Errorf("compliance: read seal key file: %w", err)
	}
	sealer, err := pii.ParseKeyring(string(raw))
	if err != nil {
		return fmt.Errorf("compliance: %s: %w", cfg.SealKeyFile, err)
	}
	p, err := node.Start(ctx, cfg.Flags, compliance.ServiceName, cfg.District, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	n, err := compliance.New(ctx, compliance.Config{
		District: cfg.District, DBPath: cfg.DBPath, Storage: cfg.Storage, TrustProxy: cfg.TrustProxy,
		// The scoreboard's only source is the district's membership topic.
		Brokers: cfg.Kafka.Brokers, Sealer: sealer,
	}, compliance.Deps{
		Logger: p.Logger, Endpoint: p.Endpoint, Storage: p.Storage, Registerer: p.Registry,
		Bus: p.Bus, Dialer: p.Dialer, Transport: p.Transport,
		// The city's compliance policy comes from etcd.
		Etcd: p.Etcd,
	})
	if err != nil {
		return err
	}
	return p.ServeDistrict(ctx, n, cfg.DistrictFlags, ready)
}

// Command membership runs one district's membership service on its own (the
// Kubernetes deployment): the HTTP API and /api/v1/openapi.json on
// -http.addr, /healthz, /readyz and /metrics on the admin listener
// -admin.addr (default :9090; "same" puts them on the API listener), the
// background import worker, and the outbox relay to Kafka, which publishes
// only while this replica holds the district's etcd election. Every API
// request must carry a bearer token from the configured OIDC issuer
// (-auth.oidc.*, required); the admin endpoints and the OpenAPI document
// stay open.
//
// Every flag can also be set from the environment: flag "kafka.brokers" ←
// GUILDHALL_KAFKA_BROKERS; flags win.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/services/membership"
)

func main() { os.Exit(node.Main(membership.ServiceName, runMain)) }

// Config is the command's configuration: the flags of every service
// binary (node.Flags), of every district service (node.DistrictFlags) and
// the keys of the personal data.
type Config struct {
	node.Flags
	node.DistrictFlags
	IDHashKeyFile string
	SealKeyFile   string
}

// RegisterFlags registers every flag of the command under prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	c.Flags.RegisterFlags(prefix, fs)
	c.DistrictFlags.RegisterFlags(prefix, fs)
	fs.StringVar(&c.IDHashKeyFile, prefix+"pii.id-hash-key-file", "", "file holding the city-wide hex HMAC key for national ID numbers (required)")
	fs.StringVar(&c.SealKeyFile, prefix+"pii.seal-key-file", "", "file holding the keyring that encrypts national ID numbers at rest: lines <kid>:<64 hex digits>, the first (or the one named by a current=<kid> line) seals (required)")
}

// Errors of Config.Validate beyond node.Flags' and node.DistrictFlags'.
var (
	errNoKeyFile  = errors.New("-pii.id-hash-key-file is required")
	errNoSealFile = errors.New("-pii.seal-key-file is required")
)

// Validate checks the configuration, reporting every problem at once.
func (c *Config) Validate() error {
	problems := []error{c.DistrictFlags.Validate(), c.Flags.Validate()}
	if c.IDHashKeyFile == "" {
		problems = append(problems, errNoKeyFile)
	}
	if c.SealKeyFile == "" {
		problems = append(problems, errNoSealFile)
	}
	return errors.Join(problems...)
}

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read id hash key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s must hold a hex-encoded key: %w", path, err)
	}
	return key, nil
}

// readSealer reads the sealing keyring (pii.ParseKeyring's format).
func readSealer(path string) (*pii.Sealer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seal key file: %w", err)
	}
	s, err := pii.ParseKeyring(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// runMain parses args (and the environment through lookup), wires the
// service and runs it until ctx ends or a SIGINT/SIGTERM arrives. ready, if
// not nil, is called with the API's and the admin routes' listen addresses
// once both listeners accept.
func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error {
	var cfg Config
	if err := node.Parse(membership.ServiceName, &cfg, args, lookup, stderr, ""); err != nil {
		return err
	}
	if cfg.DBPath == "" {
		cfg.DBPath = cfg.DefaultDBPath(membership.ServiceName)
	}
	key, err := readKey(cfg.IDHashKeyFile)
	if err != nil {
		return err
	}
	sealer, err := readSealer(cfg.SealKeyFile)
	if err != nil {
		return err
	}
	p, err := node.Start(ctx, cfg.Flags, membership.ServiceName, cfg.District, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	n, err := membership.New(ctx, membership.Config{
		District: cfg.District, DBPath: cfg.DBPath, Storage: cfg.Storage, IDHashKey: key,
		Sealer: sealer, TrustProxy: cfg.TrustProxy,
		// The node consumes its district's meetings topic for the
		// convention signatures (membership.Config.Brokers).
		Brokers: cfg.Kafka.Brokers,
	}, membership.Deps{
		Logger: p.Logger, Endpoint: p.Endpoint, Bus: p.Bus, Storage: p.Storage,
		Dialer: p.Dialer, Transport: p.Transport,
		// The city-wide certificate-expiry window comes from etcd.
		Etcd: p.Etcd, Registerer: p.Registry,
	})
	if err != nil {
		return err
	}
	return p.ServeDistrict(ctx, n, cfg.DistrictFlags, ready)
}

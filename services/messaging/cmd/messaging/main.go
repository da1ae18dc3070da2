// Command messaging runs the messaging service on its own (the Kubernetes
// deployment), in one of two roles (-role):
//
//   - district (default): one district's notices and receipts, the
//     consumers of the district's membership topic and of HQ's
//     gh.hq.directives.v1, the reminders, the relay of its outbox to
//     gh.<district>.messaging.v1; the API under /api/v1/districts/<district>;
//   - hq: HQ's directives, the relay of its outbox to gh.hq.directives.v1,
//     and one consumer per registered district's messaging topic
//     (following the registry in etcd) for the delivery health; the API
//     under /api/v1/hq/directives.
//
// /healthz, /readyz and /metrics are on the admin listener. Every API
// request must carry a bearer token from the configured OIDC issuer.
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
	"path/filepath"
	"time"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/services/messaging"
)

func main() { os.Exit(node.Main(messaging.ServiceName, runMain)) }

// Config is the command's configuration: the flags of every service
// binary, of every district service, and the role.
type Config struct {
	node.Flags
	node.DistrictFlags
	// Role is district or hq (-role).
	Role string
	// ReminderPass is how often reminders are looked for (-reminders.every).
	ReminderPass time.Duration
}

// RegisterFlags registers every flag of the command under prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	c.Flags.RegisterFlags(prefix, fs)
	c.DistrictFlags.RegisterFlags(prefix, fs)
	fs.StringVar(&c.Role, prefix+"role", messaging.RoleDistrict, "district (a district node's notices) or hq (HQ's directives and their delivery health)")
	fs.DurationVar(&c.ReminderPass, prefix+"reminders.every", 5*time.Minute, "how often a district node looks for recipients to remind")
}

// ErrBadRole is the error of a -role that is neither district nor hq.
var ErrBadRole = errors.New("-role must be district or hq")

// Validate checks the configuration, reporting every problem at once. In
// the HQ role -district is not asked for: the role's outbox is district
// "hq"'s.
func (c *Config) Validate() error {
	var roleErr error
	switch c.Role {
	case messaging.RoleDistrict:
	case messaging.RoleHQ:
		c.District = "hq"
	default:
		roleErr = fmt.Errorf("%w: %q", ErrBadRole, c.Role)
	}
	return errors.Join(roleErr, c.DistrictFlags.Validate(), c.Flags.Validate())
}

func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error {
	var cfg Config
	if err := node.Parse(messaging.ServiceName, &cfg, args, lookup, stderr, ""); err != nil {
		return err
	}
	if cfg.DBPath == "" {
		cfg.DBPath = cfg.DefaultDBPath(messaging.ServiceName)
		if cfg.Role == messaging.RoleHQ {
			cfg.DBPath = filepath.Join("data", "hq", "messaging.db")
		}
	}
	district := cfg.District
	if cfg.Role == messaging.RoleHQ {
		district = ""
	}
	p, err := node.Start(ctx, cfg.Flags, messaging.ServiceName, district, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	n, err := messaging.New(ctx, messaging.Config{
		Role: cfg.Role, District: district, DBPath: cfg.DBPath, Storage: cfg.Storage, TrustProxy: cfg.TrustProxy,
		ReminderPass: cfg.ReminderPass, Brokers: cfg.Kafka.Brokers,
	}, messaging.Deps{
		Logger: p.Logger, Endpoint: p.Endpoint, Storage: p.Storage, Registerer: p.Registry,
		Bus: p.Bus, Dialer: p.Dialer, Transport: p.Transport, Etcd: p.Etcd,
		Districts: config.NewRegistry(p.Etcd, p.Logger, p.Registry),
	})
	if err != nil {
		return err
	}
	if cfg.Role != messaging.RoleHQ {
		return p.ServeDistrict(ctx, n, cfg.DistrictFlags, ready)
	}
	defer n.Close()
	relay, err := p.Relay(n.Outbox(), cfg.DistrictFlags)
	if err != nil {
		return err
	}
	return p.Serve(ctx, p.APIHandler(n.OpenAPI(), n.Handler(), "/api/v1/hq/directives", "/api/v1/hq/directives/"),
		p.AdminHandler(map[string]telemetry.Check{"database": n.Ready}), ready, n.Run, relay.Run)
}

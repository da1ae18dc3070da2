// Command hq runs the association HQ on its own (one Kubernetes release with
// role=hq): it consumes every registered district's membership and meetings
// topics from Kafka, watches the district registry in etcd, and serves the city-wide
// read model under /api/v1/hq/… and /api/v1/openapi.json on -http.addr,
// and /healthz, /readyz and /metrics on the admin listener -admin.addr
// (default :9090; "same" puts them on the API listener).
//
// Every /api/v1/hq/… request must carry "Authorization: Bearer <JWT>" from
// the association's OpenID Connect issuer, verified through its JWKS; the
// role and scope claims decide what the caller may see (hq.Policy). The
// admin routes and the OpenAPI document stay open. The command refuses to
// start without -auth.oidc.issuer, -auth.oidc.audience and
// -auth.oidc.jwks-url: an HQ without authentication is a misconfiguration,
// not a mode.
//
// Flags (env GUILDHALL_<FLAG> with dots and dashes as underscores; flags win):
// those of every service binary (node.Flags: -http.addr, -admin.addr,
// -db.path (formerly -hq.db-path) or -db.dsn (a PostgreSQL database; the
// read model's tables go in its schema hq), -shutdown-timeout, -auth.oidc.*,
// -kafka.*, -etcd.*, -sqlite.*, -tracing.*, -log.level, -log.file) and
// -hq.group-id, -hq.stale-after.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"time"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/telemetry"

	"github.com/guildhall/guildhall/services/hq"
)

func main() { os.Exit(node.Main(hq.ServiceName, runMain)) }

// Config is the command's configuration: the flags of every service
// binary (node.Flags) and HQ's own.
type Config struct {
	node.Flags
	GroupID        string
	StaleAfter     time.Duration
	ClockSkewLimit time.Duration
}

// RegisterFlags registers every flag of the command under prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	c.DBPath = "data/hq/hq.db" // -db.path's default
	c.Flags.RegisterFlags(prefix, fs)
	// The flag's name before it matched the other services' -db.path; kept
	// so existing deployments start.
	fs.StringVar(&c.DBPath, prefix+"hq.db-path", c.DBPath, "deprecated: use -db.path")
	fs.StringVar(&c.GroupID, prefix+"hq.group-id", hq.DefaultGroupID, "Kafka consumer group of HQ")
	fs.DurationVar(&c.StaleAfter, prefix+"hq.stale-after", hq.DefaultStaleAfter, "how long a district may be behind with nothing applied before it is stale")
	fs.DurationVar(&c.ClockSkewLimit, prefix+"hq.clock-skew-limit", hq.DefaultClockSkewLimit, "how far a district node's clock (from its heartbeats) may be from HQ's before it is flagged")
}

// Validate checks the configuration, reporting every problem at once. The
// district registry lives in etcd: HQ cannot run without it.
func (c *Config) Validate() error { return errors.Join(c.Flags.Validate(), c.hqConfig().Validate()) }

// usage is the head of the -h text; the flag list follows it.
const usage = `Usage: hq [flags]

Runs the association HQ: consumes every registered district's membership
and meetings topics and its services' heartbeats (gh.<district>.node.v1),
and serves the city-wide read model under /api/v1/hq/.

Authentication is required. Every /api/v1/hq/ request carries
"Authorization: Bearer <JWT>" signed (RS256 or ES256) by the OIDC issuer:
  -auth.oidc.issuer     exact iss of accepted tokens (required)
  -auth.oidc.audience   aud the tokens must be issued for (required)
  -auth.oidc.jwks-url   the issuer's JSON Web Key Set, https (required;
                        plain http only to a loopback address)
  -auth.oidc.refresh-interval  how often the keys are refetched
Tokens carry the claims role (hq-admin, district-admin, police, ops, ...)
and districts; hq-admin sees everything, district-admin and district-scoped
police their own districts' views. /api/v1/openapi.json needs no token,
nor do /healthz, /readyz and /metrics, which are served on -admin.addr
only (default :9090; "same" serves them on -http.addr).

Every flag may also be set in the environment as GUILDHALL_<FLAG>, e.g.
GUILDHALL_AUTH_OIDC_ISSUER; flags win.

Flags:
`

// ErrNoAuth is returned when no OIDC issuer is configured.
var ErrNoAuth = node.ErrNoAuth

func (c *Config) hqConfig() hq.Config {
	return hq.Config{DBPath: c.DBPath, Storage: c.Storage, Brokers: []string(c.Kafka.Brokers), GroupID: c.GroupID, StaleAfter: c.StaleAfter,
		ClockSkewLimit: c.ClockSkewLimit}
}

// runMain parses args (and the environment through lookup), wires HQ and
// runs it until ctx ends or a SIGINT/SIGTERM arrives. ready, if not nil,
// is called with the API's and the admin routes' listen addresses once
// both listeners accept.
func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error {
	var cfg Config
	if err := node.Parse(hq.ServiceName, &cfg, args, lookup, stderr, usage); err != nil {
		return err
	}
	p, err := node.Start(ctx, cfg.Flags, hq.ServiceName, "", stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	n, err := hq.New(ctx, cfg.hqConfig(), hq.Deps{
		Logger:     p.Logger,
		Districts:  config.NewRegistry(p.Etcd, p.Logger, p.Registry),
		Bus:        p.Bus,
		Storage:    p.Storage,
		Registerer: p.Registry,
		Endpoint:   p.Endpoint,
		Dialer:     p.Dialer,
		Transport:  p.Transport,
		// The convention policy and the roundtable cadences live in the
		// same etcd as the district registry.
		Etcd: p.Etcd,
	})
	if err != nil {
		return err
	}
	defer n.Close()
	return p.Serve(ctx, p.APIHandler(n.OpenAPI(), n.Handler(), "/api/v1/hq/"),
		p.AdminHandler(map[string]telemetry.Check{"hq": n.Ready}), ready, n.Run)
}

package node_test

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/telemetry"
)

// binary is a district binary's configuration, as cmd/<svc> declares it.
type binary struct {
	node.Flags
	node.DistrictFlags
	Own string
}

func (b *binary) RegisterFlags(prefix string, fs *flag.FlagSet) {
	b.Flags.RegisterFlags(prefix, fs)
	b.DistrictFlags.RegisterFlags(prefix, fs)
	fs.StringVar(&b.Own, prefix+"own", "", "the binary's own flag")
}

func (b *binary) Validate() error { return errors.Join(b.Flags.Validate(), b.DistrictFlags.Validate()) }

// valid are flags every check passes.
var valid = []string{"-district=jingkai", "-kafka.brokers=127.0.0.1:9092", "-etcd.endpoints=127.0.0.1:2379",
	"-auth.oidc.issuer=https://id.example.test", "-auth.oidc.audience=guildhall", "-auth.oidc.jwks-url=https://id.example.test/jwks"}

func noEnv(string) (string, bool) { return "", false }

func TestEveryBinaryTakesTheSameFlagNames(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var b binary
	b.RegisterFlags("", fs)
	for _, name := range []string{"http.addr", "admin.addr", "db.path", "db.dsn", "shutdown-timeout", "log.level", "log.file",
		"sqlite.synchronous", "kafka.brokers", "etcd.endpoints", "tracing.service-name", "auth.oidc.issuer",
		"district", "http.trust-proxy", "relay.election-ttl", "relay.candidate", "outbox.retention"} {
		if fs.Lookup(name) == nil {
			t.Errorf("-%s is not registered", name)
		}
	}
	// Under a prefix, every name is prefixed.
	fs = flag.NewFlagSet("x", flag.ContinueOnError)
	b.RegisterFlags("m.", fs)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Name, "m.") {
			t.Errorf("-%s registered without the prefix", f.Name)
		}
	})
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	var b binary
	err := node.Parse("x", &b, []string{"-district=Bad District", "-admin.addr=9090", "-relay.election-ttl=0",
		"-outbox.retention=1m", "-log.level=loud"}, noEnv, io.Discard, "")
	for _, want := range []error{node.ErrBadDistrict, node.ErrElectionTTL, node.ErrRetention, telemetry.ErrAdminAddr, node.ErrNoAuth} {
		if !errors.Is(err, want) {
			t.Errorf("Parse = %v; it does not report %v", err, want)
		}
	}
	for _, want := range []string{"log.level", "kafka", "etcd"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v; it does not mention %s", err, want)
		}
	}
	if err := node.Parse("x", &b, nil, noEnv, io.Discard, ""); !errors.Is(err, node.ErrNoDistrict) {
		t.Errorf("no -district: %v", err)
	}
	// Half an issuer is the issuer's own error, not "no auth".
	if err := node.Parse("x", &b, append(valid[:3:3], "-auth.oidc.issuer=https://id.example.test"), noEnv, io.Discard, ""); !errors.Is(err, auth.ErrOIDCAudience) || errors.Is(err, node.ErrNoAuth) {
		t.Errorf("an issuer without an audience: %v", err)
	}
}

func TestParseTakesTheEnvironmentAndFlagsWin(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GUILDHALL_OWN": "from-env", "GUILDHALL_DB_PATH": "/env/x.db", "GUILDHALL_DISTRICT": "caidian"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var b binary
	if err := node.Parse("x", &b, append(valid, "-db.path=/flag/x.db"), lookup, io.Discard, ""); err != nil {
		t.Fatal(err)
	}
	if b.Own != "from-env" || b.DBPath != "/flag/x.db" || b.District != "jingkai" {
		t.Errorf("own %q, db.path %q, district %q: want the environment's where no flag was given", b.Own, b.DBPath, b.District)
	}
	if got := b.DefaultDBPath("membership"); got != "data/jingkai/membership.db" {
		t.Errorf("DefaultDBPath = %q", got)
	}
}

func TestAPresetDBPathIsTheDefault(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("hq", flag.ContinueOnError)
	f := node.Flags{DBPath: "data/hq/hq.db"}
	f.RegisterFlags("", fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if f.DBPath != "data/hq/hq.db" || fs.Lookup("db.path").DefValue != "data/hq/hq.db" {
		t.Errorf("db.path %q (default %q)", f.DBPath, fs.Lookup("db.path").DefValue)
	}
}

package bench

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/services/membership"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// startMembershipNode starts one district's membership service the way
// its own deployment runs it (cmd/membership): the HTTP API behind the
// access log and bearer-token verification (ES256, as against an
// external issuer's JWKS), the endpoints' metrics and tracing, SQLite
// with synchronous=full, and the outbox relay publishing to a broker
// (in-process). Nothing else shares the machine's two cores: in the
// city, every hire also feeds five consumers and HQ, which cost several
// times the hire itself (see BenchmarkGuardCreate). It returns a client
// holding an hq-admin's token and the node's outbox.
func startMembershipNode(b *testing.B) (*citytest.Client, *eventbus.Outbox) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := b.TempDir()
	broker, err := devstack.StartBroker(devstack.BrokerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	sealer, err := pii.NewSealer(map[string][]byte{"k1": bytes.Repeat([]byte{1}, pii.SealKeyLen)}, "k1")
	if err != nil {
		b.Fatal(err)
	}
	reg := telemetry.NewRegistry()
	smetrics, err := storage.NewMetrics(reg)
	if err != nil {
		b.Fatal(err)
	}
	bus := eventbus.NewMetrics(reg)
	logger := slog.New(slog.DiscardHandler)
	node, err := membership.New(ctx, membership.Config{
		District: "jingkai", DBPath: filepath.Join(dir, "membership.db"),
		IDHashKey: []byte("0123456789abcdef-bench-key"), Sealer: sealer,
		Storage: storage.Config{Synchronous: "full"},
	}, membership.Deps{Logger: logger, Endpoint: telemetry.NewEndpointMetrics(reg).For("jingkai"), Bus: bus, Storage: smetrics})
	if err != nil {
		b.Fatal(err)
	}
	relay, err := eventbus.NewRelay(eventbus.RelayConfig{Brokers: []string{broker.Addr}, Outbox: node.Outbox(), Logger: logger, Metrics: bus})
	if err != nil {
		b.Fatal(err)
	}
	issuer, err := auth.NewLocalIssuer(filepath.Join(dir, "auth"), "guildhall-bench", "guildhall", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := issuer.Issue(auth.Principal{Subject: "bench", Role: auth.RoleHQAdmin})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(telemetry.HTTPMiddleware(auth.Authenticate(issuer.Verifier())(node.Handler()), logger))
	done := make(chan struct{}, 2)
	go func() { _ = node.Run(ctx); done <- struct{}{} }()
	go func() { _ = relay.Run(ctx); done <- struct{}{} }()
	b.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		<-done
		_ = node.Close()
		broker.Close()
	})
	c := citytest.New(srv.URL)
	c.Token = token
	return c, node.Outbox()
}

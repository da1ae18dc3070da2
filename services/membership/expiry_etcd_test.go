package membership_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership"
)

// TestTheExpiryWindowIsTheCityPolicyInEtcd: a running node lists expiring
// certificates with the window at policy.CertificateExpiryKey, follows a
// change of it without a restart, keeps the last good window when a value
// does not parse, and announces with the window in force.
func TestTheExpiryWindowIsTheCityPolicyInEtcd(t *testing.T) {
	ctx := context.Background()
	etcd, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Close() })
	put := func(v string) {
		t.Helper()
		if _, err := etcd.Client.Put(ctx, policy.CertificateExpiryKey, v); err != nil {
			t.Fatal(err)
		}
	}
	put(`{"window_days":10}`)
	now := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, policy.Zone) }
	logs := &testutil.SyncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	node, err := membership.New(ctx, membership.Config{
		District: "jingkai", DBPath: filepath.Join(t.TempDir(), "membership.db"), IDHashKey: hashKey, Sealer: keyring(t, "k1"),
		Storage: storage.Config{Synchronous: "normal"},
	}, membership.Deps{Logger: logger, Etcd: etcd.Client, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(testutil.ValidatedHandler(t, membership.OpenAPIDocument(),
		telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(t, node.Handler(), "jingkai"), logger)))
	cl := testutil.NewClient(t, srv.URL)
	cl.Prefix = "/api/v1/districts/jingkai"
	e := &env{Client: cl, t: t, node: node, srv: srv, logs: logs}
	t.Cleanup(func() { e.close() })
	e.runNode()

	c := e.activeCompany(1)
	g := e.hire(c.ID, 1)
	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/certificate", map[string]any{"certificate_number": "鄂保证0001", "issued_on": "2021-03-20", "valid_until": "2026-03-20"}, nil)
	listed := func() int {
		var out struct {
			Items []guard `json:"items"`
		}
		e.Must(http.StatusOK, "GET", "/certificates/expiring", nil, &out)
		return len(out.Items)
	}
	// The node reads the key after it starts; until then it holds the
	// 30-day default, which would list the certificate.
	testutil.Eventually(t, "the node reading the 10-day window", func() bool {
		return strings.Contains(logs.String(), `"msg":"configuration value applied","key":"`+policy.CertificateExpiryKey+`"`)
	})
	if n := listed(); n != 0 {
		t.Fatalf("a 10-day window lists %d certificates lapsing in 19 days", n)
	}
	put(`{"window_days":30}`)
	testutil.Eventually(t, "the node following the 30-day window", func() bool { return listed() == 1 })
	put(`{"window_days":0}`) // refused: the 30-day window stays
	put(`{"window_days":"x"}`)
	testutil.Eventually(t, "the refused values logged", func() bool {
		return strings.Count(logs.String(), "rejecting invalid configuration value") >= 2
	})
	if n := listed(); n != 1 {
		t.Fatalf("after refused values the list has %d", n)
	}
	seq := e.lastSeq()
	if n, err := node.AnnounceExpiringCertificates(ctx); err != nil || n != 1 {
		t.Fatalf("announced %d, %v", n, err)
	}
	ev := expectOneEvent(e, seq, eventsv1.TypeCertificateExpiring, &eventsv1.CertificateExpiring{})
	if ev.GetDaysLeft() != 19 || ev.GetWindowDate() != "2026-03-01" || ev.GetGuard().GetId() != g.ID {
		t.Fatalf("event %v", ev)
	}
}

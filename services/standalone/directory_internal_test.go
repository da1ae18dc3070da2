package standalone

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/guildhall/guildhall/pkg/config"
)

// TestTheDirectoryFailsWhenItCannotLook: a registry that cannot be read
// and a process without HQ are errors (the accounts answer 503
// account.directory_unavailable), never "unknown" or "known".
func TestTheDirectoryFailsWhenItCannotLook(t *testing.T) {
	t.Parallel()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	_ = cli.Close() // every request now fails at once
	d := cityDirectory{&City{registry: config.NewRegistry(cli, slog.New(slog.DiscardHandler), nil)}}
	if ok, err := d.DistrictKnown(context.Background(), "jingkai"); err == nil || ok {
		t.Errorf("DistrictKnown with etcd unreachable = %v, %v; want an error", ok, err)
	}
	if ok, err := d.CompanyInDistrict(context.Background(), "jingkai", "c1"); !errors.Is(err, errNoHQ) || ok {
		t.Errorf("CompanyInDistrict without HQ = %v, %v; want errNoHQ", ok, err)
	}
}

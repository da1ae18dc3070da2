package hq

import (
	"context"
	"errors"
	"log/slog"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// etcdConventions is the service's ConventionStore on etcd: the current
// convention is the value at ConventionKey, which every district's
// meetings node and HQ's own policy watch follow. It reads and writes
// through pkg/policy, whose SwapConvention is the one way anything
// publishes the convention.
type etcdConventions struct {
	cli    *clientv3.Client
	logger *slog.Logger
}

// Current implements service.ConventionStore. It reads etcd rather than
// the node's watched copy, so a GET after a PUT sees the new version.
func (s etcdConventions) Current(ctx context.Context) (*Convention, error) {
	c, _, err := policy.ReadConvention(ctx, s.cli)
	if errors.Is(err, policy.ErrConventionUnreadable) {
		return nil, service.ErrConventionStoredInvalid.Wrap(err)
	}
	return c, err
}

// Swap implements service.ConventionStore with policy.SwapConvention: an
// etcd transaction that writes only if the key's ModRevision is still the
// one read, so the checks decide made against the current value hold at
// the moment of the write, whichever HQ replica publishes concurrently. An
// unreadable stored value is overwritten by a valid publication: that is
// how an operator repairs it. A key that keeps changing is
// ErrConventionUnavailable.
func (s etcdConventions) Swap(ctx context.Context, decide func(*Convention) (Convention, bool, error)) (Convention, error) {
	c, err := policy.SwapConvention(ctx, s.cli, s.logger, decide)
	if errors.Is(err, policy.ErrConventionContended) {
		return Convention{}, service.ErrConventionUnavailable.Wrap(err)
	}
	return c, err
}

package hq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// maxSwapAttempts bounds how often etcdConventions.Swap reads again after
// another publisher changed the key between its read and its write. Two
// HQ admins publishing in the same instant settle in one retry; more than
// a handful means something is writing the key in a loop.
const maxSwapAttempts = 8

// errConventionContended is the answer when the key kept changing under
// Swap for maxSwapAttempts reads.
var errConventionContended = service.ErrConventionUnavailable.Wrap(
	fmt.Errorf("hq: %s changed %d times while publishing", ConventionKey, maxSwapAttempts))

// etcdConventions is the service's ConventionStore on etcd: the current
// convention is the value at ConventionKey, which every district's
// meetings node and HQ's own policy watch follow.
type etcdConventions struct {
	cli    *clientv3.Client
	logger *slog.Logger
}

// read returns the current convention (nil when none) and the key's
// ModRevision (0 when absent), the revision Swap's transaction compares.
func (s etcdConventions) read(ctx context.Context) (*Convention, int64, error) {
	resp, err := s.cli.Get(ctx, ConventionKey)
	if err != nil {
		return nil, 0, fmt.Errorf("hq: read %s: %w", ConventionKey, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, nil
	}
	kv := resp.Kvs[0]
	c, err := ParseConvention(kv.Value)
	if err != nil {
		return nil, kv.ModRevision, service.ErrConventionStoredInvalid.Wrap(err)
	}
	return c, kv.ModRevision, nil
}

// Current implements service.ConventionStore. It reads etcd rather than
// the node's watched copy, so a GET after a PUT sees the new version.
func (s etcdConventions) Current(ctx context.Context) (*Convention, error) {
	c, _, err := s.read(ctx)
	return c, err
}

// Swap implements service.ConventionStore with an etcd transaction that
// writes only if the key's ModRevision is still the one read (0: still
// absent), so the checks decide made against the current value hold at the
// moment of the write, whichever HQ replica publishes concurrently.
func (s etcdConventions) Swap(ctx context.Context, decide func(*Convention) (Convention, bool, error)) (Convention, error) {
	for range maxSwapAttempts {
		cur, rev, err := s.read(ctx)
		switch {
		case errors.Is(err, service.ErrConventionStoredInvalid):
			// An unreadable value is overwritten by a valid publication:
			// that is how an operator repairs it.
			s.logger.WarnContext(ctx, "hq: replacing an unreadable convention policy", "key", ConventionKey, "err", err)
		case err != nil:
			return Convention{}, err
		}
		next, write, err := decide(cur)
		if err != nil {
			return Convention{}, err
		}
		if !write {
			return next, nil
		}
		raw, err := json.Marshal(next)
		if err != nil {
			return Convention{}, fmt.Errorf("hq: encode convention: %w", err)
		}
		// What HQ writes, HQ's own watch must accept.
		if _, err := ParseConvention(raw); err != nil {
			return Convention{}, fmt.Errorf("hq: refusing to publish: %w", err)
		}
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(ConventionKey), "=", rev)).
			Then(clientv3.OpPut(ConventionKey, string(raw))).
			Commit()
		if err != nil {
			return Convention{}, fmt.Errorf("hq: write %s: %w", ConventionKey, err)
		}
		if resp.Succeeded {
			return next, nil
		}
	}
	return Convention{}, errConventionContended
}

package policy_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/policy"
)

func startEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e.Client
}

var demo = policy.Convention{Version: "2025", Title: "武汉市保安服务行业自律公约", Text: "合法依规经营。",
	PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}

// stored returns the value at ConventionKey and its ModRevision.
func stored(t *testing.T, cli *clientv3.Client) (string, int64) {
	t.Helper()
	resp, err := cli.Get(context.Background(), policy.ConventionKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return "", 0
	}
	return string(resp.Kvs[0].Value), resp.Kvs[0].ModRevision
}

func TestSwapConvention(t *testing.T) {
	t.Parallel()
	cli := startEtcd(t)
	ctx := context.Background()

	t.Run("Reading an absent key is no convention at revision 0.", func(t *testing.T) {
		if c, rev, err := policy.ReadConvention(ctx, cli); c != nil || rev != 0 || err != nil {
			t.Fatalf("ReadConvention = %v, %d, %v", c, rev, err)
		}
	})
	t.Run("A convention that does not validate is never written.", func(t *testing.T) {
		bad := demo
		bad.PublishedAt = time.Time{}
		_, err := policy.SwapConvention(ctx, cli, nil, func(*policy.Convention) (policy.Convention, bool, error) { return bad, true, nil })
		if !errors.Is(err, policy.ErrConventionPublishedAtRequired) {
			t.Fatalf("SwapConvention(invalid) = %v", err)
		}
		if raw, _ := stored(t, cli); raw != "" {
			t.Fatalf("stored %s", raw)
		}
	})
	t.Run("The first publication sees no current convention and writes what every reader parses.", func(t *testing.T) {
		got, err := policy.SwapConvention(ctx, cli, nil, func(cur *policy.Convention) (policy.Convention, bool, error) {
			if cur != nil {
				t.Errorf("current = %+v, want none", cur)
			}
			return demo, true, nil
		})
		if err != nil || got != demo {
			t.Fatalf("SwapConvention = %+v, %v", got, err)
		}
		raw, _ := stored(t, cli)
		if c, err := policy.ParseConvention([]byte(raw)); err != nil || !c.PublishedAt.Equal(demo.PublishedAt) || c.Version != demo.Version {
			t.Fatalf("stored %s parses as %+v, %v", raw, c, err)
		}
	})
	t.Run("A decision not to write returns what decide returned and writes nothing.", func(t *testing.T) {
		_, before := stored(t, cli)
		got, err := policy.SwapConvention(ctx, cli, nil, func(cur *policy.Convention) (policy.Convention, bool, error) { return *cur, false, nil })
		if _, after := stored(t, cli); err != nil || got != demo || after != before {
			t.Fatalf("SwapConvention = %+v, %v; revision %d → %d", got, err, before, after)
		}
	})
	t.Run("A write between the read and the swap makes decide see it.", func(t *testing.T) {
		next := demo
		next.Version, next.PublishedAt = "2026", demo.PublishedAt.AddDate(1, 0, 0)
		meddler := demo
		meddler.Version = "2025.1"
		calls := 0
		got, err := policy.SwapConvention(ctx, cli, nil, func(cur *policy.Convention) (policy.Convention, bool, error) {
			calls++
			if calls == 1 {
				// Another publisher wins the race.
				if _, err := policy.SwapConvention(ctx, cli, nil, func(*policy.Convention) (policy.Convention, bool, error) {
					return meddler, true, nil
				}); err != nil {
					t.Fatal(err)
				}
			} else if cur == nil || cur.Version != meddler.Version {
				t.Errorf("second decide saw %+v, want the other publisher's %s", cur, meddler.Version)
			}
			return next, true, nil
		})
		if err != nil || got.Version != "2026" || calls != 2 {
			t.Fatalf("SwapConvention = %+v, %v after %d calls", got, err, calls)
		}
	})
	t.Run("An unreadable value is reported, and repaired by a valid publication.", func(t *testing.T) {
		if _, err := cli.Put(ctx, policy.ConventionKey, `{"version":"v"}`); err != nil {
			t.Fatal(err)
		}
		if _, rev, err := policy.ReadConvention(ctx, cli); !errors.Is(err, policy.ErrConventionUnreadable) || rev == 0 {
			t.Fatalf("ReadConvention of an unreadable value = rev %d, %v", rev, err)
		}
		if wrote, err := policy.PublishConventionIfAbsent(ctx, cli, demo); wrote || !errors.Is(err, policy.ErrConventionUnreadable) {
			t.Fatalf("PublishConventionIfAbsent over an unreadable value = %v, %v; want it left alone", wrote, err)
		}
		got, err := policy.SwapConvention(ctx, cli, nil, func(cur *policy.Convention) (policy.Convention, bool, error) {
			if cur != nil {
				t.Errorf("current = %+v, want none for an unreadable value", cur)
			}
			return demo, true, nil
		})
		if err != nil || got != demo {
			t.Fatalf("SwapConvention = %+v, %v", got, err)
		}
	})
}

func TestPublishConventionIfAbsent(t *testing.T) {
	t.Parallel()
	cli := startEtcd(t)
	ctx := context.Background()
	other := demo
	other.Version = "2024"

	if wrote, err := policy.PublishConventionIfAbsent(ctx, cli, demo); !wrote || err != nil {
		t.Fatalf("first PublishConventionIfAbsent = %v, %v", wrote, err)
	}
	_, rev := stored(t, cli)
	if wrote, err := policy.PublishConventionIfAbsent(ctx, cli, other); wrote || err != nil {
		t.Fatalf("second PublishConventionIfAbsent = %v, %v; want nothing written", wrote, err)
	}
	if c, after, _ := policy.ReadConvention(ctx, cli); after != rev || c.Version != demo.Version {
		t.Fatalf("after a second default the convention is %+v at %d, want %s at %d", c, after, demo.Version, rev)
	}
}

func TestConcurrentPublishersOfDefaultsWriteOnce(t *testing.T) {
	t.Parallel()
	cli := startEtcd(t)
	const n = 6
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wrote int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := demo
			c.Version = "v" + string(rune('a'+i))
			w, err := policy.PublishConventionIfAbsent(context.Background(), cli, c)
			if err != nil {
				t.Error(err)
			}
			if w {
				mu.Lock()
				wrote++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wrote != 1 {
		t.Fatalf("%d publishers wrote, want exactly 1", wrote)
	}
}

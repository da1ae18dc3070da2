package service_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// blockingDistricts counts the read model's Districts reads; the first
// waits for release, so the others arrive while it runs.
type blockingDistricts struct {
	*store.Store
	reads   atomic.Int64
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingDistricts) Districts(ctx context.Context, today string) (map[string]service.DistrictData, error) {
	if b.reads.Add(1) == 1 {
		b.once.Do(func() { close(b.started) })
		<-b.release
	}
	return b.Store.Districts(ctx, today)
}

// TestDistrictViewsShareTheDistrictsRead: concurrent views of different
// districts (and the summary) share one read of every district's data, as
// long as it is read after each asked: while one read runs, the views that
// arrive wait for a single next one instead of each reading it again.
func TestDistrictViewsShareTheDistrictsRead(t *testing.T) {
	st, apply := cityModel(t)
	ids := []string{"d01", "d02", "d03", "d04", "d05", "d06"}
	for _, id := range ids {
		apply(guardActive(id, id+"-g1", id+"-c1"))
	}
	repo := &blockingDistricts{Store: st, started: make(chan struct{}), release: make(chan struct{})}
	// Every view and the summary takes the time just before it reads.
	var asked atomic.Int64
	svc := service.New(repo, monitor{ids: ids}, service.Config{Now: func() time.Time { asked.Add(1); return now }})
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := svc.District(ctx, ids[0]); err != nil {
			t.Error(err)
		}
	})
	<-repo.started
	for _, id := range ids[1:] {
		wg.Go(func() {
			v, err := svc.District(ctx, id)
			if err != nil || v.GuardsActive != 1 {
				t.Errorf("district %s: %d guards, %v", id, v.GuardsActive, err)
			}
		})
	}
	wg.Go(func() {
		if _, err := svc.Summary(ctx); err != nil {
			t.Error(err)
		}
	})
	// Until all of them are about to read, while the first read runs.
	deadline := time.Now().Add(10 * time.Second)
	for asked.Load() < int64(len(ids)+1) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d readers got going", asked.Load(), len(ids)+1)
		}
		runtime.Gosched()
	}
	close(repo.release)
	wg.Wait()
	// Shared: the first read and one after it (a reader the scheduler
	// held between taking the time and asking may read once more); not
	// shared: one each.
	if n := repo.reads.Load(); n >= int64(len(ids)+1) {
		t.Fatalf("%d concurrent readers read every district's data %d times; want it shared", len(ids)+1, n)
	}
}

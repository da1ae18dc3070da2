package service_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// countingRepo counts the reads of every district's data and of one
// district's seed figures, and runs during, if set, inside a Districts
// read after the store has read (the snapshot is taken, not returned).
type countingRepo struct {
	*store.Store
	districts, seeds atomic.Int64
	during           func()
}

func (r *countingRepo) Districts(ctx context.Context, today string) (map[string]service.DistrictData, error) {
	r.districts.Add(1)
	v, err := r.Store.Districts(ctx, today)
	if f := r.during; f != nil {
		f()
	}
	return v, err
}

func (r *countingRepo) Seed(ctx context.Context, district, from, to, month string) (map[string]service.SeedData, error) {
	r.seeds.Add(1)
	return r.Store.Seed(ctx, district, from, to, month)
}

// TestViewsAreKeptUntilTheReadModelChanges: with a Generation, a second
// view or summary reads nothing from the repository until the generation
// moves; then each reads again and shows the commit.
func TestViewsAreKeptUntilTheReadModelChanges(t *testing.T) {
	st, apply := cityModel(t)
	apply(companyActive("d01", "d01-c1"), guardActive("d01", "g1", "d01-c1"))
	repo := &countingRepo{Store: st}
	var gen service.Generation
	svc := service.New(repo, monitor{ids: []string{"d01"}}, service.Config{Now: func() time.Time { return now }, Generation: &gen})
	ctx := context.Background()
	read := func(want int64) {
		t.Helper()
		v, err := svc.District(ctx, "d01")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := svc.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.GuardsActive != want || sum.GuardsActive != want {
			t.Fatalf("district %d, summary %d active guards; want %d", v.GuardsActive, sum.GuardsActive, want)
		}
	}
	read(1)
	read(1)
	if d, s := repo.districts.Load(), repo.seeds.Load(); d != 1 || s != 2 { // the view's district and the summary's every
		t.Fatalf("two views and summaries read the districts %d times and the seed figures %d times; want 1 and 2", d, s)
	}
	apply(guardActive("d01", "g2", "d01-c1"))
	gen.Changed()
	read(2)
	if d, s := repo.districts.Load(), repo.seeds.Load(); d != 2 || s != 4 {
		t.Fatalf("after a change: %d and %d reads; want 2 and 4", d, s)
	}
}

// TestAReadTakenBeforeACommitIsNotKeptPastIt: a read whose snapshot was
// taken before a commit, and that returns after the commit's generation
// moved, is not served to a later reader: the generation it is kept under
// is the one loaded before its snapshot.
func TestAReadTakenBeforeACommitIsNotKeptPastIt(t *testing.T) {
	st, apply := cityModel(t)
	apply(companyActive("d01", "d01-c1"), guardActive("d01", "g1", "d01-c1"))
	repo := &countingRepo{Store: st}
	var gen service.Generation
	svc := service.New(repo, monitor{ids: []string{"d01"}}, service.Config{Now: func() time.Time { return now }, Generation: &gen})
	ctx := context.Background()
	var once sync.Once
	repo.during = func() {
		once.Do(func() {
			apply(guardActive("d01", "g2", "d01-c1"))
			gen.Changed()
		})
	}
	v, err := svc.District(ctx, "d01")
	if err != nil {
		t.Fatal(err)
	}
	if v.GuardsActive != 1 {
		t.Fatalf("the first view has %d guards; want the snapshot's 1", v.GuardsActive)
	}
	v, err = svc.District(ctx, "d01")
	if err != nil {
		t.Fatal(err)
	}
	if v.GuardsActive != 2 {
		t.Fatalf("a view after the commit has %d guards; want 2", v.GuardsActive)
	}
}

// TestReadsAfterACommitSeeIt: a writer applies guards one transaction at a
// time, moving the generation after each commit, while readers read the
// district view and the summary; every read that began after the k-th
// commit was counted shows at least k guards (run it with -race: the kept
// reads are shared by the readers).
func TestReadsAfterACommitSeeIt(t *testing.T) {
	st, apply := cityModel(t)
	apply(companyActive("d01", "d01-c1"), companyActive("d02", "d02-c1"))
	var gen service.Generation
	svc := service.New(st, monitor{ids: []string{"d01", "d02"}}, service.Config{Now: func() time.Time { return now }, Generation: &gen})
	ctx := context.Background()
	const writes = 40
	var committed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range writes {
			apply(guardActive("d01", fmt.Sprintf("g%02d", i), "d01-c1"))
			gen.Changed()
			committed.Store(int64(i + 1))
		}
	})
	for range 4 {
		wg.Go(func() {
			deadline := time.Now().Add(30 * time.Second)
			for committed.Load() < writes {
				if time.Now().After(deadline) {
					t.Error("the writer did not finish")
					return
				}
				k := committed.Load()
				v, err := svc.District(ctx, "d01")
				if err != nil {
					t.Error(err)
					return
				}
				sum, err := svc.Summary(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if v.GuardsActive < k || sum.GuardsActive < k {
					t.Errorf("read after %d commits: district %d, summary %d guards", k, v.GuardsActive, sum.GuardsActive)
					return
				}
			}
		})
	}
	wg.Wait()
	v, err := svc.District(ctx, "d01")
	if err != nil || v.GuardsActive != writes {
		t.Fatalf("at the end: %d guards, %v; want %d", v.GuardsActive, err, writes)
	}
}

// TestKeptNoticesTurnOverdueAtTheirDeadline: the notices overdue change at
// a deadline with no event between: a kept read holds only up to the next
// deadline.
func TestKeptNoticesTurnOverdueAtTheirDeadline(t *testing.T) {
	st, _ := cityModel(t)
	ctx := context.Background()
	deadline := now.Add(time.Hour)
	if err := st.DB().InTx(ctx, func(tx *sql.Tx) error {
		if err := st.TouchService(ctx, tx, "d01", "messaging", now); err != nil {
			return err
		}
		_, err := st.PutNotice(ctx, tx, store.Notice{ID: "n1", District: "d01", Origin: "district", Title: "n1", Priority: "normal",
			AckRequired: true, AckDeadline: deadline, Revision: 1, Recipients: 3, Acknowledged: 1, PublishedAt: now, Seq: 1})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64
	var gen service.Generation
	svc := service.New(st, monitor{ids: []string{"d01"}}, service.Config{Now: func() time.Time { return time.Unix(0, clock.Load()) }, Generation: &gen})
	for _, tc := range []struct {
		at      time.Time
		overdue int64
	}{
		{now, 0},
		{deadline, 0},
		{deadline.Add(time.Nanosecond), 1},
		{now, 0}, // a clock set back
	} {
		clock.Store(tc.at.UnixNano())
		v, err := svc.District(ctx, "d01")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := svc.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.Notices.Overdue != tc.overdue || sum.Notices.Overdue != tc.overdue {
			t.Errorf("at %v: district %d, summary %d overdue; want %d", tc.at, v.Notices.Overdue, sum.Notices.Overdue, tc.overdue)
		}
	}
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
	"github.com/guildhall/guildhall/services/accounts/internal/store"
)

// accountRow is the versioned row of an account as the service declares
// it, from the interface only.
var accountRow = versioned.Row[service.Queries, service.Row]{
	Get: service.Queries.ByID, Write: service.Queries.WriteAccount,
	Version: func(r *service.Row) *int64 { return &r.Version }, UpdatedAt: func(r *service.Row) *time.Time { return &r.UpdatedAt },
}

// TestSQLiteStore runs the accounts store's part of the store contract on
// the SQLite store.
func TestSQLiteStore(t *testing.T) {
	kit.Run(t, func(t *testing.T) *store.Store { return store.New(kit.SQLite(t, store.Migrate)) }, contract...)
}

// TestPostgresStore runs the same contract, unchanged, on the same store
// over PostgreSQL (a fresh schema per group, GUILDHALL_TEST_PG_DSN; it
// skips without one, and fails under CI).
func TestPostgresStore(t *testing.T) {
	pgtest.ServerDSN(t)
	kit.Run(t, func(t *testing.T) *store.Store { return store.New(pgtest.Open(t, store.Migrate)) }, contract...)
}

// TestEveryMigrationHasItsPostgreSQLTwin: the same versions on both
// engines, so neither falls behind the other.
func TestEveryMigrationHasItsPostgreSQLTwin(t *testing.T) {
	pgtest.CheckTwins(t, store.Migrations, "migrations")
}

// contract is the accounts store's part of the store contract: its
// versioned write, a taken username (which leaves the transaction usable)
// and the count of the other enabled admins.
var contract = []kit.Group[*store.Store]{
	{Name: "Accounts", Run: func(t *testing.T, s *store.Store) {
		a := service.Account{ID: "a1", Username: "li", Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1",
			CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}
		kit.Must(t, s.Insert(ctx, a, "hash-1"))
		t.Run("An account, its password hash included, is written only over the version read.", func(t *testing.T) {
			kit.Versioned(t, service.Queries(s), accountRow, "a1", func(r *service.Row) {
				r.Role, r.Districts, r.Company, r.Guard, r.Disabled = auth.RoleGuard, []string{"caidian"}, "c2", "g2", true
				r.Hash, r.UpdatedAt = "hash-2", kit.At.Add(time.Hour)
			})
		})
		t.Run("A taken username is ErrUsernameTaken, and the transaction goes on.", func(t *testing.T) {
			err := s.Tx(ctx, func(q service.Queries) error {
				dup := a
				dup.ID = "a2"
				if err := q.Insert(ctx, dup, "hash-x"); !errors.Is(err, service.ErrUsernameTaken) {
					t.Errorf("a second account named li: %v", err)
				}
				other := a
				other.ID, other.Username = "a3", "wang"
				return q.Insert(ctx, other, "hash-3")
			})
			kit.Must(t, err)
			if _, err := s.ByID(ctx, "a2"); !errors.Is(err, service.ErrAccountNotFound) {
				t.Errorf("the refused account: %v", err)
			}
			if r, err := s.ByID(ctx, "a3"); err != nil || r.Username != "wang" {
				t.Errorf("the account written after the refusal: %+v %v", r, err)
			}
		})
	}},
	{Name: "Admins", Run: func(t *testing.T, s *store.Store) {
		for i, disabled := range []bool{false, true, false} {
			a := service.Account{ID: fmt.Sprintf("h%d", i), Username: fmt.Sprintf("hq%d", i), Role: auth.RoleHQAdmin, Districts: []string{},
				Disabled: disabled, CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}
			kit.Must(t, s.Insert(ctx, a, "hash"))
		}
		kit.Must(t, s.Insert(ctx, service.Account{ID: "c0", Username: "co", Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"},
			Company: "c1", CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}, "hash"))
		for id, want := range map[string]int64{"h0": 1, "h1": 2, "nobody": 2} {
			n, err := s.OtherEnabledAdmins(ctx, id)
			kit.Must(t, err)
			if n != want {
				t.Errorf("enabled hq-admins other than %s: %d, want %d", id, n, want)
			}
		}
		if r, err := s.ByID(ctx, "h1"); err != nil || !r.Disabled {
			t.Errorf("a disabled account read back: %+v %v", r, err)
		}
	}},
}

var ctx = context.Background()

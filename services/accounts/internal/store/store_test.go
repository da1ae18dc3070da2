package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	kit "github.com/guildhall/guildhall/pkg/storetest"
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

// TestStore runs the accounts store's part of the store contract on the
// SQLite store: its versioned write, and the audit log it keeps.
func TestStore(t *testing.T) {
	kit.Run(t, func(t *testing.T) *store.Store { return store.New(kit.SQLite(t, store.Migrate)) },
		kit.Group[*store.Store]{Name: "Accounts", Run: func(t *testing.T, s *store.Store) {
			a := service.Account{ID: "a1", Username: "li", Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1",
				CreatedAt: kit.At, UpdatedAt: kit.At, Version: 1}
			kit.Must(t, s.Insert(context.Background(), a, "hash-1"))
			t.Run("An account, its password hash included, is written only over the version read.", func(t *testing.T) {
				kit.Versioned(t, service.Queries(s), accountRow, "a1", func(r *service.Row) {
					r.Role, r.Districts, r.Company, r.Guard, r.Disabled = auth.RoleGuard, []string{"caidian"}, "c2", "g2", true
					r.Hash, r.UpdatedAt = "hash-2", kit.At.Add(time.Hour)
				})
			})
		}})
}

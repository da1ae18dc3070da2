package storetest

// The credit-code and certificate-number conflicts (conflicts.go) and
// their tallies, as the projector's writes make and settle them.

import (
	"database/sql"
	"testing"
	"time"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

func keyConflicts(t *testing.T, s *store.Store) {
	first, second := seenAt, seenAt.Add(time.Hour)
	coded := func(id, district, status, code string) store.Company {
		c := company(id, district, status)
		c.CreditCode = code
		return c
	}
	carded := func(id, district, hash, cert string) store.Guard {
		g := guard(id, district, "c1", hash, "active")
		g.CertificateNumber, g.CertificateValidUntil, g.CertificateAuthority = cert, "2027-01-01", "公安局"
		return g
	}
	in(t, s, func(tx *sql.Tx) error {
		kit.Must(t, s.PutCompany(ctx, tx, coded("c1", "north", "active", "X"), first))
		kit.Must(t, s.PutCompany(ctx, tx, coded("c2", "south", "applied", "X"), first))
		kit.Must(t, s.PutCompany(ctx, tx, coded("c3", "east", "lapsed", "X"), first))  // lapsed: no party
		kit.Must(t, s.PutCompany(ctx, tx, coded("c4", "north", "active", "Y"), first)) // one district: none
		kit.Must(t, s.PutCompany(ctx, tx, coded("c5", "north", "active", "Y"), first))
		kit.Must(t, s.PutCompany(ctx, tx, coded("c6", "west", "active", "Z"), first))
		kit.Must(t, s.PutCompany(ctx, tx, coded("c7", "east", "active", "Z"), first))
		// Only a lapsed company in the other district: none.
		kit.Must(t, s.PutCompany(ctx, tx, coded("c8", "north", "active", "L"), first))
		kit.Must(t, s.PutCompany(ctx, tx, coded("c9", "south", "lapsed", "L"), first))
		// A later conflict of the same kind.
		kit.Must(t, s.PutCompany(ctx, tx, coded("c10", "north", "active", "XX"), second))
		kit.Must(t, s.PutCompany(ctx, tx, coded("c11", "south", "active", "XX"), second))
		// Z stops being a conflict: c7 changes its code.
		kit.Must(t, s.PutCompany(ctx, tx, coded("c7", "east", "active", "W"), second))
		// One card held by two persons in one district.
		kit.Must(t, s.PutGuard(ctx, tx, carded("g1", "north", "h1", "CARD"), second))
		kit.Must(t, s.PutGuard(ctx, tx, carded("g2", "north", "h2", "CARD"), second))
		// One person's card in one district, twice: none.
		kit.Must(t, s.PutGuard(ctx, tx, carded("g3", "north", "h3", "SOLO"), second))
		kit.Must(t, s.PutGuard(ctx, tx, carded("g4", "north", "h3", "SOLO"), second))
		return nil
	})
	t.Run("A credit code registered in two districts by companies not lapsed is a conflict first seen when it arose; one settled is gone.", func(t *testing.T) {
		got, err := s.Conflicts(ctx)
		kit.Must(t, err)
		if len(got) != 3 || got[1].CreditCode != "XX" || !got[1].FirstSeenAt.Equal(second) {
			t.Fatalf("conflicts %+v", got)
		}
		kit.Equal(t, "credit code", got[0], service.Conflict{Kind: service.ConflictCreditCode, CreditCode: "X", Districts: []string{"north", "south"},
			Guards: []service.GuardPosition{}, Companies: []service.CompanyPosition{
				{District: "north", CompanyID: "c1", Name: "公司c1", Status: "active"},
				{District: "south", CompanyID: "c2", Name: "公司c2", Status: "applied"}},
			FirstSeenAt: ptr(first)})
		c := got[2]
		if c.Kind != service.ConflictCertificateNumber || c.CertificateNumber != "CARD" || c.Persons != 2 || len(c.Guards) != 2 ||
			!c.FirstSeenAt.Equal(second) || c.Guards[0].CertificateValidUntil != "2027-01-01" || c.Guards[1].CertificateAuthority != "公安局" {
			t.Fatalf("certificate conflict %+v", c)
		}
	})
	t.Run("The conflict tallies count each kind's conflicts with the newest first seen.", func(t *testing.T) {
		got, err := s.ConflictTallies(ctx)
		kit.Must(t, err)
		kit.Equal(t, "tallies", got, map[string]service.ConflictTally{
			service.ConflictCreditCode:        {Count: 2, NewestFirstSeen: second},
			service.ConflictCertificateNumber: {Count: 1, NewestFirstSeen: second},
		})
	})
	t.Run("A company is in the district HQ holds it in, in any status.", func(t *testing.T) {
		for _, tc := range []struct {
			district, id string
			want         bool
		}{{"east", "c3", true}, {"north", "c3", false}, {"north", "nope", false}} {
			got, err := s.CompanyInDistrict(ctx, tc.district, tc.id)
			if err != nil || got != tc.want {
				t.Fatalf("CompanyInDistrict(%s, %s) = %v %v", tc.district, tc.id, got, err)
			}
		}
	})
}

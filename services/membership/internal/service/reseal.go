package service

import (
	"context"
	"fmt"

	"github.com/guildhall/guildhall/pkg/audit"
)

// resealBatch is how many guards one re-seal transaction rewrites.
const resealBatch = 200

// ResealIDNumbers re-seals, with the current key, every stored ID number
// sealed with another key, in batches of one transaction each (with one
// audit row). Once it has run after a rotation, the old key may leave the
// keyring. It returns how many numbers it re-sealed. A number that no
// longer opens stops it with the error: an operator must restore its key.
func (s *Membership) ResealIDNumbers(ctx context.Context) (int, error) {
	kid := s.sealer.CurrentKeyID()
	total := 0
	for ctx.Err() == nil {
		n := 0
		err := s.repo.Tx(ctx, func(q Queries) ([]Change, error) {
			n = 0
			old, err := q.GuardsSealedWithOtherKey(ctx, kid, resealBatch)
			if err != nil || len(old) == 0 {
				return nil, err
			}
			for _, g := range old {
				plain, err := s.sealer.Open(g.IDNumberSealed)
				if err != nil {
					return nil, fmt.Errorf("membership: guard %s: open id number: %w", g.ID, err)
				}
				sealed, err := s.sealer.Seal(plain)
				if err != nil {
					return nil, fmt.Errorf("membership: seal id number: %w", err)
				}
				ok, err := q.ResealGuard(ctx, g.ID, g.IDNumberSealed, sealed)
				if err != nil {
					return nil, err
				}
				if ok {
					n++
				}
			}
			if n == 0 {
				return nil, nil
			}
			return nil, s.AuditAs(ctx, q, audit.Actor{Subject: audit.SystemSubject}, ActionGuardReseal, ResourceGuard, "", []string{"id_number"})
		})
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
		total += n
	}
	return total, ctx.Err()
}

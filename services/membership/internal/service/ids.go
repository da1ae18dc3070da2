package service

import (
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/pii"
)

// PKGIDRules returns the production IDRules: checks from pkg/idcheck, the
// city-wide keyed hash and masking from pkg/pii.
func PKGIDRules(h *pii.Hasher) IDRules { return pkgIDRules{h: h} }

type pkgIDRules struct{ h *pii.Hasher }

// NormalizeResidentID implements IDRules.
func (r pkgIDRules) NormalizeResidentID(id string) (string, error) {
	n := idcheck.NormalizeResidentID(id)
	if err := idcheck.ValidateResidentID(n); err != nil {
		return "", err
	}
	return n, nil
}

// ValidateCreditCode implements IDRules.
func (r pkgIDRules) ValidateCreditCode(code string) error { return idcheck.ValidateCreditCode(code) }

// HashResidentID implements IDRules.
func (r pkgIDRules) HashResidentID(id string) string { return r.h.Hash(id) }

// MaskResidentID implements IDRules.
func (r pkgIDRules) MaskResidentID(id string) string { return pii.MaskResidentID(id) }

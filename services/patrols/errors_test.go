package patrols_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/errs"
	_ "github.com/guildhall/guildhall/services/patrols"
)

// TestErrorRegistry holds the patrols ids (and the kit's they link) to the
// registry's rules: one declaration per id, one kind per id, one id per
// meaning (the README's table, make errors-doc, checks the whole binary).
func TestErrorRegistry(t *testing.T) {
	for _, p := range errs.Problems() {
		t.Error(p)
	}
}

package hq

import (
	"testing"

	apitest "github.com/guildhall/guildhall/pkg/testutil"
)

// TestEveryPatchHonoursIfMatch holds HQ to the district services' rule that
// every PATCH refuses a stale If-Match (see theirs, which send each PATCH
// testutil.StaleIfMatch). HQ has no PATCH: its read model is written by
// events only, and the convention by etcd's compare-and-swap. So there is
// no case here, and a PATCH route added to the table fails this test until
// it has one (and goes through versioned.Update).
func TestEveryPatchHonoursIfMatch(t *testing.T) {
	apitest.CheckCovers(t, Routes(), "PATCH", nil)
}

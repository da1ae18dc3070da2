package policy_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if SwapConvention or the embedded etcd of a
// test leaves goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

package membership_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind (the import
// worker must stop when Run's context ends).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

package messaging_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind (Run must
// stop when its context ends).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

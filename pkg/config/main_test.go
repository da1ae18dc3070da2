package config

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if Watch, Run or the test fixtures leave
// goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

package telemetry

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind (the
// readiness probe's abandoned checks, exporters, servers).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

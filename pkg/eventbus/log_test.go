package eventbus

import (
	"log/slog"
	"os"
	"testing"
)

// testLogger logs to the test output when EVENTBUS_TEST_LOG is set, else
// discards, keeping `go test` quiet.
func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("EVENTBUS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

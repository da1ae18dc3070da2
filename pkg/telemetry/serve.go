package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/oklog/run"
)

// Serve runs a node's process: every server of ls (the API and the admin
// listener, each through JSONErrorListener so that even net/http's own
// refusals are JSON), and every background task (the node's own work, its relay, key
// refreshes), until ctx ends, SIGINT or SIGTERM arrives, a server fails or a
// task returns. Then the servers drain (in-flight requests get
// shutdownTimeout) and the tasks' context is cancelled. Ending through ctx
// or a signal is a clean exit: Serve returns nil; otherwise it returns the
// first failure.
func Serve(ctx context.Context, logger *slog.Logger, ls *Listeners, shutdownTimeout time.Duration, tasks ...func(context.Context) error) error {
	var g run.Group
	bg, cancelBG := context.WithCancel(ctx)
	defer cancelBG()
	for _, task := range tasks {
		g.Add(func() error { return task(bg) }, func(error) { cancelBG() })
	}
	for _, s := range ls.Servers() {
		g.Add(func() error {
			logger.Info("serving", "listener", s.Name, "addr", s.Listener.Addr().String())
			if err := s.HTTP.Serve(JSONErrorListener(s.Listener)); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s listener: %w", s.Name, err)
			}
			return nil
		}, func(error) {
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			_ = s.HTTP.Shutdown(sctx)
		})
	}
	g.Add(run.SignalHandler(ctx, os.Interrupt, syscall.SIGTERM))
	err := g.Run()
	var sig run.SignalError
	if errors.As(err, &sig) || errors.Is(err, context.Canceled) {
		logger.Info("shut down", "reason", err.Error())
		return nil
	}
	return err
}

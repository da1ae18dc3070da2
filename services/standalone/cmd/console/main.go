// Command console serves the web console (package web/console) on its own,
// for a Kubernetes node whose services each run in their own Deployment:
// the chart's console Deployment runs it, and the Ingress or HTTPRoute
// sends / to it and each /api/v1 prefix to its service, so the console and
// the API share one origin (the console's CSP allows only that origin).
//
// It takes the listener, shutdown and log flags of every service binary
// (-http.addr, -admin.addr, -shutdown-timeout, -log.level, -log.file, or
// GUILDHALL_* in the environment; settings it does not have are ignored)
// and serves /healthz, /readyz and /metrics on the admin listener. It holds
// no state and talks to nothing: the browser calls the API with the user's
// token. An /api/ path that reaches it is the API's JSON 404 (the ingress
// routes real API paths elsewhere), never a page.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/web/console"
)

func main() { os.Exit(node.Main("console", runMain)) }

// config is the console binary's flags: the subset of node.Flags a process
// that holds no data needs.
type config struct {
	HTTPAddr        string
	AdminAddr       string
	ShutdownTimeout time.Duration
	Log             telemetry.LogConfig
}

func (c *config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.StringVar(&c.HTTPAddr, prefix+"http.addr", ":8080", "listen address of the console")
	fs.StringVar(&c.AdminAddr, prefix+"admin.addr", ":9090", `listen address of /healthz, /readyz and /metrics; "same" serves them on -http.addr`)
	fs.DurationVar(&c.ShutdownTimeout, prefix+"shutdown-timeout", 15*time.Second, "how long in-flight requests get on shutdown")
	c.Log = telemetry.LogConfig{Level: "info"}
	c.Log.RegisterFlags(prefix, fs)
}

func (c *config) Validate() error {
	var problems []error
	if c.HTTPAddr == "" {
		problems = append(problems, errors.New("-http.addr is required"))
	}
	if c.ShutdownTimeout <= 0 {
		problems = append(problems, errors.New("-shutdown-timeout must be positive"))
	}
	return errors.Join(append(problems, telemetry.ValidateAdminAddr(c.AdminAddr), c.Log.Validate())...)
}

const usage = `console serves the Guildhall web console: the single-page application, its
files, and /healthz, /readyz and /metrics on the admin listener.

`

// runMain is main's body with the process's inputs as arguments (a test
// runs it in-process); ready, if not nil, gets the listeners' addresses.
func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error {
	var c config
	if err := node.Parse("console", &c, args, lookup, stderr, usage); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logger, closeLog, err := c.Log.Open("", stderr)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	logger = logger.With("service", "console", "version", node.Version())
	ls, err := telemetry.Listen(c.HTTPAddr, c.AdminAddr, handler(logger), telemetry.AdminHandler(telemetry.NewRegistry(), nil))
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ls.APIAddr(), ls.AdminAddr())
	}
	return telemetry.Serve(ctx, logger, ls, c.ShutdownTimeout)
}

// handler is the console listener's handler, written to the access log:
// the admin paths and /api/ are
// JSON 404s (a probe or a client pointed at the wrong port must not get a
// page that looks healthy), everything else the console.
func handler(logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", kitx.NotFoundHandler())
	for _, p := range telemetry.AdminPaths {
		mux.Handle(p, kitx.NotFoundHandler())
	}
	mux.Handle("/", kitx.RouteHandler(console.Handler()))
	// The access log and the security headers every listener sends.
	return telemetry.HTTPMiddleware(mux, logger)
}

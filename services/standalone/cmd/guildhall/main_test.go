package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
)

type syncBuffer = testutil.SyncBuffer

// runCity runs the command with args until it prints "ready", stops it as
// an interrupt would and returns what it wrote to stdout and stderr.
func runCity(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0",
			"-sqlite.synchronous=normal", "-relay.election-ttl=2"}, args...), func(string) (string, bool) { return "", false }, &out, &errOut)
	}()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), "guildhall: ready") {
		select {
		case err := <-done:
			t.Fatalf("guildhall ended before it was ready: %v\n%s\n%s", err, out.String(), errOut.String())
		case <-deadline:
			t.Fatalf("guildhall was not ready within 2 minutes:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel(stopSignal{os.Interrupt})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a stop by signal is a clean exit, got %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("guildhall did not stop within a minute")
	}
	return out.String(), errOut.String()
}

// linePatterns checks each line of out against one pattern, in order.
func linePatterns(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(patterns) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(patterns), out)
	}
	for i, p := range patterns {
		if !regexp.MustCompile(`^` + p + `$`).MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %q", i+1, lines[i], p)
		}
	}
}

func TestStartUpAndShutdownLinesAreForAPerson(t *testing.T) {
	dir := t.TempDir()
	addr := `(127\.0\.0\.1|localhost):\d+`
	demo := []string{
		`demo: caidian filled with \d+ companies, \d+ guards, \d+ council members`,
		`demo: jingkai filled with \d+ companies, \d+ guards, \d+ council members`,
		`demo: jingkai declared the wages of \d{4}-\d{2} \(\d+ companies, 1 in arrears\) and has a poaching complaint mediating`,
		`demo: jingkai holds the .+ \(\d+ member units signed the convention\)`,
		`demo: jingkai has the volunteer team \S+ \(\d+ members\) on duty and a closed police dispatch`,
	}
	common := func(logs string) []string {
		return []string{
			`guildhall: starting the city in ` + regexp.QuoteMeta(dir) + ` \(JSON logs: ` + logs + `\)`,
		}
	}
	addrs := []string{
		`etcd \(embedded\): http://` + addr,
		`kafka broker \(in-process\): ` + addr,
		`guildhall: serving the city on http://` + addr,
		`guildhall: metrics and health on http://` + addr + ` \(/metrics, /healthz, /readyz\)`,
		`guildhall: districts caidian, jingkai and HQ`,
	}
	end := []string{
		`guildhall: ready \(Ctrl-C stops\)`,
		`guildhall: stopped by interrupt in \S+; the data stays in ` + regexp.QuoteMeta(dir),
	}

	t.Run("The first start, logging to a file, prints the password and the demo and leaves stderr alone.", func(t *testing.T) {
		stdout, stderr := runCity(t, "-data.dir="+dir, "-demo.when-empty", "-log.file=logs/guildhall.log", "-log.level=info")
		logFile := filepath.Join(dir, "logs", "guildhall.log")
		want := common(regexp.QuoteMeta(logFile) + `, level info`)
		want = append(want, `bootstrap admin: username admin password \S+`, `  \(shown once, on the first start of this data dir: note the password\)`)
		want = append(append(append(want, addrs...), demo...), end...)
		linePatterns(t, stdout, want...)
		if stderr != "" {
			t.Errorf("stderr got %q", stderr)
		}
		raw, err := os.ReadFile(logFile)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw, []byte(`"msg":"district node started"`)) {
			t.Errorf("the info records are not in the log file:\n%s", raw)
		}
		testutil.CheckLog(t, raw)
	})
	t.Run("A restart prints neither password nor demo, and the default level keeps info records out of stderr.", func(t *testing.T) {
		stdout, stderr := runCity(t, "-data.dir="+dir, "-demo.when-empty")
		want := append(append(common(`stderr, level warn`), addrs...), end...)
		linePatterns(t, stdout, want...)
		if strings.Contains(stderr, `"level":"INFO"`) || strings.Contains(stderr, `"level":"DEBUG"`) {
			t.Errorf("stderr below warn:\n%s", stderr)
		}
		testutil.CheckLog(t, []byte(stderr))
	})
}
